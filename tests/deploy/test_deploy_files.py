"""The deployment files, checked without Docker or systemd running: the Dockerfile with
hadolint (its shipped linter binary, from PyPI), compose.yaml against the Compose
Specification's JSON schema (vendored in check-jsonschema) and for what it must wire up, and
the systemd units with `systemd-analyze verify`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """A command, its output kept."""
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_the_dockerfile_passes_hadolint():
    result = run(str(BIN / "hadolint"), "--config", ".hadolint.yaml", "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_builds_assets_in_a_stage_and_runs_phlebo_unprivileged():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", text, flags=re.M)
    assert [name for _image, name in stages] == ["assets", "build", ""]
    assert stages[0][0].startswith("node:") and "npm ci" in text
    assert all(image.startswith("python:3.11-slim") for image, _n in stages[1:])
    final = text.split("\nFROM python:3.11-slim-bookworm\n")[1]
    assert "COPY --from=build /opt/phlebo/venv /opt/phlebo/venv" in final
    assert "npm" not in final and "node_modules" not in final  # no build tools in what runs
    assert re.search(r"^USER 10001:10001$", final, flags=re.M)
    assert 'ENTRYPOINT ["phlebo"]' in final and "/readyz" in final
    assert "RUN deploy/build-venv.sh /opt/phlebo/venv /src" in text  # what test_image.py runs
    # Every source folder the package needs is copied in (setuptools' find includes these).
    packages = re.findall(r'"(\w+)\*"', (ROOT / "pyproject.toml").read_text())
    for package in packages:
        assert f"COPY {package} ./{package}" in text, package


def test_compose_matches_the_compose_specification():
    result = run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                 "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_postgres_web_and_scheduler_with_readiness_checks():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "migrate", "web", "scheduler"}
    assert services["db"]["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["web"]["command"][0] == "web" and services["scheduler"]["command"] == [
        "scheduler"]
    assert services["migrate"]["command"] == ["init-db"]
    for name in ("web", "scheduler"):
        test = services[name]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "phlebo", "health"] and test[-1].endswith(":8000/readyz")
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully")
        env = services[name]["environment"]
        assert env["PHLEBO_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["PHLEBO_EXPECT_SCHEDULER"] == "yes"
        assert "${PHLEBO_SECRET_KEY:?" in env["PHLEBO_SECRET_KEY"]  # no default secret
        assert "${PHLEBO_METRICS_TOKEN:?" in env["PHLEBO_METRICS_TOKEN"]
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]  # behind the host's TLS proxy


def test_the_systemd_units_verify():
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (Debian package systemd)")
    units = sorted((ROOT / "deploy" / "systemd").glob("phlebo-*"))
    assert {u.name for u in units} == {"phlebo-web.service", "phlebo-scheduler.service",
                                       "phlebo-kiosk.service", "phlebo-backup.service",
                                       "phlebo-backup.timer"}
    # verify also checks each command exists: point the units at this checkout's `phlebo`, and
    # the kiosk's compositor (cage, not installed here) at env.
    phlebo = str(BIN / "phlebo")
    out = Path(str(ROOT / "test-artifacts" / "systemd"))
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for unit in units:
        text = unit.read_text().replace("/opt/phlebo/venv/bin/phlebo", phlebo)
        (out / unit.name).write_text(text.replace("/usr/bin/cage ", "/usr/bin/env cage "))
    result = run(analyze, "verify", *sorted(str(p) for p in out.iterdir()))
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    web = (ROOT / "deploy/systemd/phlebo-web.service").read_text()
    assert "ExecStart=/opt/phlebo/venv/bin/phlebo web" in web and "User=phlebo" in web
    kiosk = (ROOT / "deploy/systemd/phlebo-kiosk.service").read_text()
    assert "Restart=always" in kiosk and "WantedBy=graphical.target" in kiosk
    assert "ExecStart=/usr/bin/cage -d -- /opt/phlebo/venv/bin/phlebo kiosk" in kiosk
