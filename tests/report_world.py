"""A random but reproducible service history for the report tests: sites with clinics across a
clock change, appointments in every state made through every channel, check-ins, calls,
collections, messages, labels and requests with transfusion tests. Rows are written directly
(the services that make them are tested elsewhere); `expected_*` recompute every figure from
the raw rows in plain Python, independently of the report's SQL."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlmodel import Session, select

from booking_web.services.catalogue import seed_catalogue
from shared.models import (
    Appointment,
    BookingChannel,
    LabRequest,
    LabRequestTest,
    OutboxMessage,
    Patient,
    PrintJob,
    PrintJobLabel,
    QueueCall,
    Site,
    Slot,
    Specimen,
)
from shared.nhs_number import make_test_number
from shared.timeutil import to_local
from tests.factories import make_clinic, make_site

CHANNELS = (BookingChannel.WEB, BookingChannel.API, BookingChannel.STAFF, "")
STATUSES = ("booked", "checked_in", "collected", "dna", "cancelled")


@dataclass(frozen=True)
class World:
    """What was made: the sites and the days their clinics ran."""

    sites: list[Site]
    first: dt.date
    last: dt.date


def build_world(session: Session, *, seed: int = 7, first: dt.date = dt.date(2026, 3, 23),
                days: int = 14, sites: int = 3, prefix: str = "Report", **site: object) -> World:
    """Clinics on every day from `first` (the default fortnight holds the March clock change)
    at `sites` sites (made with `site` overrides), and a history on about half their chairs."""
    rng = random.Random(seed)
    seed_catalogue(session=session)
    made = [make_site(session, **{"name": f"{prefix} site {n}", **site}) for n in range(1, sites + 1)]
    for site in made:
        for i in range(days):
            make_clinic(session, site=site, day=first + dt.timedelta(days=i),
                        start=dt.time(8, 0), end=dt.time(13, 0), slot_minutes=30,
                        chairs=rng.choice((1, 2, 3)))
    patients = []
    for n in range(40):
        patients.append(Patient(nhs_number=make_test_number(500_000 + seed * 1000 + n * 7),
                                given_name="Report", family_name=f"Person{seed}x{n}",
                                date_of_birth=dt.date(1950 + n, 1 + n % 12, 1 + n % 28),
                                created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    session.add_all(patients)
    session.flush()
    site_ids = [s.id for s in made]
    slots = session.exec(select(Slot).where(Slot.site_id.in_(site_ids))).all()  # type: ignore[union-attr]
    gs_requests = {}
    for patient in patients[::3]:  # some patients have a request with group and save
        req = LabRequest(request_number=f"RW{seed}{patient.id:06d}", nhs_number=patient.nhs_number or "",
                         requester="Dr Test", created_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
        session.add(req)
        session.flush()
        session.add(LabRequestTest(request_id=req.id, test_code="GS", position=0))  # type: ignore[arg-type]
        session.add(LabRequestTest(request_id=req.id, test_code="FBC", position=1))  # type: ignore[arg-type]
        gs_requests[patient.id] = req.request_number
    number = seed * 1_000_000  # references and queue numbers apart from another world's
    for slot in slots:
        for _chair in range(slot.capacity):
            if rng.random() < 0.45:
                continue
            number += 1
            _appointment(session, rng, slot, rng.choice(patients), gs_requests, number)
    session.commit()
    return World(made, first, first + dt.timedelta(days=days - 1))


def _appointment(session: Session, rng: random.Random, slot: Slot, patient: Patient,
                 gs_requests: dict[int, str], number: int) -> None:
    status = rng.choices(STATUSES, weights=(2, 2, 6, 1, 2))[0]
    created = slot.starts_at - dt.timedelta(minutes=rng.randint(5, 60 * 24 * 30))
    appt = Appointment(
        reference=f"RW{number:010d}", slot_id=slot.id, site_id=slot.site_id, patient_id=patient.id,
        type_code="adult", status=status, starts_at=slot.starts_at, created_at=created,
        updated_at=created, channel=rng.choice(CHANNELS), walk_in=rng.random() < 0.08,
        request_number=gs_requests.get(patient.id) if rng.random() < 0.7 else None)  # type: ignore[arg-type]
    if status == "cancelled":
        appt.cancelled_at = slot.starts_at - dt.timedelta(minutes=rng.choice(
            (10, 60 * 5, 60 * 30, 60 * 47, 60 * 49, 60 * 24 * 6)))
        appt.cancelled_at = max(appt.cancelled_at, created)
        appt.cancelled_by = rng.choice(("patient", "staff", "service", ""))
    session.add(appt)
    session.flush()
    if status in ("checked_in", "collected"):
        appt.checked_in_at = slot.starts_at + dt.timedelta(seconds=rng.randint(-3000, 900),
                                                           microseconds=rng.randint(0, 999_999))
        appt.queue_number = number
        if status == "collected" or rng.random() < 0.5:
            called = appt.checked_in_at + dt.timedelta(seconds=rng.randint(0, 3600),
                                                       microseconds=rng.randint(0, 999_999))
            session.add(QueueCall(appointment_id=appt.id, called_at=called, called_by="Phleb"))  # type: ignore[arg-type]
            if status == "collected":
                appt.collected_at = called + dt.timedelta(seconds=rng.randint(30, 1500))
        elif status == "collected":
            appt.collected_at = appt.checked_in_at + dt.timedelta(minutes=20)
        _labels(session, rng, appt)
    for template in rng.sample(("booked", "reminder", "cancelled"), k=rng.randint(0, 2)):
        session.add(OutboxMessage(
            dedup_key=f"{template}:{appt.id}", channel="sms", recipient="07700900123",
            template=template, status=rng.choice(("sent", "failed", "pending", "skipped")),
            next_try_at=created, created_at=created, appointment_id=appt.id))


def _labels(session: Session, rng: random.Random, appt: Appointment) -> None:
    job = PrintJob(appointment_id=appt.id, site_id=appt.site_id, source="kiosk",  # type: ignore[arg-type]
                   created_at=appt.checked_in_at)  # type: ignore[arg-type]
    session.add(job)
    session.flush()
    for position in range(1, rng.randint(1, 3) + 1):
        specimen = Specimen(appointment_id=appt.id, container="EDTA", position=position, of_total=3,  # type: ignore[arg-type]
                            created_at=appt.checked_in_at)  # type: ignore[arg-type]
        session.add(specimen)
        session.flush()
        outcome = rng.choice(("confirmed", "confirmed", "confirmed", "unconfirmed", "not_sent"))
        session.add(PrintJobLabel(job_id=job.id, specimen_pk=specimen.id, position=position,  # type: ignore[arg-type]
                                  outcome=outcome))
        if outcome != "confirmed":
            again = PrintJob(appointment_id=appt.id, site_id=appt.site_id, source="staff",  # type: ignore[arg-type]
                             created_at=appt.checked_in_at)  # type: ignore[arg-type]
            session.add(again)
            session.flush()
            session.add(PrintJobLabel(job_id=again.id, specimen_pk=specimen.id, position=1,  # type: ignore[arg-type]
                                      reprint=True, outcome="confirmed"))


# Independent expectations: plain Python over every row, London time from zoneinfo.


def rows(session: Session) -> list[Appointment]:
    """Every appointment."""
    return list(session.exec(select(Appointment)))


def local_day(instant: dt.datetime) -> dt.date:
    """The London date of an instant."""
    return to_local(instant).date()


def in_scope(appt: Appointment, sites: set[int], first: dt.date, last: dt.date,
             when: dt.datetime | None = None) -> bool:
    """The appointment is at one of `sites` (empty: any) and `when` (default its time) is in
    the London dates first..last."""
    instant = when or appt.starts_at
    return (not sites or appt.site_id in sites) and first <= local_day(instant) <= last


def nearest_rank(values: list[int], percent: int) -> int | None:
    """The textbook nearest-rank percentile of a list."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


