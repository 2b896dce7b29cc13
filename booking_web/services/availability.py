"""What can be booked: sites by distance, dates with free chairs, free times on a date, and the
earliest free times at every site."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import ARRAY, Integer, bindparam, column, func, true, tuple_, type_coerce
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.sqltypes import NullType
from sqlmodel import Session, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from booking_web.services.accounts import LIVE_KEY_ID, KeyProof
from shared.config import Settings
from shared.db import is_postgres
from shared.models import AppointmentType, ClinicSession, ClinicSessionType, Site, Slot
from shared.postcodes import coordinates_for
from shared.request_rules import window_ends_at, window_opens_at
from shared.rules import TypeRule, booking_window, restricts_slots, slot_allowed_for_type
from shared.timeutil import local_day_bounds, to_local


@dataclass(frozen=True)
class SiteDistance:
    """A site and how far it is from the patient's postcode (None when unknown)."""

    site: Site  # first_free_slots gives a row of the site table instead (the same attributes)
    miles: float | None


@dataclass(frozen=True)
class FreeSlot:
    """A bookable time."""

    slot_id: int
    site_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    remaining: int


@dataclass(frozen=True)
class SiteFirstSlots:
    """A site, how far away it is, and its earliest free slots (empty when it has none)."""

    site: SiteDistance
    slots: list[FreeSlot]


# The type's rule, read in the same statement as the slots (TypeRule's field order), so no
# separate round trip for the appointment type.
_RULE_COLUMNS: tuple[Any, ...] = tuple(col(c) for c in (
    AppointmentType.code,
    AppointmentType.name,
    AppointmentType.min_age_years,
    AppointmentType.max_age_years,
    AppointmentType.paediatric_site_only,
    AppointmentType.latest_start,
))
_DAY = dt.timedelta(days=1)
_SLOT_COLUMNS: tuple[Any, ...] = tuple(col(c) for c in (
    Slot.id, Slot.site_id, Slot.starts_at, Slot.ends_at, Slot.capacity, Slot.booked))


def _miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 3958.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _offers(type_code: str | BindParameter[str], from_day: dt.date | BindParameter[dt.date]) -> ColumnElement[bool]:
    """The site runs a clinic for the type on `from_day` or later (closed clinics do not count):
    a place that never runs it is not offered at all, rather than listed with no times."""
    return (
        sa_select(col(ClinicSessionType.session_id))
        .join(ClinicSession, col(ClinicSession.id) == col(ClinicSessionType.session_id))
        .where(col(ClinicSession.site_id) == col(Site.id),
               col(ClinicSessionType.type_code) == type_code,
               col(ClinicSession.date) >= from_day,
               col(ClinicSession.closed_at).is_(None))
        .exists()
    )


def _sites_and_rule(session: Session, type_code: str | None, from_day: dt.date | None = None,
                    ) -> tuple[list[Site], TypeRule | None]:
    """Active sites A to Z that can take the type, and the type's rule (None when no type is given
    or it is unknown; then no site is left out). With `from_day`, only sites that run a clinic for
    the type from that day on. One statement: the type is outer-joined by code."""
    active: ColumnElement[bool] = col(Site.active).is_(True)
    if not type_code:
        return list(session.exec(select(Site).where(active).order_by(col(Site.name)))), None
    if from_day is not None:
        active = active & _offers(type_code, from_day)
    rows = session.exec(  # type: ignore[call-overload]
        sa_select(Site, *_RULE_COLUMNS)
        .outerjoin(AppointmentType, col(AppointmentType.code) == type_code)
        .where(active).order_by(col(Site.name))
    ).all()
    rule = TypeRule(*rows[0][1:]) if rows and rows[0][1] is not None else None
    sites = [row[0] for row in rows]
    if rule is not None and rule.paediatric_site_only:
        sites = [s for s in sites if s.paediatric]
    return sites, rule


@cache
def _search_sites_statement() -> Select[Any]:
    """What first_free_slots reads its sites and the type's rule with, built once: the site
    table's columns (rows, not ORM objects: building a Site object cost more than the site's
    share of the search) and the rule's, labelled rule_*."""
    type_code: BindParameter[str] = bindparam("type_code")
    from_day: BindParameter[dt.date] = bindparam("from_day")
    site_table = cast(Any, Site).__table__  # SQLModel's table, which its type does not declare
    return sa_select(*site_table.c, *(c.label(f"rule_{c.key}") for c in _RULE_COLUMNS)) \
        .outerjoin(AppointmentType, col(AppointmentType.code) == type_code) \
        .where(col(Site.active).is_(True), _offers(type_code, from_day)) \
        .order_by(col(Site.name))


