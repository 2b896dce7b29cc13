"""Pure booking rules (DOMAIN section 4): who may book which type, when. No database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.errors import Problem, problem
from shared.timeutil import to_local


@dataclass(frozen=True)
class TypeRule:
    """The parts of an appointment type that rules need."""

    code: str
    name: str
    min_age_years: int | None
    max_age_years: int | None
    paediatric_site_only: bool
    latest_start: dt.time | None


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Age in whole years on `day`."""
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def age_problem(rule: TypeRule, date_of_birth: dt.date, day: dt.date) -> Problem | None:
    """Why a patient of this age cannot have this type of appointment, or None."""
    age = age_on(date_of_birth, day)
    if rule.min_age_years is not None and age < rule.min_age_years:
        return problem("age_too_young", type_name=rule.name, min_age=rule.min_age_years)
    if rule.max_age_years is not None and age >= rule.max_age_years:
        return problem("age_too_old", type_name=rule.name, max_age=rule.max_age_years)
    return None


def slot_allowed_for_type(rule: TypeRule, starts_at_utc: dt.datetime, site_paediatric: bool) -> bool:
    """True when a slot's start time and site suit the appointment type."""
    if rule.paediatric_site_only and not site_paediatric:
        return False
    if rule.latest_start is not None:
        local = to_local(starts_at_utc).time()
        if local >= rule.latest_start:
            return False
    return True


def restricts_slots(rule: TypeRule) -> bool:
    """False when slot_allowed_for_type allows every slot for this type (a listing then need not ask
    slot by slot)."""
    return rule.paediatric_site_only or rule.latest_start is not None


def booking_window(now: dt.datetime, *, min_notice_minutes: int, horizon_days: int) -> tuple[dt.datetime, dt.datetime]:
    """The earliest and latest slot starts (UTC) that can be booked at `now`."""
    return now + dt.timedelta(minutes=min_notice_minutes), now + dt.timedelta(days=horizon_days)


def mask_name(given: str, family: str) -> str:
    """'J*** S****': enough for a patient to recognise, too little to read someone else's."""

    def mask(word: str) -> str:
        word = word.strip()
        return (word[0] + "*" * max(len(word) - 1, 3)) if word else ""

    return " ".join(p for p in (mask(given), mask(family)) if p)
