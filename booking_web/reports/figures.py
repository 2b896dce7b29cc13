"""A report's figures: the settled counts of its past days (report_count, three aggregate
queries) added to the counts of its recent days counted live (counts.py), then shaped for the
page. Python only adds up the grouped counts that come back, never the rows themselves.

Definitions (the report page words them the same way):
- bookings made: bookings (not walk-ins) made in the period, by how they were made;
- appointments: those whose time is in the period. Attended: checked in (and collected or not).
  Did not attend (DNA): marked by the scheduler once the clinic session ended. DNA rate: DNA out
  of attended + DNA. Cancellations by how late: on the day, under 48 hours before, earlier;
- utilisation: chairs booked (not cancelled) and attended out of chairs offered (the slots'
  capacity), by site, and by weekday and hour of the slot;
- waits: from check-in to being called, from being called to collection, and check-in to
  collection, in whole minutes, by the hour of check-in; median and 90th percentile by nearest
  rank (percentiles.py);
- lead time: London days from the booking being made to the appointment;
- messages and labels: those of the period's appointments."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from booking_web.reports.counts import ATTENDED, BOOKED, CANCELLED, LATENESS, Window, every_figure
from booking_web.reports.percentiles import nearest_rank
from booking_web.reports.scope import ReportScope
from booking_web.reports.settle import KEYS, C, day_number, month_days, month_number, settled_until
from booking_web.reports.sqltime import SqlClock
from shared.models import AppointmentStatus, Site
from shared.timeutil import local_day_bounds

STAGES = {"wait_call": "to_call", "wait_collect": "to_collect", "wait_total": "total"}
USE = ("offered", "booked", "attended")
PER_SITE = ("chairs", "outcome")  # what each site's use is counted from (_site_use)
Key = tuple[str, str, str, int, int]  # figure, k1, k2, k3, k4


@dataclass(frozen=True)
class Outcomes:
    """What became of the period's appointments."""

    appointments: int = 0  # not cancelled
    attended: int = 0
    dna: int = 0
    awaiting: int = 0  # still booked: not yet happened, or not yet marked
    cancelled: int = 0
    cancelled_same_day: int = 0
    cancelled_within_48h: int = 0
    cancelled_earlier: int = 0
    cancelled_by: dict[str, int] = field(default_factory=dict)
    walk_ins: int = 0

    @property
    def dna_rate(self) -> float | None:
        """DNA out of attended + DNA (None when neither happened)."""
        seen = self.attended + self.dna
        return self.dna / seen if seen else None


@dataclass(frozen=True)
class Use:
    """Chairs offered, booked and attended."""

    offered: int = 0
    booked: int = 0
    attended: int = 0


@dataclass(frozen=True)
class Percentiles:
    """How many values, their median and 90th percentile (None when there are none)."""

    count: int
    median: int | None
    p90: int | None

    @staticmethod
    def of(histogram: dict[int, int]) -> Percentiles:
        """From counts of whole values."""
        return Percentiles(sum(histogram.values()), nearest_rank(histogram, 50),
                           nearest_rank(histogram, 90))


@dataclass(frozen=True)
class Report:
    """Every figure of one report."""

    scope: ReportScope
    site_names: dict[int, str]
    made: dict[str, int]  # channel -> bookings made
    outcomes: Outcomes
    daily: list[tuple[dt.date, int, int]]  # day, attended, DNA (every day of the period)
    by_site: dict[int, Use]
    by_slot_time: dict[tuple[int, int], Use]  # (weekday, hour) -> use
    waits: dict[str, Percentiles]  # stage -> all hours
    waits_by_hour: dict[str, dict[int, Percentiles]]  # stage -> hour of check-in -> figures
    lead_days: dict[int, int]  # whole days ahead -> bookings
    messages: dict[str, dict[str, int]]  # template -> status -> count
    labels: dict[str, int]  # printed, reprinted, not_printed, hand_labelled
    settled_until: dt.date | None = None  # days after this were counted live

    @property
    def lead(self) -> Percentiles:
        """Lead time in days: count, median, 90th percentile."""
        return Percentiles.of(self.lead_days)


@dataclass
class _Tally:
    """Counts gathered from settled and live counting, before they are shaped."""

    totals: Counter[Key] = field(default_factory=Counter)
    daily: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_site: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))


