"""Slot searches (free dates, free times, first free slots near a postcode) against a brute-force
reference computed in Python over every slot, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from booking_web.services import availability
from booking_web.services.booking import type_rule
from shared.config import Settings
from shared.models import AppointmentType, ClinicSession, ClinicSessionType, Site, Slot
from shared.postcodes import coordinates_for
from shared.request_rules import window_ends_at, window_opens_at
from shared.rules import booking_window, slot_allowed_for_type
from shared.timeutil import local_to_utc, to_local
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_site, slots_of
from tests.sql_log import statements

TYPES = ("adult", "child", "fasting", "gtt", "inr")
LEEDS = {
    "LS1": (53.7965, -1.5478),
    "LS8": (53.8240, -1.5090),
    "LS16": (53.8600, -1.5980),
    "LS22": (53.9280, -1.3860),
    "LS27": (53.7450, -1.6000),
}


# ---------------------------------------------------------------- the reference, over every slot


@dataclass(frozen=True)
class Reference:
    """Every slot with what the rules need, loaded once, searched by brute force."""

    slots: list[tuple[Slot, ClinicSession, frozenset[str], Site]]
    sites: list[Site]
    types: dict[str, AppointmentType]

    @classmethod
    def load(cls, session: Session) -> Reference:
        """Read every slot, session, session type, site and appointment type."""
        session.expire_all()
        sessions = {c.id: c for c in session.exec(select(ClinicSession))}
        offered: dict[int, set[str]] = {}
        for link in session.exec(select(ClinicSessionType)):
            offered.setdefault(link.session_id, set()).add(link.type_code)
        sites = {s.id: s for s in session.exec(select(Site))}
        slots = [
            (s, sessions[s.session_id], frozenset(offered.get(s.session_id, ())), sites[s.site_id])
            for s in session.exec(select(Slot))
        ]
        slots.sort(key=lambda row: (row[0].starts_at, row[0].id))
        types = {t.code: t for t in session.exec(select(AppointmentType))}
        return cls(slots, list(sites.values()), types)

    def free(
        self, type_code: str, now: dt.datetime, settings: Settings, site_id: int | None = None,
        window: tuple[dt.date, dt.date] | None = None,
    ) -> list[tuple[Slot, ClinicSession]]:
        """(slot, session) pairs bookable for the type, earliest first (with `window`, a test
        request's first and last London dates, only those starting inside it)."""
        rule = type_rule(self.types[type_code])
        start, end = booking_window(
            now,
            min_notice_minutes=settings.min_notice_minutes,
            horizon_days=settings.booking_horizon_days,
        )
        if window is not None:
            start = max(start, window_opens_at(window[0]))
            end = min(end, window_ends_at(window[1]) - dt.timedelta(microseconds=1))
        return [
            (slot, clinic)
            for slot, clinic, offered, site in self.slots
            if (site_id is None or slot.site_id == site_id)
            and slot.booked < slot.capacity
            and clinic.closed_at is None
            and type_code in offered
            and start <= slot.starts_at <= end
            and slot_allowed_for_type(rule, slot.starts_at, site.paediatric)
        ]

    def dates(
        self, site_id: int, type_code: str, now: dt.datetime, settings: Settings
    ) -> list[dt.date]:
        """The clinic dates with a bookable slot."""
        return sorted(
            {clinic.date for _slot, clinic in self.free(type_code, now, settings, site_id)}
        )

    def times(
        self, site_id: int, day: dt.date, type_code: str, now: dt.datetime, settings: Settings
    ) -> list[tuple[int | None, dt.datetime, int]]:
        """(slot id, start, chairs left) of the bookable slots on a London date."""
        return [
            (s.id, s.starts_at, s.capacity - s.booked)
            for s, _c in self.free(type_code, now, settings, site_id)
            if to_local(s.starts_at).date() == day
        ]

    def first(
        self, type_code: str, now: dt.datetime, settings: Settings, per_site: int,
        window: tuple[dt.date, dt.date] | None = None,
    ) -> dict[int | None, list[int | None]]:
        """Each active site that can take the type and runs a clinic for it from today on (an
        open one), with the ids of its first bookable slots."""
        only_paediatric = self.types[type_code].paediatric_site_only
        today = to_local(now).date()
        runs = {
            clinic.site_id
            for _slot, clinic, offered, _site in self.slots
            if type_code in offered and clinic.closed_at is None and clinic.date >= today
        }
        out: dict[int | None, list[int | None]] = {
            site.id: []
            for site in self.sites
            if site.active and (site.paediatric or not only_paediatric) and site.id in runs
        }
        for slot, _clinic in self.free(type_code, now, settings, window=window):
            if slot.site_id in out and len(out[slot.site_id]) < per_site:
                out[slot.site_id].append(slot.id)
        return out

    def order(self, type_code: str, now: dt.datetime, settings: Settings, postcode: str | None,
              ) -> list[int | None]:
        """The sites of `first`, nearest first by the great-circle distance (name, then id, on a
        tie), or A to Z when the postcode is not known."""
        origin = coordinates_for(postcode) if postcode else None
        sites = {s.id: s for s in self.sites}

        def key(site_id: int | None) -> tuple[float, str]:
            site = sites[site_id]
            if origin is None:
                return 0.0, site.name
            lat1, lon1, lat2, lon2 = map(
                math.radians, (origin[0], origin[1], site.latitude, site.longitude))
            a = (math.sin((lat2 - lat1) / 2) ** 2
                 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
            return 2 * 3958.8 * math.asin(math.sqrt(a)), site.name

        return sorted(self.first(type_code, now, settings, 1), key=key)


def _check_bounded(
    session: Session, settings: Settings, now: dt.datetime, ref: Reference, code: str, *,
    postcode: str | None, per_site: int, window: tuple[dt.date, dt.date] | None = None,
) -> None:
    """The bounded search (the place page's) is the first N of the brute-force ordering, each
    with the brute-force first slots, for every N; a site asked for is added in its place."""
    order = ref.order(code, now, settings, postcode)
    slots = ref.first(code, now, settings, per_site, window)
    for limit in range(0, len(order) + 2):
        got = availability.search_places(
            session=session, postcode=postcode, type_code=code, now=now, settings=settings,
            per_site=per_site, window=window, limit=limit,
            include=order[-1:] if limit == 1 else (),
        )
        want = order[:limit] + (order[-1:] if limit == 1 and len(order) > 1 else [])
        assert [r.site.site.id for r in got.places] == want, (code, postcode, limit)
        assert {r.site.site.id: [s.slot_id for s in r.slots] for r in got.places} == {
            site_id: slots[site_id] for site_id in want
        }, (code, postcode, limit, window)
        included = set(order[-1:]) if limit == 1 else set()
        assert got.more == any(i not in included for i in order[limit:]), (code, postcode, limit)


def _check_everything(
    session: Session,
    settings: Settings,
    now: dt.datetime,
    *,
    per_sites=(1, 3),
    types=TYPES,
    postcode: str = "LS1 1AA",
) -> int:
    """Compare every search with the reference for every site and type; returns how many bookable
    slots the reference found (so a test can be sure it looked at something)."""
    ref = Reference.load(session)
    site_ids = sorted({slot.site_id for slot, *_rest in ref.slots})
    days = sorted({clinic.date for _slot, clinic, *_rest in ref.slots})
    bookable = 0
    for code in types:
        bookable += len(ref.free(code, now, settings))
        for site_id in site_ids:
            got = availability.free_dates(
                session=session, site_id=site_id, type_code=code, now=now, settings=settings
            )
            assert got == ref.dates(site_id, code, now, settings), (code, site_id)
            for day in days:
                times = availability.free_slots(
                    session=session,
                    site_id=site_id,
                    day=day,
                    type_code=code,
                    now=now,
                    settings=settings,
                )
                assert [(t.slot_id, t.starts_at, t.remaining) for t in times] == ref.times(
                    site_id, day, code, now, settings
                ), (code, site_id, day)
                assert all(t.site_id == site_id for t in times)
        for per_site in per_sites:
            result = availability.first_free_slots(
                session=session,
                postcode=postcode,
                type_code=code,
                now=now,
                settings=settings,
                per_site=per_site,
            )
            assert {r.site.site.id: [s.slot_id for s in r.slots] for r in result} == ref.first(
                code, now, settings, per_site
            ), (code, per_site)
            listed, _found = availability.list_sites(
                session=session, postcode=postcode, type_code=code, from_day=to_local(now).date()
            )
            assert [r.site.site.id for r in result] == [sd.site.id for sd in listed]
            assert [r.site.site.id for r in result] == ref.order(code, now, settings, postcode)
            for place_postcode in (postcode, None):
                _check_bounded(session, settings, now, ref, code, postcode=place_postcode,
                               per_site=per_site)
        first_day = to_local(now).date() + dt.timedelta(days=3)
        window = (first_day, first_day + dt.timedelta(days=9))  # a GP's test request's dates
        _check_bounded(session, settings, now, ref, code, postcode=postcode, per_site=1,
                       window=window)
    return bookable


def _fill(session: Session, slot: Slot, booked: int | None = None) -> None:
    session.exec(
        update(Slot)
        .where(col(Slot.id) == slot.id)
        .values(booked=slot.capacity if booked is None else booked)
    )
    session.commit()


def _close(session: Session, clinic: ClinicSession, now: dt.datetime = NOW) -> None:
    clinic.closed_at = now
    session.add(clinic)
    session.commit()


# ---------------------------------------------------------------- randomised worlds


def _random_world(session: Session, rng: random.Random, *, today: dt.date, days: int) -> None:
    """A few sites (one paediatric, one inactive), clinics on random days with random hours, chairs
    and types; some slots full or nearly, some sessions closed. Always clinics on the first and
    last days so the window's edges (minimum notice, horizon) are crossed."""
    sites = [
        make_site(
            session,
            latitude=lat,
            longitude=lon,
            paediatric=(i == 1),
            name=f"Random {rng.random():.12f} {district}",
        )
        for i, (district, (lat, lon)) in enumerate(rng.sample(sorted(LEEDS.items()), 4))
    ]
    sites[3].active = False
    session.add(sites[3])
    session.commit()
    for site in sites:
        for offset in range(days):
            day = today + dt.timedelta(days=offset)
            if offset not in (0, days - 2) and rng.random() > 0.3:
                continue
            if rng.random() < 0.1:  # a glucose tolerance clinic: one long slot, morning only
                clinic = make_clinic(
                    session,
                    site=site,
                    day=day,
                    start=dt.time(rng.choice((8, 9, 10)), 0),
                    end=dt.time(13, 0),
                    slot_minutes=150,
                    chairs=rng.randint(1, 2),
                    types=("gtt",),
                )
            else:
                minutes = rng.choice((10, 15))
                types = [t for t in ("adult", "fasting", "inr") if rng.random() < 0.7] or ["adult"]
                if site.paediatric and minutes == 15 and rng.random() < 0.7:
                    types.append("child")
                start = dt.time(rng.randint(7, 13), rng.choice((0, 30)))
                end = (
                    dt.datetime.combine(day, start)
                    + dt.timedelta(minutes=minutes * rng.randint(2, 14))
                ).time()
                clinic = make_clinic(
                    session,
                    site=site,
                    day=day,
                    start=start,
                    end=end,
                    slot_minutes=minutes,
                    chairs=rng.randint(1, 3),
                    types=tuple(types),
                )
            for slot in slots_of(session, clinic):
                roll = rng.random()
                if roll < 0.45:
                    _fill(session, slot)
                elif roll < 0.55 and slot.capacity > 1:
                    _fill(session, slot, slot.capacity - 1)
            if rng.random() < 0.1:
                _close(session, clinic)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_searches_agree_with_brute_force_on_random_clinics(session, settings, seed):
    rng = random.Random(seed)
    _random_world(session, rng, today=NOW.date(), days=settings.booking_horizon_days + 3)
    assert _check_everything(session, settings, NOW) > 50


@pytest.mark.parametrize(
    "now",
    [
        dt.datetime(
            2026, 10, 20, 9, 0, tzinfo=dt.UTC
        ),  # covers Sunday 25 October 2026 (clocks go back)
        dt.datetime(
            2027, 3, 22, 9, 0, tzinfo=dt.UTC
        ),  # covers Sunday 28 March 2027 (clocks go forward)
    ],
)
def test_searches_agree_with_brute_force_across_the_clock_changes(session, settings, now):
    rng = random.Random(now.toordinal())
    _random_world(session, rng, today=now.date() - dt.timedelta(days=1), days=12)
    # Fasting clinics either side of 10:30 on the change day and the days around it.
    change = next(
        now.date() + dt.timedelta(days=d)
        for d in range(14)
        if to_local(local_to_utc(now.date() + dt.timedelta(days=d), dt.time(0, 0))).utcoffset()
        != to_local(local_to_utc(now.date() + dt.timedelta(days=d + 1), dt.time(0, 0))).utcoffset()
    )
    site = make_site(session, name="Clock change site")
    for day in (change - dt.timedelta(days=1), change, change + dt.timedelta(days=1)):
        make_clinic(session, site=site, day=day, start=dt.time(10, 0), end=dt.time(11, 0))
    assert _check_everything(session, settings, now) > 20
    # On the change day itself the rule reads London time: 10:20 is allowed, 10:30 is not.
    times = availability.free_slots(
        session=session,
        site_id=site.id,
        day=change,
        type_code="fasting",
        now=now,
        settings=settings,
    )
    assert [to_local(t.starts_at).time() for t in times] == [
        dt.time(10, 0),
        dt.time(10, 10),
        dt.time(10, 20),
    ]


# ---------------------------------------------------------------- the rules, one at a time

DAY = dt.date(2026, 11, 25)  # Wednesday, two days after NOW


def test_a_day_whose_free_slots_are_all_too_late_is_not_offered_for_fasting(session, settings):
    site = make_site(session)
    late_only = make_clinic(session, site=site, day=DAY, start=dt.time(9, 0), end=dt.time(12, 0))
    for slot in slots_of(session, late_only):
        if to_local(slot.starts_at).time() < dt.time(10, 30):
            _fill(session, slot)
    make_clinic(
        session, site=site, day=DAY + dt.timedelta(days=2), start=dt.time(10, 0), end=dt.time(11, 0)
    )
    fasting = availability.free_dates(
        session=session, site_id=site.id, type_code="fasting", now=NOW, settings=settings
    )
    adult = availability.free_dates(
        session=session, site_id=site.id, type_code="adult", now=NOW, settings=settings
    )
    assert fasting == [DAY + dt.timedelta(days=2)]
    assert adult == [DAY, DAY + dt.timedelta(days=2)]
    [first] = availability.first_free_slots(
        session=session,
        postcode="LS1 1AA",
        type_code="fasting",
        now=NOW,
        settings=settings,
        per_site=4,
    )
    assert [to_local(s.starts_at) for s in first.slots] == [
        dt.datetime.combine(DAY + dt.timedelta(days=2), t, tzinfo=to_local(NOW).tzinfo)
        for t in (dt.time(10, 0), dt.time(10, 10), dt.time(10, 20))
    ]  # only three allowed that day, and nothing later: fewer than asked for
    assert _check_everything(session, settings, NOW) > 0


def test_closed_full_and_untyped_sessions_are_skipped(session, settings):
    site = make_site(session)
    closed = make_clinic(session, site=site, day=DAY)
    _close(session, closed)
    full = make_clinic(session, site=site, day=DAY + dt.timedelta(days=1), chairs=1)
    for slot in slots_of(session, full):
        _fill(session, slot)
    make_clinic(session, site=site, day=DAY + dt.timedelta(days=2), types=("adult",))
    open_ = make_clinic(session, site=site, day=DAY + dt.timedelta(days=3), start=dt.time(11, 0))
    inr_first = availability.first_free_slots(
        session=session, postcode="LS1 1AA", type_code="inr", now=NOW, settings=settings
    )
    assert [s.slot_id for s in inr_first[0].slots] == [slots_of(session, open_)[0].id]
    assert availability.free_dates(
        session=session, site_id=site.id, type_code="inr", now=NOW, settings=settings
    ) == [DAY + dt.timedelta(days=3)]
    assert availability.free_dates(
        session=session, site_id=site.id, type_code="adult", now=NOW, settings=settings
    ) == [DAY + dt.timedelta(days=2), DAY + dt.timedelta(days=3)]
    assert (
        availability.free_slots(
            session=session, site_id=site.id, day=DAY, type_code="adult", now=NOW, settings=settings
        )
        == []
    )
    assert _check_everything(session, settings, NOW) > 0


def test_child_tests_only_at_paediatric_sites(session, settings):
    children = make_site(
        session, paediatric=True, latitude=LEEDS["LS16"][0], longitude=LEEDS["LS16"][1]
    )
    adults = make_site(session)
    make_clinic(session, site=children, day=DAY, slot_minutes=15, types=("adult", "child"))
    make_clinic(session, site=adults, day=DAY, slot_minutes=15, types=("adult",))
    child = availability.first_free_slots(
        session=session, postcode="LS1 1AA", type_code="child", now=NOW, settings=settings
    )
    assert [r.site.site.id for r in child] == [children.id] and len(child[0].slots) == 1
    adult = availability.first_free_slots(
        session=session, postcode="LS1 1AA", type_code="adult", now=NOW, settings=settings
    )
    assert [r.site.site.id for r in adult] == [
        adults.id,
        children.id,
    ]  # LS1 is nearer LS1 than LS16
    assert adult[0].site.miles == pytest.approx(0.0) and adult[1].site.miles > 3  # type: ignore[operator]
    assert (
        availability.free_dates(
            session=session, site_id=adults.id, type_code="child", now=NOW, settings=settings
        )
        == []
    )
    assert _check_everything(session, settings, NOW) > 0


def test_the_booking_window_edges_are_inclusive(session, settings):
    site = make_site(session)
    earliest, latest = booking_window(
        NOW,
        min_notice_minutes=settings.min_notice_minutes,
        horizon_days=settings.booking_horizon_days,
    )
    assert to_local(earliest).time() == dt.time(10, 0) and to_local(latest).time() == dt.time(8, 0)
    today = make_clinic(session, site=site, day=NOW.date(), start=dt.time(9, 0), end=dt.time(11, 0))
    last = make_clinic(
        session, site=site, day=latest.date(), start=dt.time(7, 0), end=dt.time(9, 0)
    )
    make_clinic(session, site=site, day=latest.date() + dt.timedelta(days=1), start=dt.time(7, 0))
    in_window = [
        s
        for s in slots_of(session, today) + slots_of(session, last)
        if earliest <= s.starts_at <= latest
    ]
    assert [to_local(s.starts_at).time() for s in in_window] == [
        dt.time(10, 0),
        dt.time(10, 10),
        dt.time(10, 20),
        dt.time(10, 30),
        dt.time(10, 40),
        dt.time(10, 50),
        dt.time(7, 0),
        dt.time(7, 10),
        dt.time(7, 20),
        dt.time(7, 30),
        dt.time(7, 40),
        dt.time(7, 50),
        dt.time(8, 0),
    ]
    assert availability.free_dates(
        session=session, site_id=site.id, type_code="adult", now=NOW, settings=settings
    ) == [NOW.date(), latest.date()]
    got = availability.free_slots(
        session=session,
        site_id=site.id,
        day=latest.date(),
        type_code="adult",
        now=NOW,
        settings=settings,
    )
    assert [s.slot_id for s in got] == [s.id for s in in_window[6:]]
    [first] = availability.first_free_slots(
        session=session,
        postcode="LS1 1AA",
        type_code="adult",
        now=NOW,
        settings=settings,
        per_site=100,
    )
    assert [s.slot_id for s in first.slots] == [s.id for s in in_window]
    assert _check_everything(session, settings, NOW) > 0


def test_the_repeated_hour_when_the_clocks_go_back(session, settings):
    """On 25 October 2026 01:00-02:00 happens twice. With a latest start of 01:20, a free 01:30 BST
    slot (00:30 UTC) is too late but the later 01:10 GMT slot (01:10 UTC) is allowed: the one day
    on which a later slot can start earlier on the wall clock."""
    night = AppointmentType(
        code="night", name="Night test", duration_minutes=10, latest_start=dt.time(1, 20)
    )
    session.add(night)
    site = make_site(session)
    day = dt.date(2026, 10, 25)
    clinic = ClinicSession(
        site_id=site.id,
        date=day,
        start_time=dt.time(1, 0),
        end_time=dt.time(2, 0),
        slot_minutes=10,
        chairs=1,
        created_at=NOW,
    )
    session.add(clinic)
    session.flush()
    session.add(ClinicSessionType(session_id=clinic.id, type_code="night"))
    early = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    later = dt.datetime(2026, 10, 25, 1, 10, tzinfo=dt.UTC)
    assert to_local(early).time() == dt.time(1, 30) and to_local(later).time() == dt.time(1, 10)
    for starts in (early, later):
        session.add(
            Slot(
                session_id=clinic.id,
                site_id=site.id,
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=10),
                capacity=1,
            )
        )
    session.commit()
    now = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.UTC)
    assert availability.free_dates(
        session=session, site_id=site.id, type_code="night", now=now, settings=settings
    ) == [day]
    [first] = availability.first_free_slots(
        session=session, postcode="LS1 1AA", type_code="night", now=now, settings=settings
    )
    assert [s.starts_at for s in first.slots] == [later]
    assert _check_everything(session, settings, now, types=("night", "adult")) == 1


