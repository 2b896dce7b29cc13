"""Staff set up sites and clinic sessions (closing a day is in closures.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from booking_web.services.staff_audit import Actor, record
from shared.errors import Problem, ValidationFailed, problem
from shared.models import (
    AppointmentType,
    ClinicSession,
    ClinicSessionType,
    Site,
    Slot,
)
from shared.timeutil import local_to_utc


@dataclass(frozen=True)
class SessionPlan:
    """What an admin asks for: sessions on some weekdays across a date range."""

    site_id: int
    first_day: dt.date
    last_day: dt.date
    weekdays: frozenset[int]  # 0 = Monday
    start_time: dt.time
    end_time: dt.time
    slot_minutes: int
    chairs: int
    type_codes: tuple[str, ...]


def create_site(*, session: Session, name: str, address: str, postcode: str, latitude: float,
                longitude: float, access_notes: str = "", paediatric: bool = False) -> Site:
    """Add a clinic site; commits."""
    site = Site(name=name, address=address, postcode=postcode, latitude=latitude, longitude=longitude,
                access_notes=access_notes, paediatric=paediatric)
    session.add(site)
    session.commit()
    return site


_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def create_sessions(*, session: Session, plan: SessionPlan, actor: Actor, now: dt.datetime) -> list[ClinicSession]:
    """Create one clinic session per matching day, each with its slots; audited; commits.
    ValidationFailed names each bad field and changes nothing. Wall-clock times are
    Europe/London, so a session on a clock-change day keeps its hours."""
    errors: dict[str, Problem] = {}
    site = session.get(Site, plan.site_id)
    if site is None:
        errors["site_id"] = problem("site_choose")
    if plan.last_day < plan.first_day:
        errors["last_day"] = problem("last_day_before_first")
    elif (plan.last_day - plan.first_day).days > 366:
        errors["last_day"] = problem("sessions_over_a_year")
    if not plan.weekdays:
        errors["weekdays"] = problem("weekdays_missing")
    if plan.end_time <= plan.start_time:
        errors["end_time"] = problem("end_before_start")
    if not 5 <= plan.slot_minutes <= 240:
        errors["slot_minutes"] = problem("slot_minutes_range", low=5, high=240)
    if not 1 <= plan.chairs <= 50:
        errors["chairs"] = problem("chairs_range", low=1, high=50)
    types = [session.get(AppointmentType, c) for c in plan.type_codes]
    if not types or any(t is None for t in types):
        errors["type_codes"] = problem("types_missing")
    else:
        too_long = [t.name for t in types if t and t.duration_minutes > plan.slot_minutes]
        if too_long:
            errors["type_codes"] = problem("types_need_longer_slot", type_names=tuple(too_long),
                                           slot_minutes=plan.slot_minutes)
        if site is not None and not site.paediatric and any(t and t.paediatric_site_only for t in types):
            errors["type_codes"] = problem("child_needs_paediatric_site")
    if errors:
        raise ValidationFailed("clinic_details_invalid", fields=errors)
    created: list[ClinicSession] = []
    day = plan.first_day
    while day <= plan.last_day:
        if day.weekday() in plan.weekdays:
            created.append(_create_one(session, plan, day, now))
        day += dt.timedelta(days=1)
    assert site is not None
    days = ", ".join(_DAY_NAMES[d] for d in sorted(plan.weekdays))
    record(session, actor=actor, action="clinic_sessions_add", now=now,
           detail=f"{site.name}: {len(created)} sessions, {plan.first_day.isoformat()} to {plan.last_day.isoformat()} "
           f"on {days}, {plan.start_time:%H:%M} to {plan.end_time:%H:%M}, {plan.slot_minutes}-minute slots, "
           f"{plan.chairs} chairs, types {', '.join(plan.type_codes)}")
    session.commit()
    return created


def _create_one(session: Session, plan: SessionPlan, day: dt.date, now: dt.datetime) -> ClinicSession:
    clinic = ClinicSession(site_id=plan.site_id, date=day, start_time=plan.start_time, end_time=plan.end_time,
                           slot_minutes=plan.slot_minutes, chairs=plan.chairs, created_at=now)
    session.add(clinic)
    session.flush()
    for code in plan.type_codes:
        session.add(ClinicSessionType(session_id=clinic.id, type_code=code))  # type: ignore[arg-type]
    # Step in wall-clock minutes, converting each start separately, so DST days stay right.
    start = dt.datetime.combine(day, plan.start_time)
    end = dt.datetime.combine(day, plan.end_time)
    step = dt.timedelta(minutes=plan.slot_minutes)
    rows = []
    while start + step <= end:
        finish = start + step
        rows.append(Slot(session_id=clinic.id, site_id=plan.site_id,  # type: ignore[arg-type]
                         starts_at=local_to_utc(start.date(), start.time()),
                         ends_at=local_to_utc(finish.date(), finish.time()), capacity=plan.chairs))
        start = finish
    session.add_all(rows)
    return clinic


@dataclass(frozen=True)
class SessionListing:
    """A clinic session in the admin list, with the names of the appointment types it offers."""

    clinic: ClinicSession
    type_names: tuple[str, ...]


def sessions_for_site(
    *, session: Session, site_id: int, first_day: dt.date, days: int = 14
) -> list[SessionListing]:
    """A site's sessions from a day onwards, each with the types it offers, for the admin list."""
    clinics = list(session.exec(
        select(ClinicSession).where(ClinicSession.site_id == site_id, ClinicSession.date >= first_day,
                                    ClinicSession.date < first_day + dt.timedelta(days=days))
        .order_by(col(ClinicSession.date), col(ClinicSession.start_time))
    ))
    offered: dict[int, list[str]] = {}
    for session_id, name in session.exec(
        select(ClinicSessionType.session_id, AppointmentType.name)
        .join(AppointmentType, col(AppointmentType.code) == ClinicSessionType.type_code)
        .where(col(ClinicSessionType.session_id).in_([c.id for c in clinics]))
        .order_by(col(AppointmentType.sort_order))
    ):
        offered.setdefault(session_id, []).append(name)
    return [SessionListing(c, tuple(offered.get(c.id, ()))) for c in clinics]  # type: ignore[arg-type]
