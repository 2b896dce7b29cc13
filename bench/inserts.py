"""The database's raw write ceiling, run in its own process: single-row INSERTs into a small
table on one connection, committing every row. `python -m bench.inserts '<json>'` prints JSON."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from typing import Any

from bench.stats import summary_ms
from shared.db import make_engine

_CREATE = {
    "sqlite": "CREATE TABLE IF NOT EXISTS bench_insert (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, "
    "note VARCHAR(40) NOT NULL, created_at TIMESTAMP NOT NULL)",
    "postgresql": "CREATE TABLE IF NOT EXISTS bench_insert (id SERIAL PRIMARY KEY, n INTEGER NOT NULL, "
    "note VARCHAR(40) NOT NULL, created_at TIMESTAMPTZ NOT NULL)",
}


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    """Insert and commit one row at a time until the time or row budget runs out."""
    engine = make_engine(cfg["url"], pool_size=1)  # the app's engine settings (SQLite pragmas)
    dialect = engine.dialect.name
    mark = "?" if dialect == "sqlite" else "%s"
    sql = f"INSERT INTO bench_insert (n, note, created_at) VALUES ({mark}, {mark}, {mark})"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(_CREATE[dialect])
        raw.commit()
        timings: list[float] = []
        began = time.perf_counter()
        deadline = began + cfg["seconds"]
        while len(timings) < cfg["max_rows"] and time.perf_counter() < deadline:
            t0 = time.perf_counter()
            stamp: object = dt.datetime.now(dt.UTC)
            cur.execute(
                sql,
                (len(timings), "bench row", stamp.isoformat() if dialect == "sqlite" else stamp),
            )  # type: ignore[attr-defined]
            raw.commit()
            timings.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - began
    finally:
        raw.close()
        engine.dispose()
    return {
        "rows": len(timings),
        "elapsed_s": round(elapsed, 2),
        "rows_per_s": round(len(timings) / elapsed, 1),
        "latency": summary_ms(timings),
    }


def main(argv: list[str]) -> int:
    """Read the JSON config from argv[0] and print the JSON result."""
    print(json.dumps(run(json.loads(argv[0]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
