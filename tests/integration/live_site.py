"""A real site for tests that need processes: a migrated SQLite file with a clinic, and the site
run by gunicorn with the shipped settings (phlebo.gunicorn_conf)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlmodel import Session

from booking_web.migrate import upgrade
from booking_web.reference_data import ensure_reference_data
from shared.db import make_engine
from shared.timeutil import london_today, utcnow
from tests.factories import make_clinic, make_partner_key, make_site, slots_of

SECRET = "live-site-tests-only-0123456789abcdefghij"


@dataclass(frozen=True)
class World:
    """The database, its clinic's slot ids and a partner API key."""

    url: str
    slot_ids: list[int]
    key: str


def make_world(path: Path, *, chairs: int = 40) -> World:
    """A migrated SQLite database with one clinic three days from now."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        ensure_reference_data(session)
        clinic = make_clinic(session, site=make_site(session), day=london_today(utcnow())
                             + dt.timedelta(days=3), chairs=chairs)
        slot_ids = [int(s.id) for s in slots_of(session, clinic)]  # type: ignore[arg-type]
        key = make_partner_key(session)
    engine.dispose()
    return World(url, slot_ids, key)


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def site_env(world: World, instance: Path, **extra: str) -> dict[str, str]:
    """Production settings for the site on this world."""
    return {**os.environ, "PHLEBO_DATABASE_URL": world.url, "PHLEBO_INSTANCE_DIR": str(instance),
            "PHLEBO_ENV": "production", "PHLEBO_SECRET_KEY": SECRET,
            "PHLEBO_PUBLIC_URL": "https://bloodtests.example.nhs.uk",
            "PHLEBO_BOOKING_PHONE": "01632 960 000",
            "PHLEBO_MIN_NOTICE_MINUTES": "0", **extra}


@contextmanager
def gunicorn(env: dict[str, str], log_path: Path, *, workers: int, port: int | None = None) -> Iterator[str]:
    """The site under gunicorn -c python:phlebo.gunicorn_conf (on `port`, or a free one);
    yields its base URL."""
    port = port or free_port()
    env = {**env, "PHLEBO_BIND": f"127.0.0.1:{port}", "PHLEBO_WORKERS": str(workers)}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:phlebo.gunicorn_conf",
             "booking_web:create_app()"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process, log_path)
        yield base
    finally:
        stop(process)


def wait_healthy(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Until /healthz answers 200 (at most a minute; the log is shown if it never does)."""
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, "the site did not start:\n" + log_path.read_text()
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (gunicorn stops its workers), then SIGKILL to its own session if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # our own session: gunicorn and its workers
            process.wait(timeout=5)
