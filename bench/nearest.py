"""Proposed service (would live in booking_web/services/availability.py): the first free slots
of a type at every site, nearest to a postcode first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from booking_web.services.availability import FreeSlot, SiteDistance, _free_slot_query, list_sites
from booking_web.services.booking import type_rule
from shared.config import Settings
from shared.models import AppointmentType
from shared.rules import booking_window, slot_allowed_for_type


@dataclass(frozen=True)
class SiteFirstSlots:
    """A site, how far away it is, and its earliest free slots (empty when it has none)."""

    site: SiteDistance
    slots: list[FreeSlot]


def first_free_slots(
    *,
    session: Session,
    postcode: str,
    type_code: str,
    now: dt.datetime,
    settings: Settings,
    per_site: int = 1,
    batch: int = 30,
) -> list[SiteFirstSlots]:
    """Every site that takes the type, nearest first, with its earliest free slots in the booking
    window. One indexed query per site (site_id, starts_at), read `batch` rows at a time, because
    type rules such as 'fasting: before 10:30' are applied in Python on London time."""
    atype = session.get(AppointmentType, type_code)
    if atype is None:
        return []
    rule = type_rule(atype)
    start, end = booking_window(
        now,
        min_notice_minutes=settings.min_notice_minutes,
        horizon_days=settings.booking_horizon_days,
    )
    sites, _found = list_sites(session=session, postcode=postcode, type_code=type_code)
    results = []
    for ranked in sites:
        found: list[FreeSlot] = []
        offset = 0
        while len(found) < per_site:
            rows = list(
                session.exec(
                    _free_slot_query(ranked.site.id, type_code, start, end)  # type: ignore[arg-type]
                    .offset(offset)
                    .limit(batch)
                )
            )
            found += [
                FreeSlot(
                    slot.id, slot.site_id, slot.starts_at, slot.ends_at, slot.capacity - slot.booked
                )  # type: ignore[arg-type]
                for slot, _day, paediatric in rows
                if slot_allowed_for_type(rule, slot.starts_at, paediatric)
            ][: per_site - len(found)]
            if len(rows) < batch:
                break
            offset += batch
        results.append(SiteFirstSlots(ranked, found))
    return results