def whole_seconds(later: dt.datetime, earlier: dt.datetime) -> int:
    """Seconds between two instants with each one's fraction of a second dropped."""
    return int(later.replace(microsecond=0).timestamp()) - int(earlier.replace(microsecond=0).timestamp())


def expected_report(session: Session, sites: set[int], first: dt.date, last: dt.date) -> dict[str, object]:
    """Every figure of a report, counted row by row from the raw rows."""
    appointments = rows(session)
    period = [a for a in appointments if in_scope(a, sites, first, last)]
    statuses = Counter(a.status for a in period)
    late: Counter[str] = Counter()
    who: Counter[str] = Counter()
    for a in period:
        if a.status != "cancelled":
            continue
        who[a.cancelled_by or "unknown"] += 1
        assert a.cancelled_at is not None
        if local_day(a.cancelled_at) >= local_day(a.starts_at):
            late["same_day"] += 1
        elif whole_seconds(a.starts_at, a.cancelled_at) < 48 * 3600:
            late["within_48h"] += 1
        else:
            late["earlier"] += 1
    daily: dict[dt.date, list[int]] = {first + dt.timedelta(days=i): [0, 0] for i in range((last - first).days + 1)}
    for a in period:
        if a.status in ("checked_in", "collected"):
            daily[local_day(a.starts_at)][0] += 1
        elif a.status == "dna":
            daily[local_day(a.starts_at)][1] += 1
    taken = [a for a in period if a.status != "cancelled" and not a.walk_in]
    offered: Counter[tuple[int, int, int]] = Counter()
    for slot in session.exec(select(Slot)):
        local = to_local(slot.starts_at)
        if (not sites or slot.site_id in sites) and first <= local.date() <= last:
            offered[(slot.site_id, local.weekday(), local.hour)] += slot.capacity
    booked: Counter[tuple[int, int, int]] = Counter()
    attended: Counter[tuple[int, int, int]] = Counter()
    for a in taken:
        local = to_local(a.starts_at)
        key = (a.site_id, local.weekday(), local.hour)
        booked[key] += 1
        attended[key] += a.status in ("checked_in", "collected")
    by_site = defaultdict(lambda: [0, 0, 0])
    by_time = defaultdict(lambda: [0, 0, 0])
    for source, i in ((offered, 0), (booked, 1), (attended, 2)):
        for (site, weekday, hour), n in source.items():
            by_site[site][i] += n
            by_time[(weekday, hour)][i] += n
    calls = {c.appointment_id: c.called_at for c in session.exec(select(QueueCall))}
    waits: dict[str, dict[int, list[int]]] = {s: defaultdict(list) for s in ("to_call", "to_collect", "total")}
    for a in appointments:
        if a.checked_in_at is None or not in_scope(a, sites, first, last, a.checked_in_at):
            continue
        hour = to_local(a.checked_in_at).hour
        called = calls.get(a.id)  # type: ignore[arg-type]
        for stage, later, earlier in (("to_call", called, a.checked_in_at), ("to_collect", a.collected_at, called),
                                      ("total", a.collected_at, a.checked_in_at)):
            if later is not None and earlier is not None and whole_seconds(later, earlier) >= 0:
                waits[stage][hour].append(min(whole_seconds(later, earlier) // 60, 24 * 60))
    ids = {a.id for a in period}
    messages: dict[str, Counter[str]] = defaultdict(Counter)
    for m in session.exec(select(OutboxMessage)):
        if m.appointment_id in ids:
            messages[m.template][m.status] += 1
    jobs = {j.id: j.appointment_id for j in session.exec(select(PrintJob))}
    labels: Counter[str] = Counter()
    for label in session.exec(select(PrintJobLabel)):
        if jobs[label.job_id] in ids:
            labels[("reprinted" if label.reprint else "printed") if label.outcome == "confirmed" else "not_printed"] += 1
    gs = {r.request_number: r.nhs_number for r in session.exec(select(LabRequest))
          if session.get(LabRequestTest, (r.id, "GS")) is not None}
    hand = sum(1 for a in period if a.status in ("checked_in", "collected") and a.request_number in gs
               and session.get(Patient, a.patient_id).nhs_number == gs[a.request_number])  # type: ignore[union-attr]
    return dict(
        made=dict(Counter(a.channel for a in appointments
                          if not a.walk_in and in_scope(a, sites, first, last, a.created_at))),
        outcomes=dict(
            appointments=sum(statuses[s] for s in ("booked", "checked_in", "collected", "dna")),
            attended=statuses["checked_in"] + statuses["collected"], dna=statuses["dna"],
            awaiting=statuses["booked"], cancelled=statuses["cancelled"],
            cancelled_same_day=late["same_day"], cancelled_within_48h=late["within_48h"],
            cancelled_earlier=late["earlier"], cancelled_by=dict(who),
            walk_ins=sum(1 for a in period if a.walk_in and a.status != "cancelled")),
        daily=[(d, a, n) for d, (a, n) in sorted(daily.items())],
        by_site={s: tuple(v) for s, v in by_site.items()},
        by_slot_time={k: tuple(v) for k, v in by_time.items()},
        waits={stage: (len(everything := [m for v in hours.values() for m in v]),
                       nearest_rank(everything, 50), nearest_rank(everything, 90))
               for stage, hours in waits.items()},
        waits_by_hour={stage: {h: (len(v), nearest_rank(v, 50), nearest_rank(v, 90)) for h, v in hours.items()}
                       for stage, hours in waits.items()},
        lead_days=dict(Counter((local_day(a.starts_at) - local_day(a.created_at)).days for a in taken)),
        messages={t: dict(c) for t, c in messages.items()},
        labels={"printed": labels["printed"], "reprinted": labels["reprinted"],
                "not_printed": labels["not_printed"], "hand_labelled": hand},
    )


def actual_report(report) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """A Report's figures in the shape expected_report gives."""
    o = report.outcomes
    return dict(
        made=report.made,
        outcomes=dict(appointments=o.appointments, attended=o.attended, dna=o.dna, awaiting=o.awaiting,
                      cancelled=o.cancelled, cancelled_same_day=o.cancelled_same_day,
                      cancelled_within_48h=o.cancelled_within_48h, cancelled_earlier=o.cancelled_earlier,
                      cancelled_by=o.cancelled_by, walk_ins=o.walk_ins),
        daily=report.daily,
        by_site={s: (u.offered, u.booked, u.attended) for s, u in report.by_site.items()},
        by_slot_time={k: (u.offered, u.booked, u.attended) for k, u in report.by_slot_time.items()},
        waits={s: (p.count, p.median, p.p90) for s, p in report.waits.items()},
        waits_by_hour={s: {h: (p.count, p.median, p.p90) for h, p in hours.items()}
                       for s, hours in report.waits_by_hour.items()},
        lead_days=report.lead_days,
        messages=report.messages,
        labels=report.labels,
    )
