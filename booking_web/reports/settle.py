"""Settling past days into report_count: each day's figures counted once from the raw rows
(counts.py, the same SQL a report runs live), then added up for every site (site 0) and for each
whole month, so a long report reads months and a short one days.

A day is settled two days after it (its DNA marks, collections and messages are done by then).
Once a day, the last RECOUNT_DAYS settled days are counted again, so a late change (a reprint the
morning after, a message retried) still reaches the reports; an older change does not. Each
stretch is counted in one transaction that replaces what it counted before, so a report reading
at the same time sees the old counts or the new ones, never both."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, String, delete, func, insert, literal, select
from sqlmodel import Session

from booking_web.reports.counts import Window, every_figure
from booking_web.reports.sqltime import SqlClock
from shared.models import Appointment, ReportCount, ReportState, Slot
from shared.timeutil import local_day_bounds, london_today, to_local

SETTLE_AFTER_DAYS = 2
RECOUNT_DAYS = 14
# Days counted per transaction: on SQLite a transaction that writes holds the one write lock,
# and a booking waits for it; a week of one site's counting takes well under a second.
STRETCH_DAYS = 7
C = ReportCount.__table__.c  # type: ignore[attr-defined]
KEYS = (C.figure, C.k1, C.k2, C.k3, C.k4)
TARGET = [C.grain, C.period, C.site_id, *KEYS, C.n]
_EPOCH = dt.date(1970, 1, 1)


def day_number(day: dt.date) -> int:
    """A London date as report_count's day period."""
    return (day - _EPOCH).days


def month_number(day: dt.date) -> int:
    """The month a date is in, as report_count's month period."""
    return day.year * 12 + day.month - 1


def month_days(month: int) -> tuple[dt.date, dt.date]:
    """The first and last dates of a month period."""
    first = dt.date(month // 12, month % 12 + 1, 1)
    following = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


@dataclass(frozen=True)
class Settled:
    """What one settle run did."""

    counted_from: dt.date | None
    counted_to: dt.date | None
    settled_until: dt.date | None


def settled_until(session: Session) -> dt.date | None:
    """The last settled day (None before the first settle)."""
    state = session.get(ReportState, 1)
    return state.settled_until if state else None


def _first_day(session: Session) -> dt.date | None:
    """The first London day anything was booked or offered."""
    earliest = [session.execute(select(func.min(column))).scalar() for column in
                (Appointment.__table__.c.created_at, Slot.__table__.c.starts_at)]  # type: ignore[attr-defined]
    found = [to_local(e).date() for e in earliest if e is not None]
    return min(found) if found else None


def count_days(session: Session, first: dt.date, last: dt.date) -> None:
    """Count every figure of the London days first..last into report_count (replacing what was
    counted for them), for each site, every site, and each whole month up to `last`; does not
    commit."""
    clock = SqlClock(session.get_bind().dialect.name, first, last)
    window = Window(local_day_bounds(first)[0], local_day_bounds(last)[1])
    lo, hi = day_number(first), day_number(last)
    session.execute(delete(ReportCount).where(C.grain == "d", C.period.between(lo, hi)))
    for query in every_figure(clock, window):
        c = query.subquery().c
        session.execute(insert(ReportCount).from_select(TARGET, select(
            literal("d", String), c.day, c.site_id, c.figure, c.k1, c.k2, c.k3, c.k4, c.n)))
    everywhere = (select(literal("d", String), C.period, literal(0, Integer), *KEYS, func.sum(C.n))
                  .where(C.grain == "d", C.period.between(lo, hi), C.site_id != 0)
                  .group_by(C.period, *KEYS))
    session.execute(insert(ReportCount).from_select(TARGET, everywhere))


def count_month(session: Session, month: int) -> None:
    """Add up a month's day counts into its month counts (replacing them); does not commit."""
    first, last = month_days(month)
    session.execute(delete(ReportCount).where(C.grain == "m", C.period == month))
    summed = (select(literal("m", String), literal(month, Integer), C.site_id, *KEYS, func.sum(C.n))
              .where(C.grain == "d", C.period.between(day_number(first), day_number(last)))
              .group_by(C.site_id, *KEYS))
    session.execute(insert(ReportCount).from_select(TARGET, summed))


def _settle(session: Session, first: dt.date, last: dt.date, now: dt.datetime, *, recount: bool) -> None:
    """Count first..last, then the whole months they touch, and mark them settled; commits."""
    count_days(session, first, last)
    state = session.get(ReportState, 1) or ReportState(id=1)
    until = max(last, state.settled_until or last)
    month = month_number(first)
    while month <= month_number(last):
        if month_days(month)[1] <= until:
            count_month(session, month)
        month += 1
    state.settled_until, state.updated_at = until, now
    if recount:
        state.resettled_on = london_today(now)
    session.add(state)
    session.commit()


def settle_reports(*, session: Session, now: dt.datetime) -> Settled:
    """Once a day count the last RECOUNT_DAYS settled days again, then settle every day up to
    two days ago that is not settled yet, STRETCH_DAYS per transaction; commits."""
    today = london_today(now)
    target = today - dt.timedelta(days=SETTLE_AFTER_DAYS)
    state = session.get(ReportState, 1)
    counted: list[dt.date] = []
    if state and state.settled_until and state.resettled_on != today:
        first, until = state.settled_until - dt.timedelta(days=RECOUNT_DAYS - 1), state.settled_until
        while first <= until:
            last = min(until, first + dt.timedelta(days=STRETCH_DAYS - 1))
            _settle(session, first, last, now, recount=last == until)
            counted += [first, last]
            first = last + dt.timedelta(days=1)
    done = settled_until(session)
    start = done + dt.timedelta(days=1) if done else _first_day(session)
    while start is not None and start <= target:
        last = min(target, start + dt.timedelta(days=STRETCH_DAYS - 1))
        _settle(session, start, last, now, recount=done is None)
        counted += [start, last]
        start = last + dt.timedelta(days=1)
    return Settled(min(counted, default=None), max(counted, default=None), settled_until(session))
