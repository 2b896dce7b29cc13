"""How many rows each table holds, in one statement: for tests that prove a refused request
wrote nothing."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

# Refused attempts are counted on purpose (that is how limits work), and the scheduler writes
# its own bookkeeping; neither is something a request did for its caller.
NOT_WRITES = frozenset({"rate_limit_bucket", "scheduler_job"})
# Rows written about a refusal, on purpose: a booking refused for details that do not match the
# patient's record is audited (who tried), and nothing else is written.
REFUSAL_RECORDS = {"staff_audit": "action <> 'booking_refused'"}


def rows_by_table(engine: Engine) -> dict[str, int]:
    """{table: row count} for every table but NOT_WRITES (and not counting REFUSAL_RECORDS)."""
    names = [t.name for t in SQLModel.metadata.sorted_tables if t.name not in NOT_WRITES]
    sql = " UNION ALL ".join(
        f"SELECT '{name}', COUNT(*) FROM \"{name}\""
        + (f" WHERE {REFUSAL_RECORDS[name]}" if name in REFUSAL_RECORDS else "")
        for name in names
    )
    with engine.connect() as conn:
        return {name: int(count) for name, count in conn.execute(text(sql))}
