"""Shared fixtures: every database test runs on SQLite (file, WAL) and on PostgreSQL.

PostgreSQL comes from PHLEBO_TEST_POSTGRES_URL (a server URL; `make test` starts a throwaway
server and sets it). Without it the PostgreSQL half is skipped locally and FAILS under CI."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

import shared.models  # noqa: F401
from shared.config import Settings
from shared.db import make_engine
from shared.errors import BookingError

from booking_web.reference_data import ensure_reference_data

@pytest.fixture(autouse=True)
def _refusals_have_words(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every refusal a test makes (in any thread) has the site's words for its problem and its
    fields' problems, with every value its words use (tests/unit/test_problem_codes.py reads the
    source for the ones no test reaches)."""
    from booking_web.messages import field_words, words

    made: list[BookingError] = []
    original = BookingError.__init__

    def recording(self: BookingError, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(BookingError, "__init__", recording)
    yield
    for error in made:
        words(error), field_words(error)  # raise KeyError for a code or value without words


# A Monday in term time, well clear of clock changes; tests move from here.
NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # 08:00 London in winter


def _postgres_server_url() -> str | None:
    url = os.environ.get("PHLEBO_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("PHLEBO_TEST_POSTGRES_URL is not set: CI must run the PostgreSQL half of the suite")
        return None
    return url


@pytest.fixture(autouse=True)
def printer_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with the printer addresses and languages label_printer knows by itself,
    and whatever it registers (sim://, a made-up language, `phlebo demo`'s printer) is forgotten
    after it: a registration that outlived its test changed later tests' answers (check-config
    listed sim:// among the known addresses when run after the demo test)."""
    import label_printer.backends as transports
    import label_printer.languages as languages

    monkeypatch.setattr(transports, "_TRANSPORTS", dict(transports.BUILT_IN_TRANSPORTS))
    monkeypatch.setattr(languages, "_LANGUAGES", dict(languages.BUILT_IN_LANGUAGES))


@pytest.fixture
def sim_transport() -> None:
    """sim:// printer addresses for this test (the in-process simulator; forgotten after it)."""
    import hardware_sim

    hardware_sim.register()


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine | None]:
    """A session-wide PostgreSQL database with the schema, dropped at the end."""
    server = _postgres_server_url()
    if server is None:
        yield None
        return
    name = f"phlebo_test_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=25)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path, pg_engine: Engine | None) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A clean database with reference data, on each backend."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        SQLModel.metadata.create_all(eng)
    else:
        if pg_engine is None:
            pytest.skip("PostgreSQL not configured (set PHLEBO_TEST_POSTGRES_URL, or run `make test`)")
        eng = pg_engine
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with eng.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    with Session(eng) as session:
        ensure_reference_data(session)
    yield eng
    if request.param == "sqlite":
        eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def settings(engine: Engine, tmp_path) -> Settings:  # type: ignore[no-untyped-def]
    """Settings for tests: demo defaults, a temporary instance folder."""
    return Settings.from_env({}, database_url=engine.url.render_as_string(hide_password=False),
                             instance_dir=tmp_path / "instance", secret_key="test-secret",
                             outbox_dir=tmp_path / "outbox")


@pytest.fixture
def app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    """The Flask app on the test database, with its clock stopped at NOW."""
    from booking_web import create_app

    application = create_app(settings, engine=engine)
    application.config["TESTING"] = True
    application.extensions["phlebo"].clock = lambda: NOW
    return application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """A test client for the app."""
    return app.test_client()
