"""Instants are aware UTC datetimes (stored as UTC); clinics run on Europe/London wall-clock time."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import dates as babel_dates

from shared.locales import ENGLISH, language

LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC


def utcnow() -> dt.datetime:
    """The current instant, aware, in UTC (the form stored in the database)."""
    return dt.datetime.now(UTC)


def local_to_utc(day: dt.date, wall: dt.time) -> dt.datetime:
    """A London wall-clock time on a day, as an aware UTC instant. Non-existent times (spring gap) move
    forward, repeated times (autumn) take the first occurrence."""
    aware = dt.datetime.combine(day, wall, tzinfo=LONDON)
    # Round-trip through UTC normalises a wall time inside the spring-forward gap.
    return aware.astimezone(UTC)


# Cached: a listing converts and formats the same few hundred slot times on every request (GET
# /api/v1/slots formats 144 a request), and both functions are pure (datetimes are immutable; an
# aware and a naive datetime never compare equal, so they never share an entry).
@lru_cache(maxsize=8192)
def to_local(instant: dt.datetime) -> dt.datetime:
    """An instant as an aware London datetime (a naive one is taken to be UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(LONDON)


@lru_cache(maxsize=8192)
def iso_local(instant: dt.datetime) -> str:
    """ISO 8601 with the London offset, e.g. 2026-03-29T09:00:00+01:00."""
    return to_local(instant).isoformat()


def local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants at which a London day starts and ends."""
    return local_to_utc(day, dt.time(0, 0)), local_to_utc(day + dt.timedelta(days=1), dt.time(0, 0))


def london_today(now: dt.datetime) -> dt.date:
    """The London date at an instant."""
    return to_local(now).date()


def format_time(instant: dt.datetime) -> str:
    """'9:05am' style London time for patients; in another language as Babel's short time in
    that language (see shared.locales: the language being written in now)."""
    local = to_local(instant)
    lang = language()
    if lang.code != ENGLISH:
        return babel_dates.format_time(local.time(), "short", locale=lang.babel_locale)
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}:{local.minute:02d}{suffix}"


def format_birth_date(day: dt.date) -> str:
    """'17 May 1970' (no weekday: a date of birth), in the language being written."""
    lang = language()
    if lang.code != ENGLISH:
        return babel_dates.format_date(day, "d MMMM y", locale=lang.babel_locale)
    return f"{day.day} {day:%B %Y}"


def format_date(day: dt.date) -> str:
    """'Monday 23 November 2026' for patients ('Dydd Llun 23 Tachwedd 2026' in Welsh)."""
    lang = language()
    if lang.code != ENGLISH:
        return babel_dates.format_date(day, "EEEE d MMMM y", locale=lang.babel_locale)
    return f"{day:%A} {day.day} {day:%B %Y}"
