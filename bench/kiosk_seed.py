"""Today's kiosk patients, made through the services: one site with a kiosk key, a clinic whose
slots start within the check-in window, and bookings that each carry a six-test request
(FBC, UE, LFT, GLU, INR, GS: four tubes to print and group and save to hand-label)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass

from sqlmodel import Session, col, select

from bench.databases import BENCH
from booking_web.services.accounts import create_api_key
from booking_web.services.booking import book_appointment
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.clinics import SessionPlan, create_sessions, create_site
from booking_web.services.lab_requests import create_request
from booking_web.services.qr import make_qr_payload
from shared.config import Settings
from shared.db import make_engine
from shared.models import KeyKind, Slot
from shared.nhs_number import make_test_number
from shared.timeutil import london_today, to_local
from shared.validation import PatientDetails

TESTS = ("FBC", "UE", "LFT", "GLU", "INR", "GS")
SLOT_MINUTES = 10  # an adult blood test takes 10 minutes
SLOTS = 10  # the last starts 95-105 minutes from now: inside a 120-minute check-in window


@dataclass(frozen=True)
class KioskPatient:
    """What a patient brings to the kiosk: the QR code, and the date of birth they type."""

    reference: str
    date_of_birth: str  # ISO
    qr: str


@dataclass(frozen=True)
class KioskDay:
    """The kiosk's key and today's booked patients, in booking order."""

    kiosk_key: str
    site_id: int
    patients: list[KioskPatient]


def _clinic_hours(now: dt.datetime) -> tuple[dt.date, dt.time, dt.time]:
    """From the next whole 10 minutes at least 5 minutes ahead, SLOTS slots long (London time)."""
    local = to_local(now).replace(tzinfo=None) + dt.timedelta(minutes=5)
    start = local + dt.timedelta(
        minutes=-local.minute % SLOT_MINUTES, seconds=-local.second, microseconds=-local.microsecond
    )
    end = start + dt.timedelta(minutes=SLOT_MINUTES * SLOTS)
    if end.date() != london_today(now):
        raise RuntimeError("too close to midnight (London) for a same-day clinic; run after 00:00")
    return start.date(), start.time(), end.time()


def seed_kiosk_day(url: str, *, patients: int, settings: Settings, now: dt.datetime) -> KioskDay:
    """Book `patients` patients into a clinic starting within the hour, each with a request."""
    quick = dataclasses.replace(settings, min_notice_minutes=0)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            seed_catalogue(session=session)
            site = create_site(
                session=session,
                name="Bench kiosk site",
                address="1 Clinic Road, Leeds",
                postcode="LS1 4AB",
                latitude=53.7965,
                longitude=-1.5478,
            )
            assert site.id is not None
            day, start, end = _clinic_hours(now)
            [clinic] = create_sessions(
                session=session,
                actor=BENCH,
                now=now,
                plan=SessionPlan(
                    site_id=site.id,
                    first_day=day,
                    last_day=day,
                    weekdays=frozenset({day.weekday()}),
                    start_time=start,
                    end_time=end,
                    slot_minutes=SLOT_MINUTES,
                    chairs=min(50, math.ceil(patients / SLOTS)),
                    type_codes=("adult",),
                ),
            )
            slots = list(
                session.exec(
                    select(Slot).where(Slot.session_id == clinic.id).order_by(col(Slot.starts_at))
                )
            )
            found = []
            for i in range(patients):
                details = PatientDetails(
                    nhs_number=make_test_number(300_000 + 13 * i),
                    given_name="Bench",
                    family_name=f"Patient{i:03d}",
                    date_of_birth=dt.date(1940, 1, 1) + dt.timedelta(days=97 * i % 20_000),
                    mobile="07700900123",
                )
                request = create_request(
                    session=session,
                    nhs_number=details.nhs_number,
                    tests=list(TESTS),
                    requester="Bench GP",
                    api_key_id=None,
                    now=now,
                )
                appt = book_appointment(
                    session=session,
                    slot_id=slots[i % len(slots)].id,  # type: ignore[arg-type]
                    type_code="adult",
                    patient=details,
                    now=now,
                    settings=quick,
                    request_number=request.request_number,
                ).appointment
                found.append(
                    KioskPatient(
                        appt.reference,
                        details.date_of_birth.isoformat(),
                        make_qr_payload(secret=settings.secret_key, appointment=appt),
                    )
                )
            key = create_api_key(
                session=session, name="Bench kiosk", kind=KeyKind.KIOSK, site_id=site.id, actor=BENCH, now=now
            )
            return KioskDay(key, site.id, found)
    finally:
        engine.dispose()