def _search_sites(session: Session, type_code: str, from_day: dt.date) -> tuple[list[Any], TypeRule | None]:
    """As _sites_and_rule with a type and a day, each site as a row with Site's attribute names."""
    rows = list(session.connection().execute(_search_sites_statement(),
                                             {"type_code": type_code, "from_day": from_day}).all())
    width = len(_RULE_COLUMNS)
    rule = TypeRule(*rows[0][-width:]) if rows and rows[0][-width] is not None else None
    if rule is not None and rule.paediatric_site_only:
        rows = [row for row in rows if row.paediatric]
    return rows, rule


def _ranked(sites: list[Site], postcode: str | None) -> tuple[list[SiteDistance], bool]:
    origin = coordinates_for(postcode) if postcode else None
    if origin is None:
        return [SiteDistance(s, None) for s in sites], False
    ranked = [SiteDistance(s, _miles(origin[0], origin[1], s.latitude, s.longitude)) for s in sites]
    ranked.sort(key=lambda sd: (sd.miles, sd.site.name))
    return ranked, True


def list_sites(
    *, session: Session, postcode: str | None = None, type_code: str | None = None,
    from_day: dt.date | None = None,
) -> tuple[list[SiteDistance], bool]:
    """Active sites, nearest first when the postcode is known (else A to Z), limited to sites
    that can take the appointment type (and, with `from_day`, that run a clinic for it from that
    day on). Returns (sites, postcode_found)."""
    sites, _rule = _sites_and_rule(session, type_code, from_day)
    return _ranked(sites, postcode)


@cache
def _partner_sites_statement(keyed: bool = False) -> Select[Any]:
    """What partner_sites runs, built once: the active sites A to Z (`keyed`: each row also with
    the API key check, the same value on every row)."""
    site_table = cast(Any, Site).__table__  # SQLModel's table, which its type does not declare
    columns = (*site_table.c, *((LIVE_KEY_ID,) if keyed else ()))
    return sa_select(*columns).where(col(Site.active).is_(True)).order_by(col(Site.name))


def partner_sites(*, session: Session, key: KeyProof | None = None) -> list[Any]:
    """Active sites A to Z for the partner API, as rows with Site's attribute names (no ORM
    objects). With `key`, the same statement proves the API key live (when there is any site)."""
    if key is None:
        return list(session.connection().execute(_partner_sites_statement()).all())
    rows = list(session.connection().execute(_partner_sites_statement(keyed=True), key.params).all())
    if rows:
        key.settle(rows[0].live_key_id)
    return rows


def _free(stmt: Select[Any], type_code: Any) -> Select[Any]:
    """Only slots with a free chair, in an open clinic session that takes the type."""
    return (
        stmt.select_from(Slot)
        .join(ClinicSession, col(ClinicSession.id) == col(Slot.session_id))
        .join(ClinicSessionType, (col(ClinicSessionType.session_id) == col(Slot.session_id))
              & (col(ClinicSessionType.type_code) == type_code))
        .where(col(ClinicSession.closed_at).is_(None), col(Slot.booked) < col(Slot.capacity))
    )


def _with_rule(stmt: Select[Any]) -> Select[Any]:
    """Also read the site's paediatric flag and the type's rule (no separate round trip)."""
    return (
        stmt.join(AppointmentType, col(AppointmentType.code) == col(ClinicSessionType.type_code))
        .join(Site, col(Site.id) == col(Slot.site_id))
    )


@lru_cache(maxsize=1024)
def _clock_goes_back(day: dt.date) -> bool:
    """True on the London day whose wall clock repeats an hour (the last Sunday of October)."""
    start, end = local_day_bounds(day)
    return to_local(start).utcoffset() > to_local(end).utcoffset()  # type: ignore[operator]


def _bounds(now: dt.datetime, settings: Settings, window: tuple[dt.date, dt.date] | None
            ) -> tuple[dt.datetime, dt.datetime]:
    """The first and last slot starts that can be booked now: the booking window, narrowed to a
    test request's London dates when there is one."""
    start, end = booking_window(now, min_notice_minutes=settings.min_notice_minutes,
                                horizon_days=settings.booking_horizon_days)
    if window is not None:
        start = max(start, window_opens_at(window[0]))
        end = min(end, window_ends_at(window[1]) - dt.timedelta(microseconds=1))
    return start, end


