"""Part 2: search times on a year of clinics, at several site counts: the place page's search
('nearest_first_free': the nearest PLACES_SHOWN sites to a postcode, each with its first free slot
of a type, availability.first_free_slots with a limit, as booking_web/public/choose.py asks),
the same search over every site ('all_sites_first_free', no limit: what the page did before issue
19's bound, kept for honesty), and 'one site's free dates' (availability.free_dates)."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bench import plans
from bench.databases import bench_database
from bench.seed import DISTRICTS, SeedPlan, seed
from bench.stats import summary_ms
from booking_web.public.choose import PLACES_SHOWN
from booking_web.services.availability import first_free_slots, free_dates
from shared.config import Settings
from shared.db import make_engine
from shared.timeutil import london_today, utcnow

TYPES = ("adult", "fasting", "inr")


@dataclass(frozen=True)
class SearchScale:
    """Site counts to seed, days of clinics for each, and how many timed calls per query."""

    sites_days: tuple[tuple[int, int], ...]  # (sites, days)
    repeats: int
    max_seconds: float  # per query and scale
    index_experiment_at: int | None  # site count at which to try candidate indexes


# Candidate indexes tried after the plain timings (names start ix_bench_ so they are clearly ours).
CANDIDATE_INDEXES = {
    "ix_bench_slot_site_start_free": "CREATE INDEX ix_bench_slot_site_start_free "
    "ON slot (site_id, starts_at) WHERE booked < capacity",
}


def _time_calls(
    engine: Engine,
    call: Callable[[Session, random.Random], object],
    repeats: int,
    max_seconds: float,
) -> dict[str, Any]:
    """Wall and CPU milliseconds per call, each in a fresh session (as each web request has), after
    a short warm-up; stops after `repeats` calls or `max_seconds`, whichever comes first."""
    rng = random.Random(7)
    for _ in range(3):
        with Session(engine) as session:
            call(session, rng)
    wall: list[float] = []
    cpu: list[float] = []
    deadline = time.perf_counter() + max_seconds
    while len(wall) < repeats and (len(wall) < 10 or time.perf_counter() < deadline):
        with Session(engine) as session:
            began, began_cpu = time.perf_counter(), time.process_time()
            call(session, rng)
            wall.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
    figures = summary_ms(wall)
    cpu_figures = summary_ms(cpu)  # this process only: the database server's work is not in it
    figures["cpu_p50_ms"], figures["cpu_p95_ms"] = cpu_figures["p50_ms"], cpu_figures["p95_ms"]
    return figures


def _calls(
    sites: int, settings: Settings, now: dt.datetime
) -> dict[str, Callable[[Session, random.Random], object]]:
    def first_free(limit: int | None) -> Callable[[Session, random.Random], object]:
        """The place search from a random district for a random type: the page's (`limit`
        places) or every site (None, as the page searched before issue 19)."""
        def search(session: Session, rng: random.Random) -> object:
            return first_free_slots(session=session, postcode=f"{rng.choice(DISTRICTS)} 1AA",
                                    type_code=rng.choice(TYPES), now=now, settings=settings, limit=limit)
        return search

    nearest, every_site = first_free(PLACES_SHOWN), first_free(None)

    def dates(session: Session, rng: random.Random) -> object:
        return free_dates(
            session=session,
            site_id=rng.randint(1, sites),
            type_code=rng.choice(TYPES),
            now=now,
            settings=settings,
        )

    return {"nearest_first_free": nearest, "all_sites_first_free": every_site,
            "site_free_dates": dates}


def _measure(engine: Engine, sites: int, settings: Settings, scale: SearchScale) -> dict[str, Any]:
    now = utcnow()
    return {
        name: _time_calls(engine, call, scale.repeats, scale.max_seconds)
        for name, call in _calls(sites, settings, now).items()
    }


def _query_plan(engine: Engine, sites: int, settings: Settings) -> list[str]:
    """The plan of the free-slot query as the nearest search sends it (on PostgreSQL one statement
    for every site; on SQLite the first site's)."""
    now = utcnow()

    def call() -> None:
        with Session(engine) as session:
            first_free_slots(
                session=session, postcode="LS1 1AA", type_code="adult", now=now, settings=settings,
                limit=PLACES_SHOWN,
            )

    captured = plans.capture_statement(engine, call, "FROM slot JOIN clinic_session")
    return plans.explain(engine, *captured) if captured else []


def run_search(
    kind: str, *, scale: SearchScale, workdir: Path, server_url: str | None, profile: bool = False
) -> dict[str, Any]:
    """Seed each scale in a fresh database and time both searches on it."""
    out: dict[str, Any] = {"database": kind, "scales": []}
    for sites, days in scale.sites_days:
        today = london_today(utcnow())
        with bench_database(
            kind, f"bench_search_{sites}", workdir=workdir, server_url=server_url
        ) as db:
            seeded = seed(
                db.url,
                SeedPlan(
                    sites=sites,
                    first_day=today - dt.timedelta(days=days // 2),
                    days=days,
                    closed_fraction=0.02,
                ),
                now=utcnow(),
            )
            settings = Settings(database_url=db.url, instance_dir=workdir, secret_key="bench")
            engine = make_engine(db.url)
            try:
                row: dict[str, Any] = {
                    "sites": sites,
                    "days": days,
                    "slots": seeded.slots,
                    "seed_s": seeded.seconds,
                }
                row.update(_measure(engine, sites, settings, scale))
                if sites == scale.index_experiment_at:
                    row["plan"] = _query_plan(engine, sites, settings)
                    if profile:
                        row["profile_file"] = str(
                            _profile(
                                engine, sites, settings, workdir / f"pyinstrument-search-{kind}.txt"
                            )
                        )
                    row["with_indexes"] = _index_experiment(engine, sites, settings, scale)
            finally:
                engine.dispose()
        out["scales"].append(row)
    return out


def _index_experiment(
    engine: Engine, sites: int, settings: Settings, scale: SearchScale
) -> dict[str, Any]:
    """Times again with each candidate index added (on this throwaway database only)."""
    results = {}
    for name, ddl in CANDIDATE_INDEXES.items():
        with engine.begin() as conn:
            conn.execute(text(ddl))
        results[name] = _measure(engine, sites, settings, scale)
        results[name]["plan"] = _query_plan(engine, sites, settings)
        with engine.begin() as conn:
            conn.execute(text(f"DROP INDEX {name}"))
    return results


def _profile(engine: Engine, sites: int, settings: Settings, out: Path) -> Path:
    """A pyinstrument profile of both searches, as text."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    now = utcnow()
    with profiler:
        for call in _calls(sites, settings, now).values():
            _time_calls(engine, call, 30, 10.0)
    out.write_text(profiler.output_text(unicode=False, color=False))
    return out
