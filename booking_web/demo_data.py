"""Invented demo data: four sites in Leeds, six weeks of clinics, a clinic running now, the test
catalogue, and a few synthetic patients (NHS numbers from the never-issued 999 range)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from booking_web.services.catalogue import seed_catalogue
from booking_web.services.clinics import SessionPlan, create_sessions, create_site
from booking_web.services.staff_audit import Actor
from shared.models import ClinicSession, Site
from shared.nhs_number import make_test_number
from shared.timeutil import london_today, to_local
from shared.validation import PatientDetails

# Who the audit log says set up the demo's clinics, practices and settings.
DEMO_SETUP = Actor(None, "demo data", "Demo data")

SITES = [
    dict(name="Northgate Health Centre", address="12 Northgate Road, Leeds", postcode="LS7 3AB",
         latitude=53.8245, longitude=-1.5310, paediatric=False,
         access_notes="Step-free entrance from the car park. Hearing loop at reception. Blue badge spaces by the door."),
    dict(name="Riverside Community Hospital", address="Riverside Way, Leeds", postcode="LS11 5QT",
         latitude=53.7805, longitude=-1.5525, paediatric=True,
         access_notes="Children's blood tests in the Rainbow Room, ground floor. Lifts to all floors. Free parking."),
    dict(name="Westfield Surgery", address="4 Westfield Lane, Pudsey", postcode="LS28 7HB",
         latitude=53.7990, longitude=-1.6615, paediatric=False,
         access_notes="Two steps at the front; use the ramp at the side entrance. No parking on site."),
    dict(name="Eastmoor Clinic", address="88 Moor Road, Leeds", postcode="LS15 8EE",
         latitude=53.8065, longitude=-1.4505, paediatric=False,
         access_notes="All on the ground floor. Accessible toilet. Bus 19 stops outside."),
]

DEMO_PATIENTS = [
    ("Margaret", "O'Brien", dt.date(1948, 3, 4)),
    ("Tomasz", "Kowalski-Nowak", dt.date(1975, 11, 20)),
    ("Aisha", "Rahman", dt.date(1990, 6, 15)),
    ("Zoë", "Leclerc", dt.date(1962, 1, 30)),
]


def seed_demo(*, session: Session, now: dt.datetime, weeks: int = 6) -> list[Site]:
    """Create the demo test catalogue, sites and clinics; commits. Idempotent: tests already in
    the catalogue are kept as they are, and no sites or clinics are added if sites exist."""
    # Without a catalogue no request for tests can be made (POST /api/v1/requests refuses
    # unknown codes); a laboratory loads its own with `phlebo import-catalogue`.
    seed_catalogue(session=session)
    existing = list(session.exec(select(Site)))
    if existing:
        return existing
    sites = [create_site(session=session, **spec) for spec in SITES]  # type: ignore[arg-type]
    today = london_today(now)
    last = today + dt.timedelta(weeks=weeks)
    weekdays = frozenset(range(5))
    for site in sites:
        assert site.id is not None
        create_sessions(session=session, actor=DEMO_SETUP, now=now, plan=SessionPlan(
            site_id=site.id, first_day=today, last_day=last, weekdays=weekdays,
            start_time=dt.time(7, 30), end_time=dt.time(12, 30), slot_minutes=10, chairs=3,
            type_codes=("adult", "fasting", "inr")))
        create_sessions(session=session, actor=DEMO_SETUP, now=now, plan=SessionPlan(
            site_id=site.id, first_day=today, last_day=last, weekdays=frozenset({0, 2, 3}),
            start_time=dt.time(13, 30), end_time=dt.time(16, 30), slot_minutes=10, chairs=2,
            type_codes=("adult", "inr")))
        if site.paediatric:
            create_sessions(session=session, actor=DEMO_SETUP, now=now, plan=SessionPlan(
                site_id=site.id, first_day=today, last_day=last, weekdays=weekdays,
                start_time=dt.time(9, 0), end_time=dt.time(12, 0), slot_minutes=15, chairs=2,
                type_codes=("child",)))
            create_sessions(session=session, actor=DEMO_SETUP, now=now, plan=SessionPlan(
                site_id=site.id, first_day=today, last_day=last, weekdays=frozenset({1, 3}),
                start_time=dt.time(7, 30), end_time=dt.time(10, 0), slot_minutes=150, chairs=2,
                type_codes=("gtt",)))
    # A clinic running now (any day, any hour, unless one already is), so a person can book and
    # check in at once.
    local_now = to_local(now)
    start = (local_now - dt.timedelta(minutes=30)).replace(second=0, microsecond=0)
    start = start.replace(minute=start.minute - start.minute % 10)
    # Four hours on, or until 23:50 in the evening (a clinic ends on the day it starts).
    end = min(local_now + dt.timedelta(hours=4), local_now.replace(hour=23, minute=50, second=0, microsecond=0))
    busy = any(c.date == start.date() and c.start_time <= local_now.time() < c.end_time
               for c in session.exec(select(ClinicSession).where(ClinicSession.site_id == sites[0].id)))
    if start.date() == end.date() and end - local_now >= dt.timedelta(minutes=20) and not busy:
        create_sessions(session=session, actor=DEMO_SETUP, now=now, plan=SessionPlan(
            site_id=sites[0].id, first_day=start.date(), last_day=start.date(),  # type: ignore[arg-type]
            weekdays=frozenset({start.weekday()}), start_time=start.time(),
            end_time=end.time().replace(second=0, microsecond=0), slot_minutes=10, chairs=4,
            type_codes=("adult", "inr")))
    return sites


def demo_patient(index: int) -> PatientDetails:
    """A synthetic patient with a 999-range NHS number."""
    given, family, dob = DEMO_PATIENTS[index % len(DEMO_PATIENTS)]
    return PatientDetails(nhs_number=make_test_number(123450 + index * 7), given_name=given,
                          family_name=family, date_of_birth=dob, mobile="07700900" + f"{index:03d}")