def free_dates(
    *, session: Session, site_id: int, type_code: str, now: dt.datetime, settings: Settings,
    window: tuple[dt.date, dt.date] | None = None,
) -> list[dt.date]:
    """London dates at a site that have at least one free slot for the type, within the window.

    One statement returns each clinic date with the start of its earliest free slot; the type rule
    (shared.rules, on London wall-clock time) is applied in Python to that slot only. That is exact:
    a slot is refused either for the site (the same for every slot) or for starting at or after the
    type's latest start, and within one day a later slot starts later on the wall clock, so if the
    day's earliest free slot starts too late, so do all the others. The one day on which the wall
    clock goes back (an hour repeats) breaks that ordering, so there the day's slots are read.
    With `window` (a test request's first and last dates) only dates inside it."""
    start, end = _bounds(now, settings, window)
    starts_at, date = col(Slot.starts_at), col(ClinicSession.date)
    per_day = _free(sa_select(date, func.min(starts_at).label("first")), type_code) \
        .where(col(Slot.site_id) == site_id, starts_at >= start, starts_at <= end) \
        .group_by(date)
    if is_postgres(session.connection().engine):
        # Implied (a session's slots are at its site, on its date), but they let PostgreSQL start
        # from the sessions' (site_id, date) index instead of hashing every session. SQLite plans
        # worse with them (it then scans the window's slots once per session).
        per_day = per_day.where(col(ClinicSession.site_id) == site_id, date.between(
            to_local(start).date() - _DAY, to_local(end).date() + _DAY))
    days_sq = per_day.subquery("per_day")
    # The site's flag and the type's rule joined once, after grouping (one row each).
    stmt = sa_select(days_sq.c.date, days_sq.c.first, col(Site.paediatric), *_RULE_COLUMNS) \
        .select_from(days_sq) \
        .join(Site, col(Site.id) == site_id) \
        .join(AppointmentType, col(AppointmentType.code) == type_code) \
        .order_by(days_sq.c.date)
    days: list[dt.date] = []
    for day, first, paediatric, *rule_values in session.exec(stmt):  # type: ignore[call-overload]
        rule = TypeRule(*rule_values)
        if slot_allowed_for_type(rule, first, paediatric) or (
            rule.latest_start is not None and _clock_goes_back(day) and free_slots(
                session=session, site_id=site_id, day=day, type_code=type_code, now=now,
                settings=settings, window=window)
        ):
            days.append(day)
    return days


def free_slots(*, session: Session, site_id: int, day: dt.date, type_code: str, now: dt.datetime,
               settings: Settings, window: tuple[dt.date, dt.date] | None = None,
               key: KeyProof | None = None) -> list[FreeSlot]:
    """Free slots at a site on a London date for the type, within the booking window (and a test
    request's window, when given). With `key`, the same statement proves the API key live (when
    it finds any slot: with none, the caller proves it)."""
    return [FreeSlot(t.slot_id, t.site_id, t.starts_at, t.ends_at, remaining)
            for t, remaining in free_slot_times(session=session, site_id=site_id, day=day, type_code=type_code,
                                                now=now, settings=settings, window=window, key=key)]


@dataclass(frozen=True, eq=False)
class SlotTimes:
    """A slot as a listing shows it, made once per process for each slot (and again if its times
    change): its ids, its start and end (aware UTC) and its London date. Compared by identity,
    so a cache keyed by it (the API's JSON of a slot) costs no more than a pointer."""

    slot_id: int
    site_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    local_day: dt.date


# SlotTimes per process, keyed by the row's (id, site_id, starts_at, ends_at) as the driver gives
# them (SQLite's text, psycopg's datetime): a listing's rows are converted once, not on every GET
# /slots (converting 2 times a row was a fifth of the request). A slot whose times change gets a
# new key; the dict is emptied when full (a bound on memory, far above a day's listings).
_SLOT_TIMES: dict[tuple[Any, ...], SlotTimes] = {}
_SLOT_TIMES_MOST = 16384


