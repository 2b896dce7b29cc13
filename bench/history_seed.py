"""A service's history on top of bench/seed.py's clinics, for the reports benchmark: a patient
for every booked chair (from a pool), appointments in every state (attended, did not attend,
cancelled beforehand, still to come), calls to the chair, collections, labels with their print
jobs, and the booking and reminder messages. Written with executemany (SQLite) or COPY
(PostgreSQL), like the clinics, in the column order of the tables themselves."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, create_engine, text
from sqlalchemy.engine import make_url

from bench.seed import _insert_sql, postgres_bulk, reset_serial, sqlite_bulk
from shared.models import (
    Appointment,
    OutboxMessage,
    Patient,
    PrintJob,
    PrintJobLabel,
    QueueCall,
    Specimen,
)
from shared.nhs_number import make_test_number

CHANNELS = ("web",) * 70 + ("api",) * 20 + ("staff",) * 10
TABLES: tuple[Table, ...] = tuple(
    m.__table__ for m in (Patient, Appointment, QueueCall, PrintJob, Specimen, PrintJobLabel,  # type: ignore[attr-defined]
                          OutboxMessage))
NAMES = [t.name for t in TABLES]


@dataclass(frozen=True)
class HistoryResult:
    """How many rows of each table were written, and how long it took."""

    rows: dict[str, int]
    seconds: float


def _slots(url: str) -> list[tuple[int, int, dt.datetime, int]]:
    """(slot id, site id, start, chairs booked) of every slot with a chair booked."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text(
                "SELECT id, site_id, starts_at, booked FROM slot WHERE booked > 0 ORDER BY id")).all()
    finally:
        engine.dispose()
    out = []
    for slot_id, site_id, starts, booked in found:
        if isinstance(starts, str):
            starts = dt.datetime.fromisoformat(starts).replace(tzinfo=dt.UTC)
        out.append((slot_id, site_id, starts, booked))
    return out


class _Ids:
    """Serial ids handed out as the rows are made."""

    def __init__(self) -> None:
        self.next = {name: 1 for name in NAMES}

    def take(self, name: str) -> int:
        value = self.next[name]
        self.next[name] = value + 1
        return value


