"""Run a job once across every worker and server sharing a PostgreSQL database."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Engine

from shared.db import is_postgres


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a job name."""
    return int.from_bytes(
        hashlib.sha256(f"phlebo-job:{name}".encode()).digest()[:8], "big", signed=True
    )


@contextmanager
def job_lock(engine: Engine, name: str) -> Iterator[bool]:
    """Yield True if this process may run the job now. On PostgreSQL a transaction-scoped advisory
    lock (pg_try_advisory_xact_lock) is held on a connection of its own until the block ends, so a
    second scheduler skips the run instead of doing it again. SQLite has one host: always True."""
    if not is_postgres(engine):
        yield True
        return
    with engine.connect() as conn, conn.begin():
        got = conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)}
        ).scalar()
        yield bool(got)