def free_slot_times(*, session: Session, site_id: int, day: dt.date, type_code: str, now: dt.datetime,
                    settings: Settings, window: tuple[dt.date, dt.date] | None = None,
                    key: KeyProof | None = None) -> list[tuple[SlotTimes, int]]:
    """As free_slots, each slot as its SlotTimes and the chairs it has free."""
    earliest, latest = _bounds(now, settings, window)
    day_start, day_end = local_day_bounds(day)
    start, end = max(earliest, day_start), min(latest, day_end - dt.timedelta(microseconds=1))
    if start > end:
        return []
    params = {"site_id": site_id, "type_code": type_code, "start": start, "end": end}
    connection = session.connection()
    rows: Sequence[Any]
    if key is None:
        rows = connection.execute(_free_slots_statement(), params).all()
    else:
        rows = connection.execute(_free_slots_statement(keyed=True), {**params, **key.params}).all()
        if rows:
            key.settle(rows[0][-1])
    if not rows:
        return []
    rule = TypeRule(*rows[0][_RULE_AT:_RULE_AT + len(_RULE_COLUMNS)])  # the same type on every row
    checked = restricts_slots(rule)
    found: list[tuple[SlotTimes, int]] = []
    known = _SLOT_TIMES
    for row in cast(list[tuple[Any, ...]], rows):
        slot_key = row[:4]  # a Row's slice is a plain tuple
        times = known.get(slot_key) or _slot_times(connection.dialect, slot_key)
        if times.local_day == day and (not checked or slot_allowed_for_type(rule, times.starts_at, row[6])):
            found.append((times, row[4] - row[5]))
    return found


def _slot_times(dialect: Any, slot_key: tuple[Any, ...]) -> SlotTimes:
    """The SlotTimes of a row not seen before (converted as the column type would have)."""
    to_utc = _datetime_result(dialect)
    slot_id, site_id, starts_raw, ends_raw = slot_key
    starts_at = to_utc(starts_raw)
    times = SlotTimes(slot_id, site_id, starts_at, to_utc(ends_raw), to_local(starts_at).date())
    if len(_SLOT_TIMES) >= _SLOT_TIMES_MOST:
        _SLOT_TIMES.clear()
    _SLOT_TIMES[slot_key] = times
    return times


@cache
def _datetime_result(dialect: Any) -> Any:
    """The result processor of an instant column on this dialect (driver value -> aware UTC)."""
    return UTCDateTime().dialect_impl(dialect).result_processor(dialect, None) or (lambda value: value)


# The slot columns, then the site's flag, then the type's rule (TypeRule's order), then the key check.
_RULE_AT = 7


@cache
def _free_slots_statement(keyed: bool = False) -> Select[Any]:
    """What free_slot_times runs, built once with bind parameters: GET /slots is half of a
    booking rush's requests, and building the statement cost more than running it. The slot's
    times come as the driver gives them (no per-row conversion: see _SLOT_TIMES). `keyed` adds
    the API key check as a last column."""
    starts_at = col(Slot.starts_at)
    raw = NullType()
    columns = (col(Slot.id), col(Slot.site_id), type_coerce(starts_at, raw), type_coerce(col(Slot.ends_at), raw),
               col(Slot.capacity), col(Slot.booked), col(Site.paediatric), *_RULE_COLUMNS,
               *((LIVE_KEY_ID,) if keyed else ()))
    return _with_rule(_free(sa_select(*columns), bindparam("type_code"))) \
        .where(col(Slot.site_id) == bindparam("site_id"),
               starts_at >= bindparam("start", type_=UTCDateTime()),
               starts_at <= bindparam("end", type_=UTCDateTime())) \
        .order_by(starts_at, col(Slot.id))


@dataclass(frozen=True)
class PlaceSearch:
    """The places shown (nearest first, or A to Z) with their earliest free slots, and whether
    more places run clinics for the type after them."""

    places: list[SiteFirstSlots]
    more: bool


def first_free_slots(*, session: Session, postcode: str | None, type_code: str, now: dt.datetime,
                     settings: Settings, per_site: int = 1,
                     window: tuple[dt.date, dt.date] | None = None,
                     limit: int | None = None) -> list[SiteFirstSlots]:
    """Every site that runs clinics for the type (the first `limit` of them; None: all), nearest
    first (A to Z when the postcode is unknown), each with its `per_site` earliest free slots in
    the booking window that suit the type. See search_places."""
    return search_places(session=session, postcode=postcode, type_code=type_code, now=now,
                         settings=settings, per_site=per_site, window=window, limit=limit).places