# ---------------------------------------------------------------- first free slots near a postcode


def test_first_free_slots_nearest_first_and_empty_where_none(session, settings):
    far = make_site(session, name="Far", latitude=LEEDS["LS22"][0], longitude=LEEDS["LS22"][1])
    near = make_site(session, name="Near", latitude=LEEDS["LS8"][0], longitude=LEEDS["LS8"][1])
    make_site(session, name="Empty", latitude=LEEDS["LS1"][0], longitude=LEEDS["LS1"][1])
    make_clinic(session, site=far, day=DAY)
    make_clinic(
        session, site=near, day=DAY + dt.timedelta(days=5), start=dt.time(14, 0), end=dt.time(16, 0)
    )
    result = availability.first_free_slots(
        session=session,
        postcode="LS8 2AA",
        type_code="adult",
        now=NOW,
        settings=settings,
        per_site=2,
    )
    # "Empty" runs no clinics at all: not offered (issue 11 item 5).
    assert [r.site.site.name for r in result] == ["Near", "Far"]
    assert [r.site.miles for r in result] == sorted(r.site.miles for r in result)  # type: ignore[type-var]
    assert [len(r.slots) for r in result] == [2, 2]
    assert [to_local(s.starts_at).time() for s in result[0].slots] == [
        dt.time(14, 0),
        dt.time(14, 10),
    ]
    assert result[0].slots[0].remaining == 3
    unknown = availability.first_free_slots(
        session=session, postcode="ZZ9 9ZZ", type_code="adult", now=NOW, settings=settings
    )
    assert [r.site.site.name for r in unknown] == ["Far", "Near"]  # A to Z
    assert all(r.site.miles is None for r in unknown)
    assert (
        availability.first_free_slots(
            session=session, postcode="LS8 2AA", type_code="nonsense", now=NOW, settings=settings
        )
        == []
    )
    assert _check_everything(session, settings, NOW, postcode="LS8 2AA") > 0


