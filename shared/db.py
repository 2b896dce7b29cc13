"""Engine and sessions: SQLite (file, WAL) by default, PostgreSQL for multi-site deployments."""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, TextualSelect, bindparam, event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from shared.errors import UnstorableText


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for `url`. On SQLite (WAL): reads run without holding a lock, and the first
    write of a transaction starts it with BEGIN IMMEDIATE, so concurrent writers queue on the
    busy timeout instead of failing; services therefore claim capacity by conditional UPDATEs.
    SQL parameters (names, NHS numbers, dates of birth) are never put in error messages or logs:
    a database error logged with its traceback would otherwise carry the patient's details."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": 30, "isolation_level": "IMMEDIATE"}
        if not parsed.database or parsed.database == ":memory:":
            # tests and tools only
            engine = create_engine(url, connect_args=connect_args, hide_parameters=True)
            _refuse_unstorable_text(engine)
            return engine
        # Writers queue on SQLite's lock, so allow as many connections as threads may ask for.
        engine = create_engine(url, connect_args=connect_args, pool_size=pool_size, max_overflow=64,
                               pool_timeout=60, hide_parameters=True)
        _sqlite_pragmas(engine)
        _refuse_unstorable_text(engine)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                           hide_parameters=True)
    _refuse_unstorable_text(engine)
    _keep_prepared_statements(engine)
    return engine


def _keep_prepared_statements(engine: Engine) -> None:
    """End a PostgreSQL transaction that wrote nothing with COMMIT, not ROLLBACK (the same effect:
    nothing to keep or undo). Why: psycopg prepares a statement on a connection once it has run
    five times (prepare_threshold), so PostgreSQL stops parsing and planning it, but it drops every
    prepared statement on ROLLBACK (a rolled-back transaction may have dropped what they refer to),
    and every read-only request ended in one (the session closes with a rollback), so nothing
    stayed prepared. Measured (bench/HISTORY.md): PostgreSQL's CPU for a list + booking more than
    halved. A transaction that ran anything but SELECT, or failed, still ends in ROLLBACK."""
    from psycopg.pq import TransactionStatus  # PostgreSQL only: SQLite deployments never get here

    wrote: weakref.WeakSet[Any] = weakref.WeakSet()  # DBAPI connections with a write this transaction
    rollback = engine.dialect.do_rollback

    @event.listens_for(engine, "before_cursor_execute")
    def _note_write(conn, _cursor, statement, _parameters, _context, _executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip()[:6].upper() != "SELECT":
            wrote.add(conn.connection.dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        raw = getattr(dbapi_connection, "dbapi_connection", dbapi_connection)  # the pool's proxy, or it
        try:
            if raw not in wrote and raw.info.transaction_status == TransactionStatus.INTRANS:
                raw.commit()
            else:
                rollback(dbapi_connection)
        finally:
            wrote.discard(raw)

    def do_commit(dbapi_connection: Any) -> None:
        dbapi_connection.commit()
        wrote.discard(getattr(dbapi_connection, "dbapi_connection", dbapi_connection))

    engine.dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    engine.dialect.do_commit = do_commit  # type: ignore[method-assign]


def _refuse_unstorable_text(engine: Engine) -> None:
    """Raise UnstorableText before a statement carries text no database can keep: PostgreSQL
    refuses NUL, neither driver can encode a lone surrogate (a DataError or UnicodeEncodeError,
    i.e. a 500), and SQLite would keep a NUL the other engine could not. Whatever door the text
    came in by (a form, a query, JSON, a header), it is bad input, answered 4xx with nothing
    written. A few microseconds a statement: the values are short and usually ASCII."""

    @event.listens_for(engine, "before_cursor_execute")
    def _check(_conn, _cursor, _statement, parameters, _context, _executemany):  # type: ignore[no-untyped-def]
        # One row or many, by name or by position (or flattened, for SQLite's multi-row INSERTs).
        stack = [parameters]
        while stack:
            value = stack.pop()
            if isinstance(value, str):
                if "\x00" in value or not _encodable(value):
                    raise UnstorableText("text_unstorable")
            elif isinstance(value, Mapping):
                stack.extend(value.values())
            elif isinstance(value, list | tuple):
                stack.extend(value)


def _encodable(text_value: str) -> bool:
    if text_value.isascii():
        return True
    try:
        text_value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")  # first, so the pragmas below wait too
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def is_postgres(engine: Engine) -> bool:
    """True for PostgreSQL engines."""
    return engine.dialect.name == "postgresql"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that rolls back on error and always closes."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """One unit of work: the block's writes are committed together at its end, or all rolled back
    when it raises (the session stays usable). A block inside another joins it: only the
    outermost commits or rolls back, so a use case can run inside a larger one (accepting a
    waiting-list offer moves the booking in the offer's own transaction)."""
    depth = session.info.get("transaction_depth", 0)
    session.info["transaction_depth"] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info["transaction_depth"] = depth


def insert_on_conflict(
    table: Table,
    columns: Sequence[str],
    *,
    conflict: str,
    update: Mapping[str, str] | None = None,
    where: str | None = None,
    returning: Sequence[str] = ("id",),
) -> TextualSelect:
    """`INSERT INTO table (columns) VALUES (:columns) ON CONFLICT (conflict) DO NOTHING` (or
    `DO UPDATE SET col = expr, .. [WHERE ..]`) `RETURNING ..`, as SQL text that runs unchanged on
    SQLite (3.35+) and PostgreSQL, with the table's own column types on its parameters and
    results. Why text: SQLAlchemy cannot cache the compiled form of the dialects' insert()
    constructs (sqlalchemy.dialects.*.insert has no cache key), so building and compiling one
    cost about 0.8 ms of CPU on every booking. Build these once, at import time."""
    cols = table.c
    action = "NOTHING"
    if update:
        action = "UPDATE SET " + ", ".join(f"{name} = {expr}" for name, expr in update.items())
        if where:
            action += f" WHERE {where}"
    params = ", ".join(":" + c for c in columns)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({params}) "
        f"ON CONFLICT ({conflict}) DO {action} RETURNING {', '.join(returning)}"
    )
    return (
        text(sql)
        .bindparams(*(bindparam(name, type_=cols[name].type) for name in columns))
        .columns(*(cols[name] for name in returning))
    )
