"""Query plans of the statements a service call really sends (captured at the DBAPI level)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


def capture_statement(
    engine: Engine, call: Callable[[], object], contains: str
) -> tuple[str, Any] | None:
    """The first SQL statement (and its DBAPI parameters) containing `contains` that call() sends."""
    seen: list[tuple[str, Any]] = []

    def _record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if contains in statement and not seen:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", _record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", _record)
    return seen[0] if seen else None


def explain(engine: Engine, statement: str, parameters: Any) -> list[str]:
    """EXPLAIN QUERY PLAN (SQLite) or EXPLAIN ANALYZE (PostgreSQL) of a captured statement."""
    prefix = (
        "EXPLAIN QUERY PLAN "
        if engine.dialect.name == "sqlite"
        else "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
    )
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(prefix + statement, parameters)
        rows = cur.fetchall()
        raw.rollback()
    finally:
        raw.close()
    if engine.dialect.name == "sqlite":
        return [str(row[-1]) for row in rows]
    return [str(row[0]) for row in rows]
