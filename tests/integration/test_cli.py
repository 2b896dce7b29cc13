"""The `phlebo` command, run in-process against a real database."""

from __future__ import annotations

import io

from sqlmodel import Session, select

from shared.db import make_engine
from shared.models import ApiKey, AppointmentType, KeyKind, Site, StaffUser

from booking_web.services.accounts import authenticate, key_for_token
from phlebo.cli import main


def run(monkeypatch, capsys, tmp_path, engine, *argv, stdin: str = ""):
    monkeypatch.setenv("PHLEBO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PHLEBO_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    return code, capsys.readouterr()


def test_init_db_on_an_empty_database_then_seed_demo(monkeypatch, capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = make_engine(url)
    for _ in range(2):  # a second run (the next release) is harmless
        code, out = run(monkeypatch, capsys, tmp_path, engine, "init-db")
        assert code == 0 and "Database ready" in out.out
    code, out = run(monkeypatch, capsys, tmp_path, engine, "seed-demo")
    with Session(engine) as session:
        assert code == 0 and len(session.exec(select(Site)).all()) == 4
        assert len(session.exec(select(AppointmentType)).all()) == 5
    engine.dispose()


def test_create_api_key_prints_the_key_alone_on_the_last_line(monkeypatch, capsys, tmp_path, engine, session):
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-api-key", "GP system")
    key = out.out.strip().splitlines()[-1]
    assert code == 0 and key.startswith("phl_") and " " not in key
    assert key_for_token(session=session, token=key).name == "GP system"
    assert key not in {k.key_hash for k in session.exec(select(ApiKey))}  # only its hash is stored


def test_create_kiosk_needs_a_real_site(monkeypatch, capsys, tmp_path, engine, session):
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-kiosk", "Front door", "--site", "99")
    assert code == 2 and "site" in out.err
    run(monkeypatch, capsys, tmp_path, engine, "seed-demo")
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-kiosk", "Front door", "--site", "1")
    key = key_for_token(session=session, token=out.out.strip().splitlines()[-1])
    assert code == 0 and key.kind == KeyKind.KIOSK and key.site_id == 1


def test_create_staff_with_password_on_stdin(monkeypatch, capsys, tmp_path, engine, session):
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-staff", "sam", "--role", "admin",
                    "--password-stdin", stdin="a long enough password\n")
    assert code == 0
    assert authenticate(session=session, username="sam", password="a long enough password").role == "admin"
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-staff", "kim", "--password-stdin", stdin="short\n")
    assert code == 2 and "12 characters" in out.err
    assert [u.username for u in session.exec(select(StaffUser))] == ["sam"]
