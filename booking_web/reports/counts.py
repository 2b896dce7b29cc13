"""Every figure of the reports as one SQL statement that counts the raw rows of a stretch of time,
grouped by site and London day (and the figure's keys). The same statements count recent days
live for a report and settle past days into report_count (settle.py), so the two cannot drift.

Each statement's columns: site_id, day (days since 1970-01-01), figure, k1, k2 (text keys),
k3, k4 (whole-number keys), n. What each figure counts (and by which instant's day):
- outcome (appointment time): k1 status, k2 who cancelled, k3 1 for a walk-in, k4 how late a
  cancellation was (LATENESS);
- made (when booked; not walk-ins): k1 channel;
- offered (slot time): chairs; booked, attended (appointment time; not cancelled, not walk-ins):
  chairs taken; all three with k3 weekday (Monday 0) and k4 hour, in London time;
- chairs (slot time): chairs offered, with no keys (a site's total without reading its hours);
- wait_call, wait_collect, wait_total (check-in time): k3 hour of check-in, k4 whole minutes from
  check-in to the call, the call to collection, check-in to collection (WAIT_CAP at most);
- lead (appointment time; not cancelled, not walk-ins): k4 London days from booking to it;
- message (appointment time): k1 template, k2 status, of messages about the appointment;
- label (appointment time): k1 first or reprint, k2 the printer's outcome;
- hand (appointment time): transfusion tests on attended appointments' requests, which are
  labelled by hand at the chair."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, and_, case, func, literal, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter

from booking_web.reports.sqltime import Expr, SqlClock
from shared.models import (
    Appointment,
    AppointmentStatus,
    LabRequest,
    LabRequestTest,
    LabTest,
    OutboxMessage,
    Patient,
    PrintJob,
    PrintJobLabel,
    QueueCall,
    Slot,
)

A = Appointment.__table__.c  # type: ignore[attr-defined]
S = Slot.__table__.c  # type: ignore[attr-defined]
Q = QueueCall.__table__.c  # type: ignore[attr-defined]
O = OutboxMessage.__table__.c  # type: ignore[attr-defined]  # noqa: E741
J = PrintJob.__table__.c  # type: ignore[attr-defined]
L = PrintJobLabel.__table__.c  # type: ignore[attr-defined]
R = LabRequest.__table__.c  # type: ignore[attr-defined]
RT = LabRequestTest.__table__.c  # type: ignore[attr-defined]
T = LabTest.__table__.c  # type: ignore[attr-defined]
P = Patient.__table__.c  # type: ignore[attr-defined]

ATTENDED = (AppointmentStatus.CHECKED_IN.value, AppointmentStatus.COLLECTED.value)
BOOKED = (AppointmentStatus.BOOKED.value, AppointmentStatus.DNA.value, *ATTENDED)  # chairs taken
CANCELLED = AppointmentStatus.CANCELLED.value
LATENESS = {0: "", 1: "same_day", 2: "within_48h", 3: "earlier"}  # k4 of a cancelled outcome
WAITS = {"wait_call": ("called", "checked_in"), "wait_collect": ("collected", "called"),
         "wait_total": ("collected", "checked_in")}
WAIT_CAP = 24 * 60  # a longer "wait" is a day's records left open: counted as a day
COLUMNS = ("site_id", "day", "figure", "k1", "k2", "k3", "k4", "n")


@dataclass(frozen=True)
class Window:
    """The instants to count (start included, end not) and the sites (empty: every site)."""

    start: dt.datetime
    end: dt.datetime
    site_ids: tuple[int, ...] = ()
    # Figures counted by site and day (None: all); the others are counted as site 0, day 0.
    detail: frozenset[str] | None = None


def _text(value: str) -> Expr:
    return literal(value, String)


def _number(value: int) -> Expr:
    return literal(value, Integer)


def _counted(figure: str, site: Any, day: Expr, keys: Sequence[Expr], n: Expr, window: Window) -> list[Any]:
    if window.detail is not None and figure not in window.detail:
        site, day = _number(0), _number(0)  # not grouped by (_grouped): fewer rows to return
    k1, k2, k3, k4 = keys
    return [site.label("site_id"), day.label("day"), _text(figure).label("figure"), k1.label("k1"),
            k2.label("k2"), k3.label("k3"), k4.label("k4"), n.label("n")]


def _grouped(query: Select[Any], site: Any, window: Window) -> Select[Any]:
    # Grouped by the site, day and keys the query selects; constants are not grouped by
    # (PostgreSQL cannot group by a parameter).
    grouping = [column.element for name, column in zip(COLUMNS, query.selected_columns, strict=True)
                if name not in ("figure", "n") and not isinstance(column.element, BindParameter)]
    query = query.group_by(*grouping)
    return query.where(site.in_(window.site_ids)) if window.site_ids else query


def _during(column: Any, window: Window) -> Any:
    return and_(column >= window.start, column < window.end)


def outcome(clock: SqlClock, w: Window) -> Select[Any]:
    """The window's appointments by status, who cancelled, walk-in and how late cancelled."""
    day = clock.day_in(A.starts_at)
    lateness = case(
        (A.status != CANCELLED, 0),
        (A.cancelled_at.is_(None), 3),
        # Any cancellation after the window's days is on or after the appointment's day.
        (clock.day_in(A.cancelled_at) >= day, 1),
        (clock.seconds(A.starts_at, A.cancelled_at) < 48 * 3600, 2),
        else_=3,
    )
    who = case((A.status == CANCELLED, A.cancelled_by), else_="")
    keys = [A.status, who, case((A.walk_in.is_(True), 1), else_=0), lateness]
    return _grouped(select(*_counted("outcome", A.site_id, day, keys, func.count(), w))
                    .where(_during(A.starts_at, w)), A.site_id, w)


