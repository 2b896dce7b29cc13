"""What can be booked: sites by distance, dates with free chairs, free times on a date."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlmodel import Session, col, select

from shared.config import Settings
from shared.models import AppointmentType, ClinicSession, ClinicSessionType, Site, Slot
from shared.postcodes import coordinates_for
from shared.rules import booking_window, slot_allowed_for_type
from shared.timeutil import local_day_bounds, to_local

from booking_web.services.booking import type_rule


@dataclass(frozen=True)
class SiteDistance:
    """A site and how far it is from the patient's postcode (None when unknown)."""

    site: Site
    miles: float | None


@dataclass(frozen=True)
class FreeSlot:
    """A bookable time."""

    slot_id: int
    site_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    remaining: int


def _miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 3958.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def list_sites(*, session: Session, postcode: str | None = None, type_code: str | None = None) -> tuple[list[SiteDistance], bool]:
    """Active sites, nearest first when the postcode is known (else A to Z), limited to sites
    that can take the appointment type. Returns (sites, postcode_found)."""
    sites = list(session.exec(select(Site).where(Site.active == True).order_by(Site.name)))  # noqa: E712
    if type_code:
        atype = session.get(AppointmentType, type_code)
        if atype is not None and atype.paediatric_site_only:
            sites = [s for s in sites if s.paediatric]
    origin = coordinates_for(postcode) if postcode else None
    if origin is None:
        return [SiteDistance(s, None) for s in sites], False
    ranked = [SiteDistance(s, _miles(origin[0], origin[1], s.latitude, s.longitude)) for s in sites]
    ranked.sort(key=lambda sd: (sd.miles, sd.site.name))
    return ranked, True


def _free_slot_query(site_id: int, type_code: str, start: dt.datetime, end: dt.datetime):  # type: ignore[no-untyped-def]
    return (
        select(Slot, ClinicSession.date, Site.paediatric)
        .join(ClinicSession, ClinicSession.id == Slot.session_id)
        .join(ClinicSessionType, (ClinicSessionType.session_id == ClinicSession.id)
              & (ClinicSessionType.type_code == type_code))
        .join(Site, Site.id == Slot.site_id)
        .where(Slot.site_id == site_id, col(ClinicSession.closed_at).is_(None),
               Slot.booked < Slot.capacity, Slot.starts_at >= start, Slot.starts_at <= end)
        .order_by(Slot.starts_at)
    )


def free_dates(*, session: Session, site_id: int, type_code: str, now: dt.datetime, settings: Settings) -> list[dt.date]:
    """London dates at a site that have at least one free slot for the type, within the window."""
    atype = session.get(AppointmentType, type_code)
    if atype is None:
        return []
    rule = type_rule(atype)
    start, end = booking_window(now, min_notice_minutes=settings.min_notice_minutes,
                                horizon_days=settings.booking_horizon_days)
    days: list[dt.date] = []
    for slot, day, paediatric in session.exec(_free_slot_query(site_id, type_code, start, end)):
        if (not days or days[-1] != day) and slot_allowed_for_type(rule, slot.starts_at, paediatric):
            days.append(day)
    return days


def free_slots(*, session: Session, site_id: int, day: dt.date, type_code: str, now: dt.datetime,
               settings: Settings) -> list[FreeSlot]:
    """Free slots at a site on a London date for the type, within the booking window."""
    atype = session.get(AppointmentType, type_code)
    if atype is None:
        return []
    rule = type_rule(atype)
    earliest, latest = booking_window(now, min_notice_minutes=settings.min_notice_minutes,
                                      horizon_days=settings.booking_horizon_days)
    day_start, day_end = local_day_bounds(day)
    start, end = max(earliest, day_start), min(latest, day_end - dt.timedelta(microseconds=1))
    if start > end:
        return []
    return [
        FreeSlot(slot.id, slot.site_id, slot.starts_at, slot.ends_at, slot.capacity - slot.booked)  # type: ignore[arg-type]
        for slot, _day, paediatric in session.exec(_free_slot_query(site_id, type_code, start, end))
        if slot_allowed_for_type(rule, slot.starts_at, paediatric) and to_local(slot.starts_at).date() == day
    ]


def appointment_types(*, session: Session) -> list[AppointmentType]:
    """Every appointment type in display order."""
    return list(session.exec(select(AppointmentType).order_by(AppointmentType.sort_order)))
