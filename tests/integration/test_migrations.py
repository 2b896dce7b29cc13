"""`phlebo init-db` (Alembic) builds exactly the schema the models describe, on both engines."""

from __future__ import annotations

import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import shared.models  # noqa: F401
from shared.db import make_engine

from booking_web.migrate import upgrade
from tests.conftest import _postgres_server_url


def _assert_matches_models(engine) -> None:  # type: ignore[no-untyped-def]
    upgrade(engine)
    upgrade(engine)  # running it again is harmless
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], "models changed without a migration: " + repr(diff)[:2000]


def test_migrations_match_models_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
    _assert_matches_models(engine)
    engine.dispose()


def test_migrations_match_models_on_postgresql():
    server = _postgres_server_url()
    if server is None:
        import pytest

        pytest.skip("PostgreSQL not configured")
    name = f"phlebo_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(server).set(database=name).render_as_string(hide_password=False))
    try:
        _assert_matches_models(engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
