"""Part 1 and the web half of part 4: a booking rush on the site as deployed, its ceilings, and
the web workers' peak memory."""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from bench import profiling
from bench.databases import BENCH, bench_database
from bench.integrity import capacity_report
from bench.procs import run_json
from bench.seed import SeedPlan, seed
from bench.server import ServerConfig, children_of, cpu_seconds, memory_kib, serve, wrk_ceiling
from booking_web.services.accounts import create_api_key
from shared.db import make_engine
from shared.models import KeyKind
from shared.timeutil import london_today, utcnow


@dataclass(frozen=True)
class RushScale:
    """How big the rush is."""

    sites: int
    chairs: int  # per slot; 60 ten-minute slots a site (08:00-18:00)
    clients: int
    rush_seconds: float
    ceiling_seconds: float
    insert_seconds: float
    max_requests: int
    paced_fraction: float = 0.5  # the paced run offers this share of the closed-loop bookings/s
    paced_seconds: float = 15.0
    paced_chairs: int = 8  # per slot on the paced run's day, so it is not scarce


def _partner_key(url: str) -> str:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return create_api_key(
                session=session, name="bench partner", kind=KeyKind.PARTNER, actor=BENCH, now=utcnow()
            )
    finally:
        engine.dispose()


def _database_pids(url: str) -> list[int]:
    """The PostgreSQL server's processes (the postmaster's children), or [] for SQLite."""
    engine = make_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            return []
        with engine.connect() as conn:
            backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        return [postmaster]
    finally:
        engine.dispose()


def _workers_memory(pids: list[int]) -> dict[str, Any]:
    found = {pid: memory_kib(pid) for pid in pids}
    return {
        "per_worker_mib": {
            str(pid): round(m.get("VmHWM", 0) / 1024, 1) for pid, m in found.items()
        },
        "max_hwm_mib": round(max((m.get("VmHWM", 0) for m in found.values()), default=0) / 1024, 1),
        "max_rss_mib": round(max((m.get("VmRSS", 0) for m in found.values()), default=0) / 1024, 1),
    }