def _history(slots: list[tuple[int, int, dt.datetime, int]], *, patients: int, now: dt.datetime,
             seed: int) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Rows in batches of about 20,000 slots, {table: rows as dicts}; patients come first."""
    rng = random.Random(seed)
    ids = _Ids()
    yield {"patient": [dict(
        id=n, nhs_number=make_test_number(n * 9), given_name="Bench",
        family_name=f"Patient{n}", date_of_birth=dt.date(1940 + n % 60, 1 + n % 12, 1 + n % 28),
        postcode="LS1 1AA", mobile="07700900000", email="", created_at=now)
        for n in range(1, patients + 1)]}
    for begin in range(0, len(slots), 20_000):
        batch: dict[str, list[dict[str, Any]]] = {name: [] for name in NAMES}
        for slot_id, site_id, starts, booked in slots[begin:begin + 20_000]:
            for _chair in range(booked):
                _booking(batch, ids, rng, slot_id, site_id, starts, now, patients, cancelled=False)
            if rng.random() < 0.12:  # a chair that was booked and then given back
                _booking(batch, ids, rng, slot_id, site_id, starts, now, patients, cancelled=True)
        yield batch


def _booking(batch: dict[str, list[dict[str, Any]]], ids: _Ids, rng: random.Random, slot_id: int,
             site_id: int, starts: dt.datetime, now: dt.datetime, patients: int, *,
             cancelled: bool) -> None:
    appt_id = ids.take("appointment")
    created = starts - dt.timedelta(minutes=int(rng.expovariate(1 / (60 * 24 * 9))) + 30)
    row: dict[str, Any] = dict(
        id=appt_id, reference=f"B{appt_id:09d}", slot_id=slot_id, site_id=site_id,
        patient_id=rng.randint(1, patients), type_code="adult", status="booked", request_number=None,
        starts_at=starts, created_at=created, updated_at=created, cancelled_at=None,
        cancel_reason="", cancelled_by="", checked_in_at=None, queue_number=None,
        collected_at=None, collected_by="", version=1, channel=rng.choice(CHANNELS), walk_in=False)
    batch["appointment"].append(row)
    messages = [("booked", created)]
    if cancelled:
        row.update(status="cancelled", cancelled_by="patient", cancel_reason="Cancelled online",
                   cancelled_at=max(created, starts - dt.timedelta(hours=rng.choice((2, 30, 100)))))
        messages.append(("cancelled", row["cancelled_at"]))
    else:
        messages.append(("reminder", max(created, starts - dt.timedelta(days=1))))
        if starts < now:
            draw = rng.random()
            if draw < 0.07:
                row["status"] = "dna"
            else:
                _attended(batch, ids, rng, row, starts, collected=draw < 0.995)
    for template, at in messages:
        if at >= now:
            continue
        batch["outbox_message"].append(dict(
            id=ids.take("outbox_message"), dedup_key=f"{template}:{appt_id}", channel="sms",
            recipient="07700900000", template=template, personalisation="{}",
            status="failed" if rng.random() < 0.02 else "sent", attempts=1, next_try_at=at,
            last_error="", created_at=at, sent_at=at, provider_id="", appointment_id=appt_id,
            only_if_version=None, expires_at=None))


def _attended(batch: dict[str, list[dict[str, Any]]], ids: _Ids, rng: random.Random,
              row: dict[str, Any], starts: dt.datetime, *, collected: bool) -> None:
    checked_in = starts - dt.timedelta(seconds=rng.randint(-300, 1200))
    called = checked_in + dt.timedelta(seconds=int(rng.expovariate(1 / 600)))
    row.update(status="collected" if collected else "checked_in", checked_in_at=checked_in,
               queue_number=ids.take("queue_call"))
    batch["queue_call"].append(dict(appointment_id=row["id"], called_at=called, called_by="Bench"))
    if collected:
        row.update(collected_at=called + dt.timedelta(seconds=rng.randint(120, 600)),
                   collected_by="Bench")
    job = ids.take("print_job")
    batch["print_job"].append(dict(
        id=job, appointment_id=row["id"], site_id=row["site_id"], source="kiosk", status="printed",
        printer_status="ok", detail="", reason="", requested_by="", api_key_id=None,
        created_at=checked_in, reported_at=checked_in))
    for position in (1, 2):
        specimen = ids.take("specimen")
        batch["specimen"].append(dict(
            id=specimen, specimen_id=f"{specimen:010d}", appointment_id=row["id"], container="EDTA",
            tests="FBC", position=position, of_total=2, created_at=checked_in))
        batch["print_job_label"].append(dict(
            job_id=job, specimen_pk=specimen, position=position, reprint=False,
            outcome="confirmed" if rng.random() < 0.995 else "unconfirmed", attempts=1))


def seed_history(url: str, *, now: dt.datetime, patients: int = 100_000, seed: int = 15) -> HistoryResult:
    """Write the history of every booked chair seeded by bench.seed into the database at `url`."""
    began = time.perf_counter()
    batches = _history(_slots(url), patients=patients, now=now, seed=seed)
    if make_url(url).get_backend_name() == "sqlite":
        rows = _write_sqlite(str(make_url(url).database), batches)
    else:
        rows = _write_postgres(url, batches)
    return HistoryResult(rows, round(time.perf_counter() - began, 1))


def _columns(name: str) -> list[str]:
    return [c.name for c in next(t for t in TABLES if t.name == name).columns]


def _defaults(name: str) -> dict[str, object]:
    """Each column's own scalar default (or None), for the columns a row here does not name:
    a column added to a table later needs no change to this seeder unless it must be set."""
    table = next(t for t in TABLES if t.name == name)
    out: dict[str, object] = {}
    for c in table.columns:
        value = c.default.arg if c.default is not None and c.default.is_scalar else None
        out[c.name] = getattr(value, "value", value)  # an enum member as the text stored
    return out


def _filled(name: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    defaults = _defaults(name)
    return [{**defaults, **r} for r in found]


def _sqlite(value: object) -> object:
    """A value as SQLAlchemy stores it on SQLite (instants as UTC text with microseconds)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _pg(value: object) -> str:
    """A value in COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _write_sqlite(path: str, batches: Iterator[dict[str, list[dict[str, Any]]]]) -> dict[str, int]:
    counts = dict.fromkeys(NAMES, 0)
    with sqlite_bulk(path) as conn:
        for batch in batches:
            for name, found in batch.items():
                columns, found = _columns(name), _filled(name, found)
                conn.executemany(_insert_sql(name, tuple(columns)),
                                 (tuple(_sqlite(r[c]) for c in columns) for r in found))
                counts[name] += len(found)
    return counts


def _write_postgres(url: str, batches: Iterator[dict[str, list[dict[str, Any]]]]) -> dict[str, int]:
    counts = dict.fromkeys(NAMES, 0)
    with postgres_bulk(url) as cur:
        for batch in batches:
            for name, found in batch.items():
                columns, found = _columns(name), _filled(name, found)
                with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for start in range(0, len(found), 5000):
                        copy.write("".join("\t".join(_pg(r[c]) for c in columns) + "\n"
                                           for r in found[start:start + 5000]))
                counts[name] += len(found)
        for name in NAMES:
            if name not in ("queue_call", "print_job_label"):
                reset_serial(cur, name)
    return counts