def made(clock: SqlClock, w: Window) -> Select[Any]:
    """Bookings made in the window (not walk-ins), by channel."""
    day = clock.day_in(A.created_at)
    keys = [A.channel, _text(""), _number(0), _number(0)]
    return _grouped(select(*_counted("made", A.site_id, day, keys, func.count(), w))
                    .where(_during(A.created_at, w), A.walk_in.is_(False)), A.site_id, w)


def offered(clock: SqlClock, w: Window) -> Select[Any]:
    """Chairs offered by weekday and hour of the slot."""
    day = clock.day_in(S.starts_at)
    keys = [_text(""), _text(""), clock.weekday_in(S.starts_at), clock.hour_in(S.starts_at)]
    return _grouped(select(*_counted("offered", S.site_id, day, keys, func.sum(S.capacity), w))
                    .where(_during(S.starts_at, w)), S.site_id, w)


def chairs(clock: SqlClock, w: Window) -> Select[Any]:
    """Chairs offered, in all."""
    day = clock.day_in(S.starts_at)
    keys = [_text(""), _text(""), _number(0), _number(0)]
    return _grouped(select(*_counted("chairs", S.site_id, day, keys, func.sum(S.capacity), w))
                    .where(_during(S.starts_at, w)), S.site_id, w)


def _taken(figure: str, clock: SqlClock, w: Window, *statuses: str) -> Select[Any]:
    day = clock.day_in(A.starts_at)
    keys = [_text(""), _text(""), clock.weekday_in(A.starts_at), clock.hour_in(A.starts_at)]
    return _grouped(select(*_counted(figure, A.site_id, day, keys, func.count(), w))
                    .where(_during(A.starts_at, w), A.status.in_(statuses), A.walk_in.is_(False)),
                    A.site_id, w)


def booked(clock: SqlClock, w: Window) -> Select[Any]:
    """Chairs booked (not cancelled, not walk-ins) by weekday and hour."""
    return _taken("booked", clock, w, *BOOKED)


def attended(clock: SqlClock, w: Window) -> Select[Any]:
    """Chairs booked and attended by weekday and hour."""
    return _taken("attended", clock, w, *ATTENDED)