def test_first_free_slots_statements_do_not_grow_with_sites(engine, session, settings):
    """One statement for the sites and the type, then one a round (a fasting search whose first
    free slot is too late needs a second round) whatever the number of sites, on both engines
    (SQLite sent one a site and round, and the search grew with the sites)."""

    def count(sites: int) -> tuple[int, list[int]]:
        with Session(engine) as fresh, statements(engine) as sent:
            result = availability.first_free_slots(
                session=fresh, postcode="LS1 1AA", type_code="fasting", now=NOW, settings=settings
            )
        return len(sent), [len(r.slots) for r in result]

    for n in range(6):
        site = make_site(session)
        make_clinic(session, site=site, day=DAY, start=dt.time(11, 0))  # too late for fasting
        make_clinic(session, site=site, day=DAY + dt.timedelta(days=1), start=dt.time(9, 0))
        if n == 1:
            few = count(2)
    many = count(6)
    assert few[1] == [1, 1] and many[1] == [1] * 6
    assert few[0] == many[0] == 3


@pytest.mark.parametrize("search", ["free_dates", "free_slots"])
def test_date_and_time_searches_are_one_statement(engine, settings, search):
    with Session(engine) as session:
        site = make_site(session)
        make_clinic(session, site=site, day=DAY)
        site_id = site.id
    with Session(engine) as fresh, statements(engine) as sent:
        if search == "free_dates":
            found = availability.free_dates(
                session=fresh, site_id=site_id, type_code="fasting", now=NOW, settings=settings
            )
        else:
            found = availability.free_slots(
                session=fresh,
                site_id=site_id,
                day=DAY,
                type_code="fasting",
                now=NOW,
                settings=settings,
            )
    assert found and len(sent) == 1


