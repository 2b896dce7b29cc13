"""The report's figures, on both engines, equal the same figures counted independently in Python
from the raw rows (tests/report_world.py): counted live, half settled, and settled with whole
months, for every site, one, several, and periods that cross a clock change. Settling catches a
late change in the days it recounts; a report costs a fixed handful of statements."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, literal, select
from sqlmodel import Session
from sqlmodel import select as sm_select
from sqlmodel.sql.sqltypes import UTCDateTime

from booking_web.reports.figures import build_report
from booking_web.reports.scope import ReportScope
from booking_web.reports.settle import settle_reports
from booking_web.reports.sqltime import SqlClock
from shared.models import Appointment, PrintJob, PrintJobLabel, ReportCount
from shared.timeutil import local_day_bounds, to_local
from tests.report_world import actual_report, build_world, expected_report, whole_seconds
from tests.sql_log import statements

FIRST = dt.date(2026, 2, 24)  # through March (a whole month, with its clock change) to 5 April
DAYS = 41


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def _scopes(world) -> list[ReportScope]:  # type: ignore[no-untyped-def]
    ids = [s.id for s in world.sites]
    return [
        ReportScope((), world.first, world.last),  # every site, every day
        ReportScope((ids[0],), world.first, world.last),
        ReportScope((ids[0], ids[2]), dt.date(2026, 3, 10), dt.date(2026, 4, 2)),
        ReportScope((), dt.date(2026, 3, 29), dt.date(2026, 3, 29)),  # the clock-change day alone
        ReportScope((ids[1],), dt.date(2026, 3, 1), dt.date(2026, 3, 31)),  # exactly one month
    ]


def _check(session: Session, world) -> None:  # type: ignore[no-untyped-def]
    for scope in _scopes(world):
        report = build_report(session=session, scope=scope)
        want = expected_report(session, set(scope.site_ids), scope.first, scope.last)
        got = actual_report(report)
        for name in want:
            assert got[name] == want[name], (scope, report.settled_until, name)
        assert report.outcomes.appointments > 0 and report.waits["to_call"].count > 0, scope
        if scope.days > 20:
            assert min(report.labels.values()) > 0 and report.made and report.messages, scope


def test_instants_in_london_time_match_python_across_clock_changes(session: Session):
    clock = SqlClock(session.get_bind().dialect.name, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    instants = []
    for day, hours in ((dt.datetime(2026, 3, 28, 22, tzinfo=dt.UTC), 6),
                       (dt.datetime(2026, 10, 24, 22, tzinfo=dt.UTC), 6),
                       (dt.datetime(2026, 6, 30, 22, 59, 59, 999_999, tzinfo=dt.UTC), 2),
                       (dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC), 1)):
        instants += [day + dt.timedelta(minutes=30 * i) for i in range(hours * 2)]
    for instant in instants:
        value = literal(instant, UTCDateTime())
        hour, weekday, day = session.execute(
            select(clock.hour(value), clock.weekday(value), clock.day_number(value))).one()
        local = to_local(instant)
        assert (hour, weekday, SqlClock.date_of(day)) == (local.hour, local.weekday(), local.date()), instant


def _edges_and_neighbours(*instants: dt.datetime) -> list[dt.datetime]:
    """Each instant, a microsecond before it and a second after it."""
    return [i + d for i in instants for d in (dt.timedelta(0), -dt.timedelta(microseconds=1), dt.timedelta(seconds=1))]


def test_window_days_and_hours_match_python_at_every_edge(session: Session):
    """day_in / weekday_in / hour_in (compared with the UTC edges of the clock's London days, no
    conversion of the row) equal Python's London time at the clock changes (the BST change
    instant itself, the autumn hour that happens twice), at local midnights, at the window's
    ends, and through every half hour of the change days; outside the days they say before or
    after."""
    utc = dt.UTC
    for first, last in ((dt.date(2026, 3, 29), dt.date(2026, 3, 29)),  # the spring change day alone
                        (dt.date(2026, 3, 27), dt.date(2026, 3, 31)),
                        (dt.date(2026, 10, 25), dt.date(2026, 10, 26)),  # starts on the autumn change
                        (dt.date(2026, 3, 1), dt.date(2026, 11, 30))):  # both changes, 275 days
        clock = SqlClock(session.get_bind().dialect.name, first, last)
        start, end = local_day_bounds(first)[0], local_day_bounds(last)[1]
        instants = _edges_and_neighbours(
            start, end - dt.timedelta(seconds=1), dt.datetime(2026, 3, 29, 1, tzinfo=utc),
            dt.datetime(2026, 10, 25, 1, tzinfo=utc), dt.datetime(2026, 3, 29, 23, tzinfo=utc),
            dt.datetime(2026, 10, 25, 0, tzinfo=utc), dt.datetime(2026, 10, 26, 0, tzinfo=utc),
            dt.datetime(2026, 6, 30, 23, tzinfo=utc))
        instants += [dt.datetime(2026, month, day, tzinfo=utc) + dt.timedelta(minutes=30 * i)
                     for month, day in ((3, 28), (10, 24)) for i in range(4 * 24 * 2 // 2)]
        instants += [end + dt.timedelta(seconds=1), end + dt.timedelta(days=40), start - dt.timedelta(days=40)]
        checked = 0
        for instant in instants:
            value = literal(instant, UTCDateTime())
            day, weekday, hour = session.execute(
                select(clock.day_in(value), clock.weekday_in(value), clock.hour_in(value))).one()
            local = to_local(instant)
            if instant < start:
                assert SqlClock.date_of(day) == first - dt.timedelta(days=1), instant
            elif instant >= end:
                assert SqlClock.date_of(day) == last + dt.timedelta(days=1), instant
            else:
                assert (SqlClock.date_of(day), weekday, hour) == (local.date(), local.weekday(), local.hour), instant
                checked += 1
        assert checked > 20


def test_seconds_between_drop_each_fraction(session: Session):
    clock = SqlClock(session.get_bind().dialect.name, dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    a = dt.datetime(2026, 3, 29, 0, 59, 59, 900_000, tzinfo=dt.UTC)
    for later in (a + dt.timedelta(microseconds=200_000), a + dt.timedelta(seconds=299, microseconds=50_000),
                  a + dt.timedelta(hours=49)):
        got = session.execute(select(clock.seconds(literal(later, UTCDateTime()), literal(a, UTCDateTime())))).scalar_one()
        assert got == whole_seconds(later, a)


def test_figures_equal_the_rows_live_half_settled_and_settled(session: Session):
    world = build_world(session, first=FIRST, days=DAYS)
    _check(session, world)  # nothing settled: every day counted live
    done = settle_reports(session=session, now=_noon(dt.date(2026, 3, 18)))
    # From the first booking (up to 30 days before the first clinic) to two days ago.
    assert done.counted_from < FIRST and done.settled_until == dt.date(2026, 3, 16)
    _check(session, world)  # settled to 16 March, the rest live
    assert not session.exec(sm_select(ReportCount).where(ReportCount.grain == "m",
                                                         ReportCount.period == 2026 * 12 + 2)).first()
    done = settle_reports(session=session, now=_noon(dt.date(2026, 4, 9)))
    assert done.settled_until == dt.date(2026, 4, 7)
    assert session.exec(sm_select(ReportCount).where(ReportCount.grain == "m",  # March added up
                                                     ReportCount.period == 2026 * 12 + 2)).first()
    _check(session, world)  # every day settled; March read as one month


def _unconfirmed_label(session: Session, after: dt.datetime) -> PrintJobLabel:
    """A label the printer did not confirm, of an appointment after `after`."""
    for label in session.exec(sm_select(PrintJobLabel).where(PrintJobLabel.outcome != "confirmed")):
        job = session.get(PrintJob, label.job_id)
        if session.get(Appointment, job.appointment_id).starts_at > after:  # type: ignore[union-attr]
            return label
    raise AssertionError("the world has no unconfirmed label after that")


def test_a_late_change_within_the_recount_days_reaches_the_report(session: Session):
    world = build_world(session, first=dt.date(2026, 3, 23), days=14, sites=1)
    scope = ReportScope((), world.first, world.last)
    settle_reports(session=session, now=_noon(dt.date(2026, 4, 8)))  # settled to 6 April
    before = build_report(session=session, scope=scope).labels
    label = _unconfirmed_label(session, _noon(dt.date(2026, 3, 26)))
    label.outcome = "confirmed"  # e.g. the printer's answer reported late
    session.commit()
    settle_reports(session=session, now=_noon(dt.date(2026, 4, 8)) + dt.timedelta(hours=3))
    assert build_report(session=session, scope=scope).labels == before  # recounted once a day
    settle_reports(session=session, now=_noon(dt.date(2026, 4, 9)))  # recounts 24 March on
    after = build_report(session=session, scope=scope)
    assert after.labels["not_printed"] == before["not_printed"] - 1
    assert actual_report(after) == expected_report(session, set(), scope.first, scope.last)


def test_a_change_older_than_the_recount_days_is_not_counted_again(session: Session):
    world = build_world(session, first=dt.date(2026, 3, 23), days=14, sites=1)
    scope = ReportScope((), world.first, world.last)
    settle_reports(session=session, now=_noon(dt.date(2026, 4, 30)))  # settled to 28 April
    before = build_report(session=session, scope=scope).labels
    _unconfirmed_label(session, _noon(world.first)).outcome = "confirmed"
    session.commit()
    settle_reports(session=session, now=_noon(dt.date(2026, 5, 1)))  # recounts 16 April on
    assert dt.date(2026, 4, 16) > world.last
    assert build_report(session=session, scope=scope).labels == before  # as the README says


def test_settling_twice_changes_nothing(session: Session):
    build_world(session, first=dt.date(2026, 3, 23), days=10, sites=2)
    settle_reports(session=session, now=_noon(dt.date(2026, 4, 10)))
    rows = session.execute(select(func.count(), func.sum(ReportCount.n))).one()
    again = settle_reports(session=session, now=_noon(dt.date(2026, 4, 10)) + dt.timedelta(hours=2))
    assert (again.counted_from, again.counted_to) == (None, None)  # nothing new, recounted today
    assert session.execute(select(func.count(), func.sum(ReportCount.n))).one() == rows


def test_a_report_costs_the_same_statements_for_ten_times_the_rows(session: Session, engine):  # type: ignore[no-untyped-def]
    small = build_world(session, seed=1, first=dt.date(2026, 3, 2), days=2, sites=1, prefix="Small")
    live = ReportScope((), small.first, small.last)
    with statements(engine) as few:
        build_report(session=session, scope=live)
    build_world(session, seed=2, first=dt.date(2026, 3, 2), days=2, sites=10, prefix="Big")
    with statements(engine) as many:
        build_report(session=session, scope=live)
    assert len(few) == len(many) <= 16, many
    settle_reports(session=session, now=_noon(dt.date(2026, 4, 1)))
    with statements(engine) as settled:
        build_report(session=session, scope=live)
    assert len(settled) == 5, settled  # state, three reads of the counts, site names
