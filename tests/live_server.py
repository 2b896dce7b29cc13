"""The site as deployed (gunicorn, sync workers) for tests that need a real server: faults from
outside, raw sockets, a database stopped underneath.

gunicorn runs `tests.live_server:live_app()`: create_app() from the environment, plus two things
only tests want, also from the environment:
- PHLEBO_TEST_CLOCK (ISO instant): the app's clock stands still there, as in the other tests;
- PHLEBO_TEST_FAULT (a file path): when that file says `<when> <path>`, the worker handling a
  request to <path> deletes the file and kills itself with SIGKILL (no clean-up, no answer) at
  <when>: `before_commit` (nothing is committed) or `after_commit` (committed, the answer never
  sent). Tests arm it with `arm_fault`."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlmodel import SQLModel
from sqlmodel import Session as ModelSession

import shared.models  # noqa: F401  (registers the tables)
from bench.server import RunningServer, ServerConfig, gunicorn
from booking_web import create_app
from booking_web.reference_data import ensure_reference_data
from shared.db import make_engine

APP = "tests.live_server:live_app()"
FAULT_POINTS = ("before_commit", "after_commit")


def live_app() -> Flask:
    """create_app() with the test clock and fault switch from the environment."""
    app = create_app()
    clock = os.environ.get("PHLEBO_TEST_CLOCK")
    if clock:
        instant = dt.datetime.fromisoformat(clock)
        app.extensions["phlebo"].clock = lambda: instant
    fault = os.environ.get("PHLEBO_TEST_FAULT")
    if fault:
        _install_fault(app, Path(fault))
    return app


def _install_fault(app: Flask, switch: Path) -> None:
    def at(point: str):  # type: ignore[no-untyped-def]
        def maybe_die(*_args: object) -> None:
            if not has_request_context():
                return
            try:
                armed = switch.read_text().split()
            except FileNotFoundError:
                return
            if armed != [point, request.path]:
                return
            try:
                switch.unlink()  # once: whichever worker gets here first
            except FileNotFoundError:
                return
            os.kill(os.getpid(), signal.SIGKILL)

        return maybe_die

    event.listen(app.extensions["phlebo"].engine, "commit", at("before_commit"))  # before the DBAPI commit
    event.listen(Session, "after_commit", at("after_commit"))  # the DBAPI commit has returned


def arm_fault(switch: Path, point: str, path: str) -> None:
    """Make the next request to `path` kill its worker at `point` (see the module docstring)."""
    assert point in FAULT_POINTS
    switch.write_text(f"{point} {path}")


@contextmanager
def fresh_database(kind: str, workdir: Path, pg_server: str | None) -> Iterator[Engine]:
    """An empty database with the schema and reference data: a SQLite file in workdir, or a new
    database on the PostgreSQL server (dropped afterwards)."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{workdir / 'live.db'}")
        admin = None
        name = ""
    else:
        assert pg_server is not None
        name = f"phlebo_live_{uuid.uuid4().hex[:8]}"
        admin = make_engine(pg_server).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(make_url(pg_server).set(database=name).render_as_string(hide_password=False))
    SQLModel.metadata.create_all(engine)
    with ModelSession(engine) as session:
        ensure_reference_data(session)
    try:
        yield engine
    finally:
        engine.dispose()
        if admin is not None:
            with contextlib.suppress(OperationalError):  # a server the test stopped takes it along
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@contextmanager
def live_server(
    database_url: str, workdir: Path, *, clock: dt.datetime | None = None, fault_switch: Path | None = None,
    workers: int = 1, env: dict[str, str] | None = None,
) -> Iterator[RunningServer]:
    """gunicorn with `workers` sync workers on a free loopback port, the app built once in the
    master (--preload), so a killed worker is replaced at once."""
    # development: cookies without Secure, as the tests speak plain HTTP on loopback
    extra = {"PHLEBO_MIN_NOTICE_MINUTES": "120", "PHLEBO_ENV": "development", **(env or {})}
    if clock is not None:
        extra["PHLEBO_TEST_CLOCK"] = clock.isoformat()
    if fault_switch is not None:
        extra["PHLEBO_TEST_FAULT"] = str(fault_switch)
    with gunicorn(database_url, config=ServerConfig(worker_class="sync", workers=workers, threads=1),
                  instance_dir=workdir, extra_env=extra, app=APP, preload=True,
                  stop_signal=signal.SIGINT, ready_timeout=90) as server:
        yield server