def test_a_site_whose_clinics_all_start_too_late_costs_a_few_rounds_not_one_a_day(
    engine, session, settings
):
    from booking_web.services.clinics import SessionPlan, create_sessions

    afternoons = make_site(session, name="Afternoons only")
    mornings = make_site(session, name="Mornings")
    create_sessions(
        session=session,
        actor=SETUP,
        now=NOW,
        plan=SessionPlan(
            site_id=afternoons.id,  # type: ignore[arg-type]
            first_day=NOW.date(),
            last_day=NOW.date() + dt.timedelta(days=45),
            weekdays=frozenset(range(7)),
            start_time=dt.time(13, 0),
            end_time=dt.time(17, 0),
            slot_minutes=10,
            chairs=2,
            type_codes=("adult", "fasting"),
        ),
    )
    make_clinic(session, site=mornings, day=DAY)
    with Session(engine) as fresh, statements(engine) as sent:
        result = availability.first_free_slots(
            session=fresh,
            postcode="LS1 1AA",
            type_code="fasting",
            now=NOW,
            settings=settings,
            per_site=2,
        )
    assert {r.site.site.name: len(r.slots) for r in result} == {"Afternoons only": 0, "Mornings": 2}
    # About 1,000 free afternoon slots, read 2, 8, 32, ... at a time: 6 rounds, where skipping one
    # day a round would take 43. Statements: the sites, then one a round.
    rounds = len(sent) - 1
    assert rounds <= 7
    assert _check_everything(session, settings, NOW, types=("fasting",), per_sites=(2,)) > 0