def search_places(*, session: Session, postcode: str | None, type_code: str, now: dt.datetime,
                  settings: Settings, per_site: int = 1,
                  window: tuple[dt.date, dt.date] | None = None, limit: int | None = None,
                  include: Collection[int] = ()) -> PlaceSearch:
    """The first `limit` sites (None: all) that run clinics for the type, nearest first (A to Z
    when the postcode is unknown), plus any site in `include` that runs them (in its place in the
    order), each with its `per_site` earliest free slots in the booking window that suit the type.

    With a limit, only what ranking needs is read for every active site (id, name, place), and
    only the first of them are checked for clinics and searched for free slots (_nearest_offering),
    so the search's cost hardly grows with the number of sites (issue 19).
    Reads in rounds: each round fetches the next free slots of every site still short, in one
    statement (a LATERAL subquery per site over the (site_id, starts_at) index on PostgreSQL, a
    correlated one on SQLite). The type rule is applied in Python on London time; a slot refused
    as too late in the day moves that site on to the next day (later slots that day start later
    on the wall clock, see free_dates). Each round reads four times as many slots a site as the
    one before, so even a site whose every clinic starts too late takes a few rounds, not one a
    day; a typical fasting search takes two whatever the number of sites."""
    from_day = to_local(now).date()
    more = False
    if limit is None:
        sites, rule = _search_sites(session, type_code, from_day)
        ranked, _found = _ranked(sites, postcode)
    else:
        ranked, more, rule = _nearest_offering(session, type_code, from_day, postcode, limit,
                                               set(include))
    if rule is None:
        return PlaceSearch([], False)
    start, end = _bounds(now, settings, window)
    found: dict[int, list[FreeSlot]] = {sd.site.id: [] for sd in ranked if sd.site.id is not None}
    paediatric = {sd.site.id: sd.site.paediatric for sd in ranked}
    cursors: dict[int, tuple[dt.datetime, int]] = {site_id: (start, 0) for site_id in found}
    batch = per_site
    while cursors and batch > 0:
        by_site: dict[int, list[Any]] = {site_id: [] for site_id in cursors}
        for row in _next_free(session, cursors, type_code=type_code, end=end, limit=batch):
            by_site[row.site_id].append(row)
        for site_id, rows in by_site.items():
            cursor = _take_allowed(rows, rule, paediatric[site_id], found[site_id], per_site)
            if cursor is None or len(rows) < batch:
                del cursors[site_id]  # enough found, or nothing more in the window
            else:
                cursors[site_id] = cursor
        batch *= 4
    places = [SiteFirstSlots(sd, found[sd.site.id]) for sd in ranked if sd.site.id is not None]
    return PlaceSearch(places, more)


@cache
def _places_statement() -> Select[Any]:
    """Every active site's id, name and place, A to Z, built once: only what ranking needs, as
    these rows are built for every site (the type's rule is read on its own, not on each row)."""
    return sa_select(col(Site.id), col(Site.name), col(Site.latitude), col(Site.longitude),
                     col(Site.paediatric)) \
        .where(col(Site.active).is_(True)) \
        .order_by(col(Site.name))


@cache
def _rule_statement() -> Select[Any]:
    """The type's rule (TypeRule's fields), built once."""
    return sa_select(*_RULE_COLUMNS).where(col(AppointmentType.code) == bindparam("type_code"))


@lru_cache(maxsize=64)
def _by_distance(origin: tuple[float, float], rows: tuple[Any, ...]) -> tuple[tuple[int, float], ...]:
    """(site id, miles) nearest first (then by name, then A to Z as read), kept per process for
    each postcode district and set of sites: the distance of every site was most of what was
    left of the search's cost per site. A site moved, renamed, added or closed changes `rows`,
    so the order is made again."""
    lat, lon = origin
    ranked = sorted((_miles(lat, lon, row.latitude, row.longitude), row.name, index, row.id)
                    for index, row in enumerate(rows))
    return tuple((site_id, miles) for miles, _name, _index, site_id in ranked)


@cache
def _offering_statement() -> Select[Any]:
    """Which of the given sites run a clinic for the type from the day on, as whole site rows,
    built once (the ids as an expanding IN: a few a page)."""
    site_table = cast(Any, Site).__table__  # SQLModel's table, which its type does not declare
    type_code: BindParameter[str] = bindparam("type_code")
    return sa_select(*site_table.c) \
        .where(col(Site.id).in_(bindparam("site_ids", expanding=True)),
               _offers(type_code, bindparam("from_day")))


