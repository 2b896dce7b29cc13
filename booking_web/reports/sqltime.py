"""London wall-clock parts of stored UTC instants, computed inside the database on both engines,
so the reports group by local day, weekday and hour in SQL instead of reading rows into Python.

PostgreSQL has the time zone database: `timezone('Europe/London', instant)`. SQLite has none, so
the offset is a CASE over the moments London's offset changes (taken from Python's zoneinfo for
the years around the period) and `datetime(instant, '+60 minutes')` applies it. Both give the same
wall-clock time; tests compare them with Python's own conversion across the clock changes.

Converting every row costs: on SQLite each conversion parses the stored text two or three times,
about 5 microseconds a figure a row, which made a report's few live days take a quarter of a
second at 50 sites. The instants a report counts are in its period, whose London days start at
UTC instants known beforehand, so `day_in`, `weekday_in` and `hour_in` compare the stored
instant with those edges (a balanced CASE: about ten comparisons for two years of days) and take
the hour from the UTC hour plus the period's offset, with no date function at all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Integer, case, cast, func, literal, literal_column
from sqlalchemy.sql.elements import ColumnClause, ColumnElement
from sqlmodel.sql.sqltypes import UTCDateTime

from shared.timeutil import LONDON, local_day_bounds

Expr = ColumnElement[Any]


@cache
def offset_changes(year: int) -> tuple[tuple[dt.datetime, int], ...]:
    """(UTC instant, offset in minutes from then on) for each change of London's offset in a
    year, found by stepping through the year a day at a time and then an hour at a time."""
    def offset(at: dt.datetime) -> int:
        delta = at.astimezone(LONDON).utcoffset()
        return int(delta.total_seconds() // 60) if delta else 0

    changes = []
    day = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    while day.year == year:
        after = day + dt.timedelta(days=1)
        if offset(after) != offset(day):
            hour = day
            while offset(hour + dt.timedelta(hours=1)) == offset(day):
                hour += dt.timedelta(hours=1)
            changes.append((hour + dt.timedelta(hours=1), offset(after)))
        day = after
    return tuple(changes)


def _changes_around(first: dt.date, last: dt.date) -> list[tuple[dt.datetime, int]]:
    """Offset changes from two years before `first` to a year after `last`: bookings are made
    and cancelled weeks before the appointments a period holds."""
    return [c for year in range(first.year - 2, last.year + 2) for c in offset_changes(year)]


@dataclass(frozen=True)
class SqlClock:
    """Builds SQL for the London parts of instant columns, for one engine and period."""

    dialect: str
    first: dt.date
    last: dt.date

    def local(self, instant: Expr) -> Expr:
        """The London wall-clock timestamp of an instant."""
        if self.dialect == "postgresql":
            return func.timezone("Europe/London", instant)
        changes = _changes_around(self.first, self.last)
        if not changes:  # a zone without clock changes
            return func.datetime(_whole_seconds(instant),
                                 f"{offset_of(dt.datetime(self.first.year, 1, 1, tzinfo=dt.UTC)):+d} minutes")
        before = offset_of(changes[0][0] - dt.timedelta(hours=1))
        offsets = [before] + [offset for _at, offset in changes]
        whens = [(instant < literal(at, UTCDateTime()), f"{mins:+d} minutes")
                 for (at, _offset), mins in zip(changes, offsets, strict=False)]
        modifier = case(*whens, else_=f"{offsets[-1]:+d} minutes")
        return func.datetime(_whole_seconds(instant), modifier)

    def hour(self, instant: Expr) -> Expr:
        """The London hour (0-23)."""
        local = self.local(instant)
        if self.dialect == "postgresql":
            return cast(func.extract("hour", local), Integer)
        return cast(func.strftime("%H", local), Integer)

    def weekday(self, instant: Expr) -> Expr:
        """The London weekday, Monday 0 to Sunday 6 (as Python's date.weekday())."""
        local = self.local(instant)
        if self.dialect == "postgresql":
            return cast(func.extract("isodow", local), Integer) - 1
        return (cast(func.strftime("%w", local), Integer) + 6) % 7

    def day_number(self, instant: Expr) -> Expr:
        """The London date as a whole number of days (differences are days between dates;
        `date_of` turns one back into a date)."""
        local = self.local(instant)
        if self.dialect == "postgresql":
            return cast(func.date_part("epoch", func.date_trunc("day", local)), Integer) // 86400
        return cast(func.julianday(func.date(local)), Integer) - _JULIAN_UNIX_EPOCH

    def day_in(self, instant: Expr) -> Expr:
        """The London date, as `day_number`, of an instant in the clock's days; an instant
        before them gives the day before the first, one after them the day after the last."""
        first, n_days = day_number_of(self.first), (self.last - self.first).days + 1
        edges = [local_day_bounds(self.first + dt.timedelta(days=i))[0] for i in range(n_days + 1)]

        def days_reached(lo: int, hi: int) -> Expr:  # how many edges are at or before the instant
            if lo == hi:
                return literal(first - 1 + lo, Integer)
            mid = (lo + hi + 1) // 2
            return case((instant < literal(edges[mid - 1], UTCDateTime()), days_reached(lo, mid - 1)),
                        else_=days_reached(mid, hi))
        return days_reached(0, len(edges))

    def weekday_in(self, instant: Expr) -> Expr:
        """The London weekday (Monday 0) of an instant in the clock's days."""
        return (self.day_in(instant) + _THURSDAY) % 7

    def hour_in(self, instant: Expr) -> Expr:
        """The London hour of an instant in the clock's days: its UTC hour plus London's offset,
        which changes only at the clock changes inside those days."""
        start, end = local_day_bounds(self.first)[0], local_day_bounds(self.last)[1]
        changes = [(at, mins) for at, mins in _changes_around(self.first, self.last) if start < at < end]
        offsets = [offset_of(start)] + [mins for _at, mins in changes]
        if any(mins % 60 for mins in offsets):
            raise ValueError("hour_in needs offsets of whole hours")  # London's always are
        whens = [(instant < literal(at, UTCDateTime()), mins // 60)
                 for (at, _mins), mins in zip(changes, offsets, strict=False)]
        offset = case(*whens, else_=offsets[-1] // 60) if whens else literal(offsets[0] // 60, Integer)
        if self.dialect == "postgresql":
            utc_hour = cast(func.extract("hour", func.timezone("UTC", instant)), Integer)
        else:
            utc_hour = cast(func.substr(instant, 12, 2), Integer)  # 'YYYY-MM-DD HH:...'
        return (utc_hour + offset + 24) % 24

    @staticmethod
    def date_of(day_number: int) -> dt.date:
        """The date a `day_number` stands for."""
        return _UNIX_EPOCH + dt.timedelta(days=int(day_number))

    def least(self, value: Expr, most: int) -> Expr:
        """The smaller of a whole number and `most`."""
        if self.dialect == "postgresql":
            return func.least(value, literal(most, Integer))
        return func.min(value, literal(most, Integer))  # SQLite's min() of two values is scalar

    def seconds(self, later: Expr, earlier: Expr) -> Expr:
        """Whole seconds from `earlier` to `later`, each instant's fraction of a second dropped."""
        if self.dialect == "postgresql":
            def epoch(x: Expr) -> Expr:
                return cast(func.floor(func.extract("epoch", x)), Integer)
        else:
            def epoch(x: Expr) -> Expr:
                return cast(func.strftime("%s", _whole_seconds(x)), Integer)
        return epoch(later) - epoch(earlier)


def _whole_seconds(instant: Expr) -> Expr:
    """A stored SQLite instant ('YYYY-MM-DD HH:MM:SS.ffffff') cut to whole seconds: SQLite's
    date functions round the fraction to milliseconds, so 23:59:59.9999 would become the next
    day."""
    return func.substr(instant, 1, 19)


_UNIX_EPOCH = dt.date(1970, 1, 1)
_THURSDAY = 3  # 1 January 1970, day 0, as date.weekday() numbers it
# julianday('1970-01-01') is 2440587.5; julianday() of a date is that at midnight, so the
# whole part of (julianday(date) + 0.5) counts days. CAST truncates, hence the literal below.
_JULIAN_UNIX_EPOCH: ColumnClause[Any] = literal_column("2440587")


def day_number_of(day: dt.date) -> int:
    """A date as a whole number of days since 1 January 1970 (what `day_number` gives)."""
    return (day - _UNIX_EPOCH).days


def offset_of(at: dt.datetime) -> int:
    """London's offset from UTC at an instant, in minutes."""
    delta = at.astimezone(LONDON).utcoffset()
    return int(delta.total_seconds() // 60) if delta else 0