def _periods(first: dt.date, last: dt.date, *where: Any) -> Any:
    """report_count rows covering first..last, and `where`: whole months as month counts, the
    rest as days. `where` is repeated in each part so that each part is a range of an index
    (a condition outside an OR only filters what the OR's parts read)."""
    months = []
    month = month_number(first)
    while month_days(month)[0] <= last:
        begin, end = month_days(month)
        if begin >= first and end <= last:
            months.append(month)
        month += 1
    if not months:
        return and_(*where, C.grain == "d", C.period.between(day_number(first), day_number(last)))
    begin, end = month_days(months[0])[0], month_days(months[-1])[1]
    parts = [("m", months[0], months[-1]), ("d", day_number(first), day_number(begin) - 1),
             ("d", day_number(end) + 1, day_number(last))]
    return or_(*(and_(*where, C.grain == grain, C.period.between(lo, hi))
                 for grain, lo, hi in parts if lo <= hi))


def _settled(session: Session, scope: ReportScope, last: dt.date, tally: _Tally) -> None:
    """Add the settled counts of scope.first..last (three queries)."""
    sites = C.site_id.in_(scope.site_ids) if scope.site_ids else C.site_id == 0
    totals = select(*KEYS, func.sum(C.n)).where(_periods(scope.first, last, sites)).group_by(*KEYS)
    for *key, n in session.execute(totals):
        tally.totals[tuple(key)] += int(n)  # type: ignore[index]
    daily = (select(C.period, C.k1, func.sum(C.n))
             .where(sites, C.grain == "d", C.figure == "outcome",
                    C.period.between(day_number(scope.first), day_number(last)))
             .group_by(C.period, C.k1))
    for period, status, n in session.execute(daily):
        tally.daily[period][status] += int(n)
    per_site = C.site_id.in_(scope.site_ids) if scope.site_ids else C.site_id != 0
    use = (select(C.site_id, C.figure, C.k1, C.k3, func.sum(C.n))
           .where(_periods(scope.first, last, C.figure.in_(PER_SITE), per_site))
           .group_by(C.site_id, C.figure, C.k1, C.k3))
    for site_id, figure, status, walk_in, n in session.execute(use):
        _site_use(tally, site_id, figure, status, walk_in, int(n))


def _site_use(tally: _Tally, site_id: int, figure: str, status: str, walk_in: int, n: int) -> None:
    """A site's chairs offered (from `chairs`), booked and attended (from `outcome`: not
    cancelled, not walk-ins), as the weekday-and-hour figures count them."""
    use = tally.by_site[site_id]
    if figure == "chairs":
        use["offered"] += n
    elif figure == "outcome" and not walk_in and status in BOOKED:
        use["booked"] += n
        use["attended"] += n if status in ATTENDED else 0


def _live(session: Session, scope: ReportScope, first: dt.date, tally: _Tally) -> None:
    """Add the counts of first..scope.last, counted now from the raw rows."""
    clock = SqlClock(session.get_bind().dialect.name, first, scope.last)
    # Only the outcomes are needed by day, and they and the chairs by site: the rest come back
    # as one count per key (a wait's minutes by hour for every site at once, not for each).
    window = Window(local_day_bounds(first)[0], local_day_bounds(scope.last)[1], scope.site_ids,
                    detail=frozenset(PER_SITE))
    for query in every_figure(clock, window):
        for site_id, day, figure, k1, k2, k3, k4, n in session.execute(query):
            tally.totals[(figure, k1, k2, int(k3), int(k4))] += int(n)
            if figure == "outcome":
                tally.daily[int(day)][k1] += int(n)
            if figure in PER_SITE:
                _site_use(tally, site_id, figure, k1, int(k3), int(n))


def site_names(session: Session) -> dict[int, str]:
    """Every site's name by id, A to Z."""
    return {i: n for i, n in session.execute(select(Site.id, Site.name).order_by(Site.name))}  # type: ignore[call-overload]


