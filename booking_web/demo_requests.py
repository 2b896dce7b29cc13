"""Invented demo test requests: two GP practices and, for the first, a request in every state
(waiting, invited, booked, checked in, collected with a tube not taken, not taken up,
cancelled), made through the same services as real ones; the demo site takes walk-ins, and the
waiting request's patient can walk in; the invited one asks for Welsh (its invitation and link
are in Welsh). NHS numbers from the 999 range."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import Session, col, select

from booking_web.demo_data import DEMO_SETUP
from booking_web.services import booking, checkin, staff_queue
from booking_web.services.collection import TubeChoice, request_tubes
from booking_web.services.lab_requests import Scope, cancel_request, submit_request
from booking_web.services.organisations import create_organisation
from booking_web.services.request_followup import follow_up_requests
from booking_web.services.staff_audit import Actor
from booking_web.services.walk_ins import set_walk_ins
from shared.config import Settings
from shared.models import Organisation, Slot
from shared.nhs_number import make_test_number
from shared.timeutil import london_today
from shared.validation import PatientDetails

PRACTICES = (
    ("X99001", "Park Lane Surgery (demo)", "3 Park Lane, Leeds LS6 2AB"),
    ("X99002", "Moorside Medical Practice (demo)", "40 Moor Road, Leeds LS15 8EE"),
)
# (given, family, date of birth, mobile): invented people.
_PEOPLE = (
    ("Winifred", "Ashworth", dt.date(1941, 8, 9), "07700900201"),
    ("Dev", "Chaudhry", dt.date(1983, 2, 14), "07700900202"),
    ("Olusegun", "Adeyemi", dt.date(1958, 12, 1), "07700900203"),
    ("Siobhán", "Ní Bhriain", dt.date(1970, 4, 22), "07700900204"),
    ("Harold", "Pickersgill", dt.date(1936, 10, 30), "07700900205"),
    ("Mei", "Lin", dt.date(1995, 7, 7), "07700900206"),
    ("Gareth", "Pryce-Jones", dt.date(1966, 3, 3), "07700900207"),
    ("Amara", "Okonkwo", dt.date(2001, 9, 19), "07700900208"),
)
WALK_INS_AN_HOUR = 6
_WALK_IN = 0  # the waiting request's patient: no booking, so she can walk in
_WALK_IN_POSTCODE = "LS6 4JN"


@dataclasses.dataclass(frozen=True)
class DemoWalkIn:
    """Who can walk in at the demo site, as the kiosk or the desk asks for them."""

    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    postcode: str


def demo_walk_in() -> DemoWalkIn:
    """The demo patient with an open request and no booking."""
    nhs, given, family, dob, _mobile = _person(_WALK_IN)
    return DemoWalkIn(nhs, given, family, dob, _WALK_IN_POSTCODE)


def seed_organisations(*, session: Session, now: dt.datetime) -> list[Organisation]:
    """The two demo practices (once)."""
    existing = list(session.exec(select(Organisation).where(col(Organisation.ods_code).in_([p[0] for p in PRACTICES]))))
    if existing:
        return existing
    return [create_organisation(session=session, ods_code=code, name=name, address=address,
                                actor=DEMO_SETUP, now=now)
            for code, name, address in PRACTICES]


def _person(i: int) -> tuple[str, str, str, dt.date, str]:
    given, family, dob, mobile = _PEOPLE[i]
    return make_test_number(555_000 + 17 * i), given, family, dob, mobile


def _request(session: Session, settings: Settings, i: int, *, now: dt.datetime, earliest: dt.date, latest: dt.date,
             tests: list[str], contact: bool = True, urgency: str = "routine", details: str = "",
             organisation: str = PRACTICES[0][0], postcode: str | None = None, language: str = "") -> str:
    nhs, given, family, dob, mobile = _person(i)
    return submit_request(
        session=session, nhs_number=nhs, tests=tests, requester="Dr Asha Demo", organisation=organisation,
        given_name=given, family_name=family, date_of_birth=dob.isoformat(), mobile=mobile if contact else "",
        earliest=earliest.isoformat(), latest=latest.isoformat(), urgency=urgency, clinical_details=details,
        postcode=postcode, language=language, settings=settings, now=now, source="web",
    ).request.request_number


def _book(session: Session, settings: Settings, i: int, slot: Slot, type_code: str, now: dt.datetime):  # type: ignore[no-untyped-def]
    nhs, given, family, dob, mobile = _person(i)
    return booking.book_appointment(
        session=session, slot_id=slot.id, type_code=type_code,  # type: ignore[arg-type]
        patient=PatientDetails(nhs, given, family, dob, mobile=mobile), now=now,
        settings=dataclasses.replace(settings, min_notice_minutes=0),
    ).appointment


def _free_slots(session: Session, site_id: int, after: dt.datetime, before: dt.datetime) -> list[Slot]:
    return list(session.exec(
        select(Slot).where(Slot.site_id == site_id, col(Slot.starts_at) >= after, col(Slot.starts_at) < before,
                           Slot.booked < Slot.capacity).order_by(col(Slot.starts_at))
    ))


def seed_demo_requests(*, session: Session, settings: Settings, now: dt.datetime, site_id: int,
                       kiosk_key_id: int) -> list[str]:
    """A request in every state for the first practice, one for the second; returns the numbers.
    Booked, checked-in and collected ones use the demo clinic running now at `site_id`, which
    takes walk-ins (demo_walk_in() is one)."""
    today = london_today(now)
    week = today + dt.timedelta(days=7)
    made = [
        # Waiting: no mobile or email, so the practice gives the patient the number; she may walk in.
        _request(session, settings, _WALK_IN, now=now, earliest=today, latest=week, tests=["INR"], contact=False,
                 postcode=_WALK_IN_POSTCODE),
        # Invited, urgent, in Welsh (the practice answered "Language for messages to the patient").
        _request(session, settings, 1, now=now, earliest=today, latest=week, tests=["FBC", "UE", "GLU"],
                 urgency="urgent", details="Weight loss and thirst; on no medicines.", language="cy"),
    ]
    # Not taken up: made three weeks ago for a week that has ended.
    made.append(_request(session, settings, 2, now=now - dt.timedelta(days=21), earliest=today - dt.timedelta(days=21),
                         latest=today - dt.timedelta(days=14), tests=["LFT"]))
    follow_up_requests(session=session, settings=settings, now=now)
    # Cancelled by the practice.
    cancelled = _request(session, settings, 3, now=now, earliest=today, latest=week, tests=["TSH"])
    cancel_request(session=session, request_number=cancelled, scope=Scope(), reason="Done at the hospital clinic",
                   actor=Actor(None, "demo", "Dr Asha Demo"), now=now)
    made.append(cancelled)
    # Booked later this week; checked in and collected in the clinic running now.
    booked = _request(session, settings, 4, now=now, earliest=today, latest=week, tests=["FBC", "HBA1C"])
    later = _free_slots(session, site_id, now + dt.timedelta(days=1), now + dt.timedelta(days=7))
    if later:
        _book(session, settings, 4, later[0], "adult", now)
    made.append(booked)
    soon = _free_slots(session, site_id, now, now + dt.timedelta(minutes=50))
    actor = Actor(None, "phlebotomist", "Demo Phlebotomist")
    for n, (i, tests, urgency) in enumerate(((5, ["FBC", "UE", "GLU"], "urgent"), (6, ["UE", "LFT", "INR"], "routine"))):
        number = _request(session, settings, i, now=now, earliest=today, latest=week, tests=tests, urgency=urgency,
                          details="Demo: follow-up bloods." if n else "Demo: chest pain last week, ECG normal.")
        made.append(number)
        if len(soon) <= n:
            continue
        appt = _book(session, settings, i, soon[n], "adult", now)  # the clinic running now takes adults
        _, _, _, dob, _ = _person(i)
        checkin.check_in(session=session, site_id=site_id, api_key_id=kiosk_key_id, reference=appt.reference,
                         date_of_birth=dob, request_id=f"00000000-0000-4000-8000-{n:012d}", now=now,
                         settings=settings)
        if n == 1:  # collected: two tubes taken, one not
            tubes = request_tubes(session, appt.id)  # type: ignore[arg-type]
            choices = {t.specimen_id or "": TubeChoice("collected") for t in tubes}
            choices[tubes[-1].specimen_id or ""] = TubeChoice("not_taken", "could_not_obtain")
            staff_queue.mark_collected(session=session, appointment_id=appt.id, site_id=site_id,  # type: ignore[arg-type]
                                       actor=actor, now=now, choices=choices, settings=settings)
    made.append(_request(session, settings, 7, now=now, earliest=today + dt.timedelta(days=14),
                         latest=today + dt.timedelta(days=20), tests=["FBC"], organisation=PRACTICES[1][0]))
    set_walk_ins(session=session, site_id=site_id, cap=WALK_INS_AN_HOUR, per="hour", actor=DEMO_SETUP, now=now)
    return made