def _nearest_offering(session: Session, type_code: str, from_day: dt.date, postcode: str | None,
                      limit: int, include: set[int]) -> tuple[list[SiteDistance], bool, TypeRule | None]:
    """The first `limit` active sites, nearest first (else A to Z), that run a clinic for the type
    from `from_day` on, and those of `include` that do, in their places; whether more run one;
    and the type's rule (None: no such type).

    Every active site is ranked from a light row (no clinic check), then the ranked sites are
    checked for clinics a batch at a time (the first batch: limit + 1 and `include`), so the
    clinic check, the costly part per site, is made for about a page of sites, not all."""
    connection = session.connection()
    found = connection.execute(_rule_statement(), {"type_code": type_code}).first()
    if found is None:
        return [], False, None
    rule = TypeRule(*found)
    rows = tuple(connection.execute(_places_statement()).all())
    if rule.paediatric_site_only:
        rows = tuple(row for row in rows if row.paediatric)
    origin = coordinates_for(postcode) if postcode else None
    miles: dict[int, float | None] = {}
    if origin is None:
        order = [row.id for row in rows]  # A to Z, as the statement gives them
    else:
        miles = dict(_by_distance(origin, rows))
        order = list(miles)
    include = include & set(order)
    offering: dict[int, Any] = {}
    checked, batch = 0, limit + 1
    while checked < len(order):
        ids = order[checked:checked + batch]
        if checked == 0:
            ids += sorted(include - set(ids))
        checked += batch
        offering.update((row.id, row) for row in connection.execute(
            _offering_statement(), {"site_ids": ids, "type_code": type_code, "from_day": from_day}))
        if _not_shown(order[:checked], offering, limit, include):
            break  # enough to fill the page and to know there is more
        batch *= 2
    shown: list[SiteDistance] = []
    for rank, site_id in enumerate(i for i in order if i in offering):
        if rank < limit or site_id in include:
            shown.append(SiteDistance(offering[site_id], miles.get(site_id)))
    return shown, _not_shown(order[:checked], offering, limit, include), rule


def _not_shown(order: list[int], offering: dict[int, Any], limit: int, include: set[int]) -> bool:
    """True when, in `order`, a site that offers the type comes after the first `limit` that do
    and is not one of `include` (which are shown anyway)."""
    ranked = [i for i in order if i in offering]
    return any(i not in include for i in ranked[limit:])


def _take_allowed(rows: Sequence[Any], rule: TypeRule, paediatric: bool, found: list[FreeSlot],
                  per_site: int) -> tuple[dt.datetime, int] | None:
    """Add the rows that suit the type to `found`; return where the site's next read starts, or
    None when it has enough."""
    skip_until: dt.datetime | None = None
    for row in rows:
        if skip_until is not None and row.starts_at < skip_until:
            continue  # a later slot of a day whose free slots already start too late
        if slot_allowed_for_type(rule, row.starts_at, paediatric):
            found.append(FreeSlot(row.id, row.site_id, row.starts_at, row.ends_at,
                                  row.capacity - row.booked))
            if len(found) >= per_site:
                return None
        elif rule.latest_start is not None:
            day = to_local(row.starts_at).date()
            if not _clock_goes_back(day):
                skip_until = local_day_bounds(day)[1]
        else:
            return None  # refused for the site itself (paediatric only): no slot there will do
    if not rows:
        return None
    last = rows[-1]
    if skip_until is not None and skip_until > last.starts_at:
        return skip_until, 0
    return last.starts_at, last.id


def _after_cursor(site_id: Any, after: Any, after_id: Any, *, columns: tuple[Any, ...] = _SLOT_COLUMNS,
                  ) -> Select[Any]:
    """The next :limit free slots for :type_code of a site after (starts_at, id) = (after,
    after_id), starting by :end."""
    starts_at, slot_id = col(Slot.starts_at), col(Slot.id)
    position: ColumnElement[bool] = tuple_(starts_at, slot_id) > tuple_(after, after_id)
    return (
        _free(select(*columns), bindparam("type_code"))
        # The plain range bound lets the (site_id, starts_at) index start at the cursor.
        .where(col(Slot.site_id) == site_id, starts_at >= after,
               starts_at <= bindparam("end", type_=UTCDateTime()), position)
        .order_by(starts_at, slot_id)
        .limit(bindparam("limit", type_=Integer))
    )


