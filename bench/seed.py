"""Bulk seeding of sites, clinic sessions and slots with raw executemany/COPY (not the ORM)."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared.postcodes import coordinates_for
from shared.timeutil import local_to_utc

SITE_COLUMNS = (
    "id",
    "name",
    "address",
    "postcode",
    "latitude",
    "longitude",
    "access_notes",
    "paediatric",
    "active",
)
SESSION_COLUMNS = (
    "id",
    "site_id",
    "date",
    "start_time",
    "end_time",
    "slot_minutes",
    "chairs",
    "closed_at",
    "closed_reason",
    "created_at",
)
TYPE_COLUMNS = ("session_id", "type_code")
SLOT_COLUMNS = ("id", "session_id", "site_id", "starts_at", "ends_at", "capacity", "booked")
DISTRICTS = tuple(f"LS{n}" for n in range(1, 30))  # the demo postcode table's districts
TABLES = (
    ("clinic_session", SESSION_COLUMNS),
    ("clinic_session_type", TYPE_COLUMNS),
    ("slot", SLOT_COLUMNS),
)


@dataclass(frozen=True)
class SeedPlan:
    """Sites with clinic sessions every day from first_day for `days` days."""

    sites: int
    first_day: dt.date
    days: int
    booked_fraction: float = 0.3  # share of slots that are full
    closed_fraction: float = 0.0  # share of sessions closed by staff
    chairs: tuple[int, ...] = (2, 3)
    weekday_hours: tuple[dt.time, dt.time] = (dt.time(7, 0), dt.time(18, 0))
    saturday_hours: tuple[dt.time, dt.time] | None = (dt.time(8, 0), dt.time(13, 0))
    sunday_hours: tuple[dt.time, dt.time] | None = None
    slot_minutes: int = 10
    type_codes: tuple[str, ...] = ("adult", "fasting", "inr")
    seed: int = 20261123


@dataclass(frozen=True)
class SeedResult:
    """What was seeded and how long it took."""

    sites: int
    sessions: int
    slots: int
    seconds: float


def _hours(plan: SeedPlan, day: dt.date) -> tuple[dt.time, dt.time] | None:
    weekday = day.weekday()
    if weekday < 5:
        return plan.weekday_hours
    return plan.saturday_hours if weekday == 5 else plan.sunday_hours


def _day_slots(
    plan: SeedPlan, day: dt.date, hours: tuple[dt.time, dt.time]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """UTC (start, end) of each slot on a day, stepping in London wall-clock time."""
    start, end = dt.datetime.combine(day, hours[0]), dt.datetime.combine(day, hours[1])
    step = dt.timedelta(minutes=plan.slot_minutes)
    times = []
    while start + step <= end:
        times.append((local_to_utc(day, start.time()), local_to_utc(day, (start + step).time())))
        start += step
    return times


def _site_rows(plan: SeedPlan) -> list[tuple[object, ...]]:
    rng = random.Random(plan.seed)
    rows = []
    for n in range(1, plan.sites + 1):
        district = DISTRICTS[(n - 1) % len(DISTRICTS)]
        lat, lon = coordinates_for(district) or (53.7965, -1.5478)
        rows.append(
            (
                n,
                f"Bench site {n:03d}",
                f"{n} Clinic Road, Leeds",
                f"{district} 1AA",
                lat + rng.uniform(-0.01, 0.01),
                lon + rng.uniform(-0.01, 0.01),
                "",
                n % 10 == 0,
                True,
            )
        )
    return rows


def _schedule(plan: SeedPlan, now: dt.datetime) -> Iterator[dict[str, list[tuple[object, ...]]]]:
    """Rows for each site in turn: {table: rows} for its sessions, session types and slots."""
    rng = random.Random(plan.seed + 1)
    days = [plan.first_day + dt.timedelta(days=i) for i in range(plan.days)]
    templates = {d: (h, _day_slots(plan, d, h)) for d in days if (h := _hours(plan, d)) is not None}
    session_id = slot_id = 0
    for site_id in range(1, plan.sites + 1):
        chairs = plan.chairs[site_id % len(plan.chairs)]
        rows: dict[str, list[tuple[object, ...]]] = {table: [] for table, _columns in TABLES}
        for day, (hours, times) in templates.items():
            session_id += 1
            closed = now if rng.random() < plan.closed_fraction else None
            rows["clinic_session"].append(
                (
                    session_id,
                    site_id,
                    day,
                    hours[0],
                    hours[1],
                    plan.slot_minutes,
                    chairs,
                    closed,
                    "Staff training" if closed else "",
                    now,
                )
            )
            rows["clinic_session_type"].extend((session_id, code) for code in plan.type_codes)
            for start, end in times:
                slot_id += 1
                booked = chairs if rng.random() < plan.booked_fraction else 0
                rows["slot"].append((slot_id, session_id, site_id, start, end, chairs, booked))
        yield rows


def seed(url: str, plan: SeedPlan, *, now: dt.datetime) -> SeedResult:
    """Insert the plan's sites, sessions and slots into an empty, migrated database."""
    began = time.perf_counter()
    if make_url(url).get_backend_name() == "sqlite":
        counts = _seed_sqlite(str(make_url(url).database), plan, now)
    else:
        counts = _seed_postgres(url, plan, now)
    return SeedResult(
        plan.sites, counts["clinic_session"], counts["slot"], round(time.perf_counter() - began, 2)
    )


