"""A web worker loads the libraries only a few requests use (label PDFs and printers, letters and
QR codes, FHIR bodies, NHS login, GOV.UK Notify, Alembic) when one of those requests comes, not
with the site: they were about 48 MiB of each worker's 123 MiB after create_app(); and it makes
no argon2 hash until someone signs in (the one made at import took 64 MiB for a moment, every
worker's peak). bench/HISTORY.md item 24. These tests fail when either comes back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[2]

# Top-level packages a worker must not have loaded after create_app() and everyday requests.
LAZY = (
    "PIL", "reportlab", "escpos", "barcode", "qrcode", "usb", "yaml",  # labels, letters, QR codes
    "icalendar", "arabic_reshaper", "bidi",  # .ics files, right-to-left letters
    "fhir", "fhir_core",  # FHIR bodies
    "authlib", "joserfc", "cryptography", "requests",  # NHS login
    "notifications_python_client", "jwt",  # GOV.UK Notify (the scheduler sends)
    "alembic", "mako", "pygments",  # the migration head /readyz compares with
)

# What a gunicorn worker does: build the app from the environment (checking the settings), then
# answer the requests most workers answer all day.
WORKER = """
import json, sys
import argon2
hashes = []  # argon2 hashes made: each takes 64 MiB for a moment (the old peak of every worker)
make_hash = argon2.PasswordHasher.hash
argon2.PasswordHasher.hash = lambda self, *a, **k: hashes.append(1) or make_hash(self, *a, **k)
from booking_web import create_app
client = create_app().test_client()
answers = [client.get(path).status_code for path in ("/healthz", "/readyz", "/api/v1/sites", "/")]
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"answers": answers, "loaded": loaded, "hashes": len(hashes)}))
"""


def test_a_worker_loads_no_rarely_used_library(engine: Engine, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PHLEBO_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "PHLEBO_INSTANCE_DIR": str(tmp_path / "instance"),
        "PHLEBO_SECRET_KEY": "lazy-imports-test-" + "k7Qw9Zp2Xv4Lm8Rt" * 2,
    }
    run = subprocess.run([sys.executable, "-c", WORKER, json.dumps(LAZY)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    # Every request was answered by the site (/readyz is 503: no migrations were run here).
    assert found["answers"] == [200, 503, 401, 200]
    assert found["loaded"] == []
    assert found["hashes"] == 0  # no password hash is made until someone signs in


def test_the_migration_head_read_without_alembic_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from booking_web.migrate import alembic_config
    from booking_web.services.readiness import migration_head

    expected = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert migration_head() == expected


@pytest.mark.parametrize("source, expected", [
    ('revision = "0002"\ndown_revision = "0001"\n', ("0002", ("0001",))),
    ("revision: str = '0001'\ndown_revision: str | None = None\n", ("0001", ())),
    ('revision = "0003"\ndown_revision = ("0002a", "0002b")\n', ("0003", ("0002a", "0002b"))),
    ('revision = "0002"\ndown_revision = PREVIOUS\n', None),  # not a literal: Alembic decides
    ('revision = "0002"\n', None),
])
def test_a_migration_script_is_read_for_its_revisions(tmp_path: Path, source: str, expected: object) -> None:
    from booking_web.services.readiness import _revision_names

    script = tmp_path / "0002_x.py"
    script.write_text('"""A migration."""\nimport sqlalchemy as sa\n' + source)
    assert _revision_names(script) == expected


def test_every_name_label_printer_offers_is_there() -> None:
    import label_printer

    assert sorted(label_printer._HOME) == sorted(label_printer.__all__)
    missing = [name for name in label_printer.__all__ if getattr(label_printer, name, None) is None]
    assert missing == []
    with pytest.raises(AttributeError):
        label_printer.no_such_name  # noqa: B018