@cache
def _next_free_statement(postgres: bool) -> Select[Any]:
    """What _next_free runs, built once: building SQL expressions costs more than running these
    indexed lookups. One statement for every site, whatever their number, so the SQL text is the
    same for 5 sites or 500 (the cursors travel as arrays on PostgreSQL, as one JSON array on
    SQLite)."""
    if postgres:
        cursor = func.unnest(bindparam("site_ids", type_=ARRAY(Integer)),
                             bindparam("afters", type_=ARRAY(UTCDateTime())),
                             bindparam("after_ids", type_=ARRAY(Integer))) \
            .table_valued(column("site_id", Integer), column("after", UTCDateTime()),
                          column("after_id", Integer)).render_derived(name="site_cursor")
        first = _after_cursor(cursor.c.site_id, cursor.c.after, cursor.c.after_id).lateral("first_free")
        return select(*first.c).select_from(cursor).join(first, true())
    # SQLite has no LATERAL: each cursor ([site_id, after, after_id], from json_each) picks its
    # slots' ids with a correlated subquery over the (site_id, starts_at) index, and the slots are
    # read by id. Before, this was one statement a site, and SQLAlchemy's cost of executing a
    # statement (about 50 us) made the search grow with the number of sites.
    cursor = func.json_each(bindparam("cursors")).table_valued("value").alias("site_cursor")

    def part(index: int, type_: Any) -> Any:
        return func.json_extract(cursor.c.value, f"$[{index}]", type_=type_)

    ids = _after_cursor(part(0, Integer), part(1, UTCDateTime()), part(2, Integer),
                        columns=(col(Slot.id),))
    found = Slot.__table__.alias("found")  # type: ignore[attr-defined]
    return select(*(found.c[c.key] for c in _SLOT_COLUMNS)).select_from(cursor) \
        .join(found, found.c.id.in_(ids.scalar_subquery())) \
        .order_by(found.c.starts_at, found.c.id)  # each site's rows in order (_take_allowed)


def _sqlite_cursors(connection: Any, cursors: dict[int, tuple[dt.datetime, int]]) -> str:
    """The cursors as one JSON array, each time in the text form SQLite keeps (the column's own
    bind processor), so the comparisons in SQL are the ones a bound parameter would make."""
    stored = _stored_time(connection.dialect)
    return json.dumps([[site_id, stored(after), after_id] for site_id, (after, after_id) in cursors.items()])


@cache
def _stored_time(dialect: Any) -> Any:
    """UTCDateTime's bind processor on this dialect: an aware time as the text SQLite keeps."""
    return UTCDateTime().dialect_impl(dialect).bind_processor(dialect)


def _next_free(session: Session, cursors: dict[int, tuple[dt.datetime, int]], *, type_code: str,
               end: dt.datetime, limit: int) -> list[Any]:
    """The next `limit` free slots of each site after its cursor, in one statement (a LATERAL
    subquery per site on PostgreSQL, a correlated one on SQLite)."""
    connection = session.connection()
    postgres = is_postgres(connection.engine)
    stmt = _next_free_statement(postgres)
    common = {"type_code": type_code, "end": end, "limit": limit}
    if postgres:
        return list(connection.execute(stmt, {
            **common, "site_ids": list(cursors), "afters": [c[0] for c in cursors.values()],
            "after_ids": [c[1] for c in cursors.values()]}))
    return list(connection.execute(stmt, {**common, "cursors": _sqlite_cursors(connection, cursors)}))


# Appointment type codes seen in each database, per process. Types are added (reference data,
# imports) and never removed (appointments refer to them), so a code found once stays good; a code
# not in the set is looked up every time, so a type added since is found at once.
_KNOWN_TYPES: WeakKeyDictionary[Engine, set[str]] = WeakKeyDictionary()
_TYPE_EXISTS = sa_select(col(AppointmentType.code)).where(col(AppointmentType.code) == bindparam("code"))


def type_exists(*, session: Session, code: str) -> bool:
    """True when `code` is an appointment type; no query for a code already found (GET /slots
    checks one on every request)."""
    connection = session.connection()
    known = _KNOWN_TYPES.setdefault(connection.engine, set())
    if code in known:
        return True
    if connection.execute(_TYPE_EXISTS, {"code": code}).first() is None:
        return False
    known.add(code)
    return True


def appointment_types(*, session: Session) -> list[AppointmentType]:
    """Every appointment type in display order."""
    return list(session.exec(select(AppointmentType).order_by(col(AppointmentType.sort_order))))