def wait(stage: str, clock: SqlClock, w: Window) -> Select[Any]:
    """Whole minutes of one stage of the wait, by hour of check-in."""
    instants = {"checked_in": A.checked_in_at, "called": Q.called_at, "collected": A.collected_at}
    later, earlier = (instants[name] for name in WAITS[stage])
    seconds = clock.seconds(later, earlier)
    minutes = clock.least(seconds // 60, WAIT_CAP)  # the seconds worked out once a row, not twice
    day = clock.day_in(A.checked_in_at)
    keys = [_text(""), _text(""), clock.hour_in(A.checked_in_at), minutes]
    query = (
        select(*_counted(stage, A.site_id, day, keys, func.count(), w))
        .select_from(Appointment.__table__.outerjoin(QueueCall.__table__, Q.appointment_id == A.id))  # type: ignore[attr-defined]
        # Check-in is on the appointment's day: the index on appointment time finds the rows.
        .where(A.starts_at >= w.start - dt.timedelta(days=1), A.starts_at < w.end + dt.timedelta(days=1),
               _during(A.checked_in_at, w), later.is_not(None), earlier.is_not(None), seconds >= 0)
    )
    return _grouped(query, A.site_id, w)


def lead(clock: SqlClock, w: Window) -> Select[Any]:
    """Bookings (not cancelled, not walk-ins) by London days from booking to appointment."""
    day = clock.day_in(A.starts_at)
    # A booking is made any time before: its day is converted row by row.
    keys = [_text(""), _text(""), _number(0), day - clock.day_number(A.created_at)]
    return _grouped(select(*_counted("lead", A.site_id, day, keys, func.count(), w))
                    .where(_during(A.starts_at, w), A.status != CANCELLED, A.walk_in.is_(False)),
                    A.site_id, w)


def message(clock: SqlClock, w: Window) -> Select[Any]:
    """Messages about the window's appointments by template and status."""
    day = clock.day_in(A.starts_at)
    keys = [O.template, O.status, _number(0), _number(0)]
    return _grouped(select(*_counted("message", A.site_id, day, keys, func.count(), w))
                    .select_from(Appointment.__table__.join(OutboxMessage.__table__, O.appointment_id == A.id))  # type: ignore[attr-defined]
                    .where(_during(A.starts_at, w)), A.site_id, w)


def label(clock: SqlClock, w: Window) -> Select[Any]:
    """Labels of the window's appointments: first prints or reprints, by the printer's outcome."""
    day = clock.day_in(A.starts_at)
    keys = [case((L.reprint.is_(True), "reprint"), else_="first"), L.outcome, _number(0), _number(0)]
    joined = (Appointment.__table__.join(PrintJob.__table__, J.appointment_id == A.id)  # type: ignore[attr-defined]
              .join(PrintJobLabel.__table__, L.job_id == J.id))  # type: ignore[attr-defined]
    return _grouped(select(*_counted("label", A.site_id, day, keys, func.count(), w)).select_from(joined)
                    .where(_during(A.starts_at, w)), A.site_id, w)


def hand(clock: SqlClock, w: Window) -> Select[Any]:
    """Transfusion tests on attended appointments' requests (a request counts only for its own
    patient, as at check-in: specimens.tube_plan)."""
    day = clock.day_in(A.starts_at)
    keys = [_text(""), _text(""), _number(0), _number(0)]
    joined = (Appointment.__table__  # type: ignore[attr-defined]
              .join(Patient.__table__, P.id == A.patient_id)  # type: ignore[attr-defined]
              .join(LabRequest.__table__, and_(R.request_number == A.request_number,  # type: ignore[attr-defined]
                                               R.nhs_number == P.nhs_number))
              .join(LabRequestTest.__table__, RT.request_id == R.id)  # type: ignore[attr-defined]
              .join(LabTest.__table__, T.code == RT.test_code))  # type: ignore[attr-defined]
    return _grouped(select(*_counted("hand", A.site_id, day, keys, func.count(), w)).select_from(joined)
                    .where(_during(A.starts_at, w), A.status.in_(ATTENDED), T.transfusion.is_(True)),
                    A.site_id, w)


def every_figure(clock: SqlClock, window: Window) -> list[Select[Any]]:
    """One counting statement per figure."""
    return [outcome(clock, window), made(clock, window), offered(clock, window), chairs(clock, window),
            booked(clock, window), attended(clock, window),
            *(wait(stage, clock, window) for stage in WAITS),
            lead(clock, window), message(clock, window), label(clock, window), hand(clock, window)]
