"""Throwaway benchmark databases: a SQLite file (WAL) or a database on the throwaway PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from booking_web.migrate import upgrade
from booking_web.reference_data import ensure_reference_data
from booking_web.services.staff_audit import Actor
from shared.db import make_engine

KINDS = ("sqlite", "postgresql")

# Who the audit log says set up a benchmark's sites, clinics, accounts and keys.
BENCH = Actor(None, "bench set-up", "Bench set-up")


@dataclass(frozen=True)
class BenchDatabase:
    """One benchmark database and how to reach it."""

    kind: str  # "sqlite" or "postgresql"
    url: str


@contextmanager
def bench_database(
    kind: str, name: str, *, workdir: Path, server_url: str | None
) -> Iterator[BenchDatabase]:
    """A fresh, empty database with the schema and reference data; removed afterwards."""
    if kind == "sqlite":
        path = workdir / f"{name}.db"
        _remove_sqlite(path)
        try:
            db = BenchDatabase(kind, f"sqlite:///{path}")
            prepare_schema(db.url)
            yield db
        finally:
            _remove_sqlite(path)
        return
    if not server_url:
        raise RuntimeError(
            "PostgreSQL needs PHLEBO_TEST_POSTGRES_URL (run under scripts/with-postgres.sh)"
        )
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        db = BenchDatabase(
            kind, make_url(server_url).set(database=name).render_as_string(hide_password=False)
        )
        prepare_schema(db.url)
        yield db
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare_schema(url: str) -> None:
    """Run the migrations and load the appointment types, as `phlebo init-db` does."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            ensure_reference_data(session)
    finally:
        engine.dispose()


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
