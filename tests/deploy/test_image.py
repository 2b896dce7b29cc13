"""The container image's Python environment, built the way the Dockerfile builds it (the same
script, from the repository's tracked files and the built NHS.UK assets only, no editable
install), then used as the image uses it: check-config, init-db (the migrations are shipped),
and `phlebo web` (gunicorn) answering /healthz, /readyz, /metrics and a stylesheet."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx

from tests.integration.live_site import free_port, stop, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "image-test-metrics-token-0123"


def copy_sources(target: Path) -> None:
    """What the Dockerfile copies: tracked files, and the assets stage's output."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        if (ROOT / name).is_file():  # (a file deleted but not yet committed is skipped)
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "booking_web/static/vendor", target / "booking_web/static/vendor")


def test_the_image_environment_installs_and_serves(tmp_path):
    source, venv = tmp_path / "src", tmp_path / "venv"
    copy_sources(source)
    built = subprocess.run([str(source / "deploy/build-venv.sh"), str(venv), str(source)],
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stdout + built.stderr
    phlebo = str(venv / "bin" / "phlebo")
    assert not list(venv.glob("lib/python*/site-packages/__editable__*"))  # a real install

    instance = tmp_path / "instance"
    env = {"PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "PHLEBO_ENV": "production", "PHLEBO_SECRET_KEY": "image-test-secret-0123456789abcdefgh",
           "PHLEBO_BOOKING_PHONE": "01632 960 000",
           "PHLEBO_INSTANCE_DIR": str(instance), "PHLEBO_METRICS_TOKEN": TOKEN,
           "PHLEBO_DATABASE_URL": f"sqlite:///{instance / 'phlebo.db'}",
           "PHLEBO_PUBLIC_URL": "https://phlebo.example.nhs.uk", "PHLEBO_LOG_FORMAT": "json"}
    run = {"capture_output": True, "text": True, "timeout": 120, "cwd": tmp_path, "env": env}
    checked = subprocess.run([phlebo, "check-config"], **run)  # type: ignore[call-overload]
    assert checked.returncode == 0, checked.stdout + checked.stderr
    migrated = subprocess.run([phlebo, "init-db"], **run)  # type: ignore[call-overload]
    assert migrated.returncode == 0 and "Database ready" in migrated.stdout, migrated.stderr

    port = free_port()
    log = tmp_path / "web.log"
    with open(log, "wb") as out:
        web = subprocess.Popen([phlebo, "web", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                               env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, web, log)
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        metrics = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert metrics.status_code == 200 and "phlebo_bookings_total" in metrics.text
        home = httpx.get(f"{base}/", timeout=10)
        assert home.status_code == 200
        css = re.findall(r'href="(/static/[^"]+\.css)"', home.text)
        assert css and all(httpx.get(base + href).status_code == 200 for href in css)
    finally:
        stop(web)
    assert web.returncode == 0, log.read_text()