@cache
def _sqlite_value(value: object) -> object:
    """The text SQLAlchemy stores for dates and times on SQLite (UTC, no offset); cached, as
    every site shares the same slot times."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S.%f")
    return value


def _sqlite_rows(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Rows with their date and time values as SQLite text."""
    if not rows:
        return rows
    temporal = [i for i, v in enumerate(rows[0]) if isinstance(v, dt.date | dt.time)]
    temporal += [
        i for i, v in enumerate(rows[0]) if v is None
    ]  # nullable timestamps: convert if set
    out = []
    for row in rows:
        values = list(row)
        for i in temporal:
            if values[i] is not None:
                values[i] = _sqlite_value(values[i])
        out.append(tuple(values))
    return out


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


@contextmanager
def sqlite_bulk(path: str) -> Iterator[sqlite3.Connection]:
    """A connection to the SQLite file for bulk writes (no fsync), committed when the block ends
    without an error, closed either way."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        yield conn
        conn.commit()
    finally:
        conn.close()


@contextmanager
def postgres_bulk(url: str) -> Iterator[Any]:
    """A psycopg cursor for COPY into the database at `url`, without foreign-key triggers; the
    work is committed when the block ends without an error, then the database is analysed."""
    engine = create_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            conn = raw.driver_connection
            assert conn is not None
            with conn.cursor() as cur:
                # The rows are consistent by construction: skip the per-row foreign-key triggers.
                cur.execute("SET session_replication_role = replica")
                yield cur
            conn.commit()
        finally:
            raw.close()
        # What autovacuum would have done by the time a real table got this big.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn2:
            conn2.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def reset_serial(cur: Any, table: str) -> None:
    """Move the table's id sequence past the ids the COPY wrote, so the next insert gets a new one."""
    cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))")


def _seed_sqlite(path: str, plan: SeedPlan, now: dt.datetime) -> dict[str, int]:
    counts = {table: 0 for table, _columns in TABLES}
    with sqlite_bulk(path) as conn:
        conn.executemany(_insert_sql("site", SITE_COLUMNS), _site_rows(plan))
        for rows in _schedule(plan, now):
            for table, columns in TABLES:  # parents first, for the foreign keys
                conn.executemany(_insert_sql(table, columns), _sqlite_rows(rows[table]))
                counts[table] += len(rows[table])
    return counts


def _seed_postgres(url: str, plan: SeedPlan, now: dt.datetime) -> dict[str, int]:
    counts = {table: 0 for table, _columns in TABLES}
    with postgres_bulk(url) as cur:
        _copy(cur, "site", SITE_COLUMNS, _site_rows(plan))
        for rows in _schedule(plan, now):
            for table, columns in TABLES:
                _copy(cur, table, columns, rows[table])
                counts[table] += len(rows[table])
        for table in ("site", "clinic_session", "slot"):
            reset_serial(cur, table)
    return counts


def _copy(cur: Any, table: str, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    """COPY rows in text format, built here (psycopg's per-value adaptation is the slow part)."""
    lines = ["\t".join(_pg_text(v) for v in row) for row in rows]
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write("\n".join(lines) + "\n" if lines else "")


def _pg_text(value: object) -> str:
    """A value in COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return _iso(value)
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


@cache
def _iso(value: dt.date | dt.time) -> str:
    """ISO text for a date or time (cached: every site shares the same slot times)."""
    return value.isoformat()
