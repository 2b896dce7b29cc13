"""Run a job once at a time across every scheduler sharing a database."""

from __future__ import annotations

import fcntl
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
    """Yield True if this process may run the job now; a second scheduler gets False and skips the
    run. Either lock dies with its holder, so the next holder knows the one before is gone (the
    outbox takes over its messages at once). On PostgreSQL a transaction-scoped advisory lock
    (pg_try_advisory_xact_lock) on a connection of its own: the server ends the session of a
    killed process. On SQLite (one host) an exclusive flock() on a file beside the database: the
    kernel lets go when the process dies. An in-memory database (tests, tools) has no other
    process to keep out."""
    if is_postgres(engine):
        with engine.connect() as conn, conn.begin():
            got = conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)}
            ).scalar()
            yield bool(got)
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield True
        return
    with open(f"{database}.{name}.lock", "a+b") as held:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