@pytest.mark.parametrize("seed", [11, 12])
def test_the_place_pages_bounded_search_agrees_with_brute_force_among_many_places(
    session, settings, seed
):
    """Fifty places, many of which run no clinic for a given test (or only a closed one, or
    only in the past, or are inactive), so the bounded search must check its candidates for
    clinics in several batches: every limit and both orders still give the first N of the
    brute-force ordering, with a place asked for added in its place."""
    rng = random.Random(seed)
    districts = sorted(LEEDS.values())
    for n in range(50):
        lat, lon = rng.choice(districts)
        site = make_site(session, name=f"Many {rng.random():.9f}", paediatric=rng.random() < 0.3,
                         latitude=lat + rng.uniform(-0.02, 0.02), longitude=lon + rng.uniform(-0.02, 0.02))
        if rng.random() < 0.1:
            site.active = False
            session.add(site)
            session.commit()
        roll = rng.random()
        if roll < 0.2:
            continue  # runs no clinics at all
        day = NOW.date() - dt.timedelta(days=3) if roll < 0.3 else DAY + dt.timedelta(days=n % 5)
        types = tuple(t for t in ("adult", "fasting", "inr") if rng.random() < 0.6) or ("inr",)
        if site.paediatric and rng.random() < 0.6:
            types += ("child",)
        clinic = make_clinic(session, site=site, day=day, start=dt.time(rng.choice((8, 10, 11)), 0),
                             end=dt.time(12, 0), slot_minutes=15, types=types)
        if rng.random() < 0.15:
            _close(session, clinic)
    ref = Reference.load(session)
    for code in ("adult", "child", "fasting", "inr"):
        for postcode in ("LS8 2AA", None):
            _check_bounded(session, settings, NOW, ref, code, postcode=postcode, per_site=1)
    assert len(ref.order("adult", NOW, settings, "LS8 2AA")) > 12
    assert len(ref.order("child", NOW, settings, None)) >= 2


def test_the_bounded_search_sends_the_same_statements_for_12_places_or_40(engine, session, settings):
    """The place page's search (the nearest 10): the type's rule, the sites' light rows, one
    clinic check for the first 11, then one statement a round, whatever the number of places."""

    def count() -> tuple[int, int]:
        with Session(engine) as fresh, statements(engine) as sent:
            found = availability.search_places(
                session=fresh, postcode="LS1 1AA", type_code="adult", now=NOW, settings=settings,
                limit=10)
        assert len(found.places) == 10 and found.more
        return len(sent), sum(len(p.slots) for p in found.places)

    for n in range(40):
        site = make_site(session, latitude=53.80 + 0.001 * n)
        make_clinic(session, site=site, day=DAY, start=dt.time(9, 0), end=dt.time(10, 0))
        if n == 11:
            few = count()
    assert few == count() == (4, 10)