def run_rush(
    kind: str,
    *,
    scale: RushScale,
    config: ServerConfig,
    workdir: Path,
    server_url: str | None,
    profile: bool = False,
) -> dict[str, Any]:
    """Seed a scarce day, start gunicorn, measure the ceiling and the rush, then check capacity."""
    result: dict[str, Any] = {"database": kind, "server": config.label(), "clients": scale.clients}
    with bench_database(kind, "bench_rush", workdir=workdir, server_url=server_url) as db:
        day = london_today(utcnow()) + dt.timedelta(days=1)
        paced_day = day + dt.timedelta(days=1)
        hours = (dt.time(8, 0), dt.time(18, 0))
        seeded = seed(
            db.url,
            SeedPlan(
                sites=scale.sites,
                first_day=day,
                days=2,
                booked_fraction=0.0,
                chairs=(scale.chairs,),
                weekday_hours=hours,
                saturday_hours=hours,
                sunday_hours=hours,
            ),
            now=utcnow(),
        )
        paced_chairs = _widen_day(db.url, paced_day, scale.paced_chairs)
        result["seeded"] = {
            "sites": seeded.sites,
            "slots": seeded.slots // 2,
            "chairs": seeded.slots // 2 * scale.chairs,
            "paced_day_chairs": paced_chairs,
        }
        key = _partner_key(db.url)
        common = {
            "base_url": "",
            "key": key,
            "clients": scale.clients,
            "timeout_s": 10.0,
            "seed": 1,
        }
        with serve(db.url, config=config, instance_dir=workdir / f"instance-{kind}") as server:
            common["base_url"] = server.base_url
            pids = server.worker_pids()
            postmaster = _database_pids(db.url)
            # The CPU the ceiling's requests cost too, so a booking can be told in GET /sites
            # requests' worth of the stack's CPU (the issue's own measure), which the load
            # generator's pace and the server's waits for it do not move.
            web_cpu, db_cpu = (
                cpu_seconds(pids),
                cpu_seconds(children_of(postmaster[0])) if postmaster else 0.0,
            )
            result["ceiling_http"] = run_json(
                "bench.loadgen",
                dict(common, mode="ceiling", duration_s=scale.ceiling_seconds, max_requests=10**7),
                timeout_s=scale.ceiling_seconds + 60,
            )
            result["ceiling_cpu_s"] = {
                "web_workers": round(cpu_seconds(pids) - web_cpu, 3),
                "database_server": round(
                    (cpu_seconds(children_of(postmaster[0])) if postmaster else 0.0) - db_cpu, 3),
            }
            # The same ceiling from a C client (the Python one shares the cores with the server).
            result["ceiling_wrk"] = wrk_ceiling(server.base_url, key, seconds=scale.ceiling_seconds)
            result["memory_before_rush"] = _workers_memory(pids)
            spy = None
            if profile:
                spy = profiling.start_py_spy(
                    server.process.pid, scale.rush_seconds, workdir / f"py-spy-rush-{kind}.txt"
                )
                time.sleep(1.0)  # let py-spy attach before the load starts
            web_cpu, db_cpu = (
                cpu_seconds(pids),
                cpu_seconds(children_of(postmaster[0])) if postmaster else 0.0,
            )
            result["rush"] = run_json(
                "bench.loadgen",
                dict(
                    common,
                    mode="rush",
                    duration_s=scale.rush_seconds,
                    max_requests=scale.max_requests,
                    site_ids=list(range(1, scale.sites + 1)),
                    date=day.isoformat(),
                    type_code="adult",
                ),
                timeout_s=scale.rush_seconds + 60,
            )
            db_cpu = (cpu_seconds(children_of(postmaster[0])) if postmaster else 0.0) - db_cpu
            result["cpu_s"] = {
                "web_workers": round(cpu_seconds(pids) - web_cpu, 2),
                "database_server": round(db_cpu, 2),
            }
            if spy is not None:
                spy.wait(timeout=scale.rush_seconds + 60)
                result["profile"] = profiling.summarize(workdir / f"py-spy-rush-{kind}.txt")
            window = result["rush"]["booking_window_s"] or result["rush"]["elapsed_s"]
            rate = max(1.0, round(scale.paced_fraction * result["rush"]["booked"] / window))
            patients = int(min(rate * scale.paced_seconds, 0.7 * paced_chairs))
            result["paced"] = run_json(
                "bench.loadgen",
                dict(
                    common,
                    mode="paced",
                    rate_per_s=rate,
                    patients=patients,
                    duration_s=patients / rate + 30,
                    max_requests=scale.max_requests,
                    site_ids=list(range(1, scale.sites + 1)),
                    date=paced_day.isoformat(),
                    type_code="adult",
                    seed=2,
                    first_patient=500_000,  # past the rush's patients (at most max_requests of them)
                ),
                timeout_s=patients / rate + 90,
            )
            result["paced"]["rate_per_s"] = rate
            result["memory_after_rush"] = _workers_memory(pids)
            result["workers_restarted"] = sorted(server.worker_pids()) != sorted(pids)
        result["capacity"] = capacity_report(db.url)
        result["ceiling_inserts"] = run_json(
            "bench.inserts",
            {"url": db.url, "seconds": scale.insert_seconds, "max_rows": 10**7},
            timeout_s=scale.insert_seconds + 60,
        )
    result["figures"] = _figures(result)
    return result


