"""Test factories: make_x(session, **overrides) builds real rows through the services."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlmodel import Session, select

from booking_web.services.accounts import create_api_key, create_staff
from booking_web.services.clinics import SessionPlan, create_sessions, create_site
from booking_web.services.staff_audit import Actor
from shared.models import ClinicSession, KeyKind, Site, Slot, StaffAudit
from shared.nhs_number import make_test_number
from shared.validation import PatientDetails

# Who the audit log says set up a test's sites, clinics, organisations, accounts and keys.
SETUP = Actor(None, "test set-up", "Test set-up")
SETUP_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

_counter = itertools.count(1)


def audit_log(session: Session) -> list[StaffAudit]:
    """The audit log, oldest first, without the rows of the set-up these factories did (SETUP's):
    what a test itself did."""
    session.expire_all()
    return list(session.exec(select(StaffAudit).where(StaffAudit.username != SETUP.username)
                             .order_by(StaffAudit.id)))  # type: ignore[arg-type]


def make_site(session: Session, **overrides: object) -> Site:
    """A site in Leeds (LS1 unless overridden)."""
    n = next(_counter)
    values: dict[str, object] = dict(name=f"Test Site {n}", address=f"{n} Test Street, Leeds", postcode="LS1 4AB",
                                     latitude=53.7965, longitude=-1.5478, access_notes="Step-free access",
                                     paediatric=False)
    values.update(overrides)
    return create_site(session=session, **values)  # type: ignore[arg-type]


def make_clinic(session: Session, *, site: Site | None = None, day: dt.date, start: dt.time = dt.time(9, 0),
                end: dt.time = dt.time(12, 0), slot_minutes: int = 10, chairs: int = 3,
                types: tuple[str, ...] = ("adult", "fasting", "inr"), now: dt.datetime | None = None) -> ClinicSession:
    """One clinic session on one day, with its slots."""
    site = site or make_site(session)
    assert site.id is not None
    when = now or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    [clinic] = create_sessions(session=session, actor=SETUP, now=when, plan=SessionPlan(
        site_id=site.id, first_day=day, last_day=day, weekdays=frozenset({day.weekday()}), start_time=start,
        end_time=end, slot_minutes=slot_minutes, chairs=chairs, type_codes=types))
    return clinic


def slots_of(session: Session, clinic: ClinicSession) -> list[Slot]:
    """A clinic's slots, earliest first."""
    return list(session.exec(select(Slot).where(Slot.session_id == clinic.id).order_by(Slot.starts_at)))


def make_patient(n: int = 0, **overrides: object) -> PatientDetails:
    """Synthetic patient details with a 999-range NHS number."""
    values: dict[str, object] = dict(nhs_number=make_test_number(1000 + n * 13), given_name="Jane",
                                     family_name=f"Testperson{n}", date_of_birth=dt.date(1970, 5, 17),
                                     postcode="", mobile="07700900123", email="")
    values.update(overrides)
    return PatientDetails(**values)  # type: ignore[arg-type]


def make_partner_key(session: Session, name: str = "partner") -> str:
    """A partner API key (the secret)."""
    return create_api_key(session=session, actor=SETUP,
                          name=name, kind=KeyKind.PARTNER, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def make_staff(session: Session, *, role: str = "admin", username: str | None = None,
               password: str = "correct horse battery", site_id: int | None = None):  # type: ignore[no-untyped-def]
    """A staff user with a known password."""
    return create_staff(session=session, actor=SETUP,
                        username=username or f"{role}{next(_counter)}", display_name=role.title(),
                        password=password, role=role, site_id=site_id, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def make_organisation(session: Session, ods_code: str = "B86001", name: str = "Park Surgery"):  # type: ignore[no-untyped-def]
    """An organisation that requests tests."""
    from booking_web.services.organisations import create_organisation

    return create_organisation(session=session, ods_code=ods_code, name=name, address="1 Park Lane, Leeds",
                               actor=SETUP, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def make_requester(session: Session, organisation: str = "B86001", username: str | None = None,
                   password: str = "correct horse battery"):  # type: ignore[no-untyped-def]
    """A requester account of an organisation."""
    return create_staff(session=session, actor=SETUP,
                        username=username or f"gp{next(_counter)}", display_name="Dr Ada Example",
                        password=password, role="requester", site_id=None, organisation=organisation,
                        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
