"""One real world per engine for the fault tests of a module: a fresh database with a clinic and
a partner key, and gunicorn serving it with its clock at NOW and the fault switch fitted. Tests in
a module share it, so each uses patients of its own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bench.server import RunningServer
from shared.config import Settings
from tests.conftest import NOW, _postgres_server_url
from tests.factories import make_clinic, make_partner_key, slots_of
from tests.live_server import fresh_database, live_server

DAY = dt.date(2026, 11, 25)


@dataclass
class Live:
    """A running server on its own database, and what tests need to talk to it."""

    kind: str
    engine: Engine
    server: RunningServer
    switch: Path  # the fault switch (tests.live_server.arm_fault)
    partner_key: str
    slot_ids: list[int]
    settings: Settings

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port>."""
        return self.server.base_url

    @property
    def port(self) -> int:
        """The port the server listens on (127.0.0.1)."""
        return int(self.server.base_url.rsplit(":", 1)[1])

    def session(self) -> Session:
        """A short-lived session on the server's database."""
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """gunicorn (one sync worker, --preload) on a fresh database of each engine."""
    pg_server = _postgres_server_url()
    if request.param == "postgresql" and pg_server is None:
        pytest.skip("PostgreSQL not configured (set PHLEBO_TEST_POSTGRES_URL, or run `make test`)")
    workdir = tmp_path_factory.mktemp(f"live-{request.param}")
    with fresh_database(request.param, workdir, pg_server) as engine:
        with Session(engine, expire_on_commit=False) as session:
            clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(12), chairs=3)
            slot_ids = [s.id for s in slots_of(session, clinic)]
            key = make_partner_key(session)
        url = engine.url.render_as_string(hide_password=False)
        switch = workdir / "fault"
        settings = Settings.from_env({}, database_url=url, instance_dir=workdir / "instance",
                                     secret_key="test-secret", outbox_dir=workdir / "outbox")
        env = getattr(request.module, "SERVER_ENV", {})  # a module's own settings for its server
        with live_server(url, workdir / "server", clock=NOW, fault_switch=switch, env=env) as server:
            yield Live(request.param, engine, server, switch, key, slot_ids, settings)  # type: ignore[arg-type]