def _widen_day(url: str, day: dt.date, chairs: int) -> int:
    """Give every slot on `day` this many chairs (the paced run's day is not scarce); returns
    the chairs that day now has."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE slot SET capacity = :chairs WHERE session_id IN "
                    "(SELECT id FROM clinic_session WHERE date = :day)"
                ),
                {"chairs": chairs, "day": day},
            )
            return int(
                conn.execute(
                    text(
                        "SELECT COALESCE(SUM(capacity), 0) FROM slot WHERE session_id IN "
                        "(SELECT id FROM clinic_session WHERE date = :day)"
                    ),
                    {"day": day},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _figures(result: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers: bookings/s, latency, errors, overbookings and fractions of the ceilings."""
    rush, cap = result["rush"], result["capacity"]
    window = rush["booking_window_s"] or rush["elapsed_s"]
    per_s = rush["booked"] / window if window else 0.0
    http_ceiling = result["ceiling_http"]["requests_per_s"]
    insert_ceiling = result["ceiling_inserts"]["rows_per_s"]
    book = rush["latency"].get("book", {})
    booked = max(rush["booked"], 1)
    gen_cpu = rush["generator_cpu_cores"] * rush["elapsed_s"]
    cpu_ms = {
        "web": 1000 * result["cpu_s"]["web_workers"] / booked,
        "db": 1000 * result["cpu_s"]["database_server"] / booked,
        "generator": 1000 * gen_cpu / booked,
    }
    sites_cpu = result.get("ceiling_cpu_s")
    sites_requests = result["ceiling_http"]["requests"]
    per_sites = (1000 * (sites_cpu["web_workers"] + sites_cpu["database_server"]) / sites_requests
                 if sites_cpu and sites_requests else None)
    return {
        # A booking in GET /api/v1/sites requests' worth of web + database CPU, each measured in
        # its own run (the ceiling's, the rush's): the title of issue 19 asks for under 3.
        "cpu_ms_per_sites_request": round(per_sites, 3) if per_sites else None,
        "booking_in_sites_requests": round((cpu_ms["web"] + cpu_ms["db"]) / per_sites, 2) if per_sites else None,
        "requests_per_booking": round(rush["requests"] / booked, 2),
        "web_cpu_ms_per_booking": round(cpu_ms["web"], 1),
        "db_cpu_ms_per_booking": round(cpu_ms["db"], 1),
        "generator_cpu_ms_per_booking": round(cpu_ms["generator"], 1),
        # What the cores could do if nothing else ran: bookings/s when CPU-bound on web + database.
        "cpu_bound_bookings_per_s": round(
            1000 * (os.cpu_count() or 1) / (cpu_ms["web"] + cpu_ms["db"]), 1
        ),
        "bookings": rush["booked"],
        "bookings_per_s": round(per_s, 1),
        "book_p50_ms": book.get("p50_ms"),
        "book_p95_ms": book.get("p95_ms"),
        "book_p99_ms": book.get("p99_ms"),
        "conflicts_409": rush["statuses"].get("book 409", 0),
        "errors": sum(rush["errors"].values()),
        "overbooked_slots": cap["overbooked_slots"] + cap["counter_over_capacity"],
        "counter_mismatches": cap["counter_mismatches"],
        "lost_or_phantom": cap["appointments"] - rush["booked"] - (result.get("paced") or {}).get("booked", 0),
        "http_ceiling_per_s": http_ceiling,
        "wrk_ceiling_per_s": (result.get("ceiling_wrk") or {}).get("requests_per_s"),
        "insert_ceiling_per_s": insert_ceiling,
        "fraction_of_http_ceiling": round(per_s / http_ceiling, 3) if http_ceiling else None,
        "fraction_of_insert_ceiling": round(per_s / insert_ceiling, 3) if insert_ceiling else None,
        "worker_peak_mib": result["memory_after_rush"]["max_hwm_mib"],
        **_paced_figures(result.get("paced")),
    }


def _paced_figures(paced: dict[str, Any] | None) -> dict[str, Any]:
    """The open-loop run: offered rate, what was booked, request and journey latency."""
    if not paced:
        return {}
    book, journey = paced["latency"].get("book", {}), paced["latency"].get("journey", {})
    return {
        "paced_rate_per_s": paced["rate_per_s"],
        "paced_patients": paced["offered"],
        "paced_booked": paced["booked"],
        "paced_late_starts": paced["late_starts"],
        "paced_book_p50_ms": book.get("p50_ms"),
        "paced_book_p95_ms": book.get("p95_ms"),
        "paced_book_p99_ms": book.get("p99_ms"),
        "paced_journey_p50_ms": journey.get("p50_ms"),
        "paced_journey_p99_ms": journey.get("p99_ms"),
        "paced_errors": sum(paced["errors"].values()),
    }