def build_report(*, session: Session, scope: ReportScope) -> Report:
    """Every figure for the scope. The settled days and the live days never overlap: a settle
    that commits while this runs only adds days after the `settled_until` read here, and
    replaces a stretch's counts in one statement's view, so nothing is counted twice."""
    until = settled_until(session)
    tally = _Tally()
    if until is not None and until >= scope.first:
        _settled(session, scope, min(until, scope.last), tally)
    live_from = max(scope.first, until + dt.timedelta(days=1)) if until else scope.first
    if live_from <= scope.last:
        _live(session, scope, live_from, tally)
    return _shape(scope, tally, site_names(session), until)


def _of(totals: Counter[Key], figure: str) -> list[tuple[Key, int]]:
    return [(key, n) for key, n in totals.items() if key[0] == figure and n]


def _outcomes(totals: Counter[Key]) -> Outcomes:
    status: Counter[str] = Counter()
    late: Counter[str] = Counter()
    who: Counter[str] = Counter()
    walk_ins = 0
    for (_f, k1, k2, k3, k4), n in _of(totals, "outcome"):
        status[k1] += n
        if k1 == CANCELLED:
            late[LATENESS[k4]] += n
            who[k2 or "unknown"] += n
        elif k3:
            walk_ins += n
    live = (AppointmentStatus.BOOKED.value, AppointmentStatus.DNA.value)
    return Outcomes(
        appointments=sum(status[s] for s in (*ATTENDED, *live)),
        attended=sum(status[s] for s in ATTENDED),
        dna=status[AppointmentStatus.DNA.value],
        awaiting=status[AppointmentStatus.BOOKED.value],
        cancelled=status[CANCELLED],
        cancelled_same_day=late["same_day"],
        cancelled_within_48h=late["within_48h"],
        cancelled_earlier=late["earlier"],
        cancelled_by=dict(who),
        walk_ins=walk_ins,
    )


def _shape(scope: ReportScope, tally: _Tally, names: dict[int, str], until: dt.date | None) -> Report:
    totals = tally.totals
    daily = []
    for i in range(scope.days):
        day = scope.first + dt.timedelta(days=i)
        counts = tally.daily.get(day_number(day), Counter())
        daily.append((day, sum(counts[s] for s in ATTENDED), counts[AppointmentStatus.DNA.value]))
    slot_time: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    for figure in USE:
        for (_f, _k1, _k2, weekday, hour), n in _of(totals, figure):
            slot_time[(weekday, hour)][figure] += n
    waits: dict[str, Percentiles] = {}
    by_hour: dict[str, dict[int, Percentiles]] = {}
    for figure, stage in STAGES.items():
        hours: dict[int, dict[int, int]] = defaultdict(dict)
        everything: Counter[int] = Counter()
        for (_f, _k1, _k2, hour, minutes), n in _of(totals, figure):
            hours[hour][minutes] = hours[hour].get(minutes, 0) + n
            everything[minutes] += n
        waits[stage] = Percentiles.of(dict(everything))
        by_hour[stage] = {h: Percentiles.of(v) for h, v in sorted(hours.items())}
    messages: dict[str, dict[str, int]] = defaultdict(dict)
    for (_f, template, status, _k3, _k4), n in _of(totals, "message"):
        messages[template][status] = messages[template].get(status, 0) + n
    labels = {"printed": 0, "reprinted": 0, "not_printed": 0, "hand_labelled": 0}
    for (_f, kind, outcome, _k3, _k4), n in _of(totals, "label"):
        if outcome == "confirmed":
            labels["reprinted" if kind == "reprint" else "printed"] += n
        elif outcome in ("unconfirmed", "not_sent"):
            labels["not_printed"] += n
    labels["hand_labelled"] = sum(n for _key, n in _of(totals, "hand"))
    return Report(
        scope=scope,
        site_names=names,
        made={k[1]: n for k, n in _of(totals, "made")},
        outcomes=_outcomes(totals),
        daily=daily,
        by_site={s: Use(c["offered"], c["booked"], c["attended"]) for s, c in tally.by_site.items()
                 if any(c.values())},
        by_slot_time={k: Use(c["offered"], c["booked"], c["attended"]) for k, c in slot_time.items()},
        waits=waits,
        waits_by_hour=by_hour,
        lead_days={k[4]: n for k, n in _of(totals, "lead")},
        messages=dict(messages),
        labels=labels,
        settled_until=until,
    )
