"""Rules for test requests that need no database: ODS codes, the 'take between' window and its
presets, and when the window's reminder and end fall (London dates, so a clock change moves
nothing: the window ends at midnight London time after its last day)."""

from __future__ import annotations

import datetime as dt
import re

from shared.errors import Problem, problem
from shared.rules import age_on
from shared.timeutil import local_to_utc, to_local

_ODS = re.compile(r"^[A-Z0-9]{3,6}$")
MAX_WINDOW_DAYS = 366  # the latest date may be at most a year ahead
ASAP_DAYS = 7
AFTER_DATE_DAYS = 28  # "on or after a date": the window runs four weeks from it
WEEKS_WINDOW_DAYS = 7  # "in N weeks": the week starting N weeks from today
MAX_WEEKS = 52


def clean_ods_code(raw: object) -> tuple[str, Problem | None]:
    """An ODS code in upper case (3-6 letters and digits), or its problem."""
    text = raw.strip().upper() if isinstance(raw, str) else ""
    if not text:
        return "", problem("ods_code_missing")
    if not _ODS.match(text) or not text.isascii():
        return text[:6], problem("ods_code_invalid")
    return text, None


def window_for_preset(
    preset: str, *, today: dt.date, weeks: int | None = None, after: dt.date | None = None
) -> tuple[dt.date, dt.date] | None:
    """(earliest, latest) for a preset: 'asap' (today and the next 7 days), 'weeks' (the week
    starting `weeks` weeks from today), 'after' (four weeks from `after`). None when the preset
    lacks what it needs."""
    if preset == "asap":
        return today, today + dt.timedelta(days=ASAP_DAYS)
    if preset == "weeks" and weeks is not None and 1 <= weeks <= MAX_WEEKS:
        start = today + dt.timedelta(weeks=weeks)
        return start, start + dt.timedelta(days=WEEKS_WINDOW_DAYS - 1)
    if preset == "after" and after is not None:
        return after, after + dt.timedelta(days=AFTER_DATE_DAYS - 1)
    return None


def window_problem(earliest: dt.date, latest: dt.date, *, today: dt.date) -> dict[str, Problem]:
    """What is wrong with a window ({} when nothing): field name -> its problem."""
    if earliest < today:
        return {"earliest": problem("window_earliest_past")}
    if latest < earliest:
        return {"latest": problem("window_latest_before_earliest")}
    if latest > today + dt.timedelta(days=MAX_WINDOW_DAYS):
        return {"latest": problem("window_latest_too_far")}
    return {}


def window_opens_at(earliest: dt.date) -> dt.datetime:
    """The instant the window opens: midnight London time at the start of its first day."""
    return local_to_utc(earliest, dt.time(0, 0))


def window_ends_at(latest: dt.date) -> dt.datetime:
    """The instant the window ends: midnight London time after its last day."""
    return local_to_utc(latest + dt.timedelta(days=1), dt.time(0, 0))


def reminder_due_at(*, earliest: dt.date, latest: dt.date, invited_at: dt.datetime) -> dt.datetime:
    """Half-way through the part of the window the patient has had the invitation for."""
    start = max(window_opens_at(earliest), invited_at)
    end = window_ends_at(latest)
    return start + (end - start) / 2


def in_window(day: dt.date, earliest: dt.date | None, latest: dt.date | None) -> bool:
    """True when a London date falls inside the window (always, for a request without one)."""
    if earliest is None or latest is None:
        return True
    return earliest <= day <= latest


def invitation_due(*, earliest: dt.date, horizon_days: int, now: dt.datetime) -> bool:
    """True once the window's first day is inside the booking horizon: no point inviting a
    patient to book a date they cannot book yet."""
    return earliest <= to_local(now).date() + dt.timedelta(days=horizon_days)


def appointment_type_for(*, date_of_birth: dt.date, day: dt.date, fasting: bool) -> str:
    """The appointment type a request books: a child's test under 16 (children's clinics),
    else a fasting test when any test needs fasting, else an adult test."""
    if age_on(date_of_birth, day) < 16:
        return "child"
    return "fasting" if fasting else "adult"
