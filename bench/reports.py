"""Reports over a year of 50 sites: a year of clinics (bench/seed.py) with its history
(bench/history_seed.py), settled as the scheduler does each night, then the report for several
scopes timed as the service call (booking_web/reports/figures.py) and as the whole page a manager
asks for (Flask's test client in this process: sign-in, the view, the SQL, the SVG charts and
tables; no network)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bench import plans
from bench.databases import BENCH, bench_database
from bench.history_seed import seed_history
from bench.seed import SeedPlan, seed
from bench.stats import summary_ms
from booking_web import create_app
from booking_web.reports.figures import build_report
from booking_web.reports.scope import ReportScope
from booking_web.reports.settle import settle_reports
from booking_web.services.accounts import create_staff
from shared.config import Settings
from shared.db import make_engine
from shared.models import ReportCount, Role
from shared.timeutil import london_today, utcnow


@dataclass(frozen=True)
class ReportScale:
    """Sites and days of history, and how many timed reports per scope."""

    sites: int
    days: int
    repeats: int
    max_seconds: float


FULL = ReportScale(sites=50, days=365, repeats=20, max_seconds=60.0)
QUICK = ReportScale(sites=3, days=30, repeats=5, max_seconds=5.0)


def _scopes(scale: ReportScale, today: dt.date) -> dict[str, ReportScope]:
    last = today - dt.timedelta(days=1)
    year = last - dt.timedelta(days=scale.days - 1)
    return {
        f"{scale.days} days, all {scale.sites} sites": ReportScope((), year, last),
        f"{scale.days} days, 1 site": ReportScope((1,), year, last),
        f"{scale.days} days, 5 sites": ReportScope((1, 2, 3, 4, 5)[: scale.sites], year, last),
        f"28 days, all {scale.sites} sites": ReportScope((), last - dt.timedelta(days=27), last),
    }


def _time(call: Callable[[], object], repeats: int, max_seconds: float) -> dict[str, Any]:
    call()  # warm: the first run reads the tables into the cache
    wall: list[float] = []
    deadline = time.perf_counter() + max_seconds
    while len(wall) < repeats and (len(wall) < 5 or time.perf_counter() < deadline):
        began = time.perf_counter()
        call()
        wall.append(time.perf_counter() - began)
    return summary_ms(wall)


def _service(engine: Engine, scope: ReportScope) -> Callable[[], object]:
    def call() -> object:
        with Session(engine) as session:
            return build_report(session=session, scope=scope)
    return call


class _Pages:
    """The report page asked for by a signed-in manager through Flask's test client."""

    def __init__(self, url: str, workdir: Path, engine: Engine) -> None:
        settings = Settings.from_env({}, database_url=url, instance_dir=workdir / "reports-instance",
                                     secret_key="bench-reports-" + "x" * 32)
        self.app = create_app(settings, engine=engine)
        with Session(engine) as session:
            user = create_staff(session=session, actor=BENCH, username="bench-manager", display_name="Bench manager",
                                password="bench manager password", role=Role.MANAGER, site_id=None,
                                now=utcnow())
            user_id = user.id
        self.client = self.app.test_client()
        with self.client.session_transaction() as cookie:
            cookie["staff_id"] = user_id

    def call(self, scope: ReportScope) -> Callable[[], object]:
        query = "&".join([f"sites={s}" for s in scope.site_ids] + [
            f"{name}-{part}={getattr(day, part)}" for name, day in (("from", scope.first), ("to", scope.last))
            for part in ("day", "month", "year")])

        def get() -> object:
            response = self.client.get(f"/staff/reports?{query}")
            assert response.status_code == 200 and b"Key figures" in response.data, response.status_code
            return response
        return get


def run_reports(kind: str, *, scale: ReportScale, workdir: Path, server_url: str | None) -> dict[str, Any]:
    """Seed the scale in a fresh database; time a short report counted live, settle the year
    (timed), then time each scope as the service and as the page."""
    today = london_today(utcnow())
    with bench_database(kind, "bench_reports", workdir=workdir, server_url=server_url) as db:
        clinics = seed(db.url, SeedPlan(sites=scale.sites, first_day=today - dt.timedelta(days=scale.days),
                                        days=scale.days + 14, closed_fraction=0.01), now=utcnow())
        history = seed_history(db.url, now=utcnow())
        out: dict[str, Any] = {
            "database": kind, "sites": scale.sites, "days": scale.days, "slots": clinics.slots,
            "seed_s": round(clinics.seconds + history.seconds, 1),
            "appointments": history.rows["appointment"],
            "rows": sum(history.rows.values()) + clinics.slots + clinics.sessions, "scopes": {},
        }
        engine = make_engine(db.url)
        try:
            scopes = _scopes(scale, today)
            short = scopes[f"28 days, all {scale.sites} sites"]
            out["live_28_days"] = _time(_service(engine, short), 3, scale.max_seconds)
            began = time.perf_counter()
            with Session(engine) as session:
                settle_reports(session=session, now=utcnow())
                out["counts"] = session.execute(select(func.count()).select_from(ReportCount)).scalar_one()
            out["settle_s"] = round(time.perf_counter() - began, 1)
            pages = _Pages(db.url, workdir, engine)
            for name, scope in scopes.items():
                out["scopes"][name] = {
                    "service": _time(_service(engine, scope), scale.repeats, scale.max_seconds),
                    "page": _time(pages.call(scope), scale.repeats, scale.max_seconds),
                }
            out["plan"] = _plan(engine, next(iter(scopes.values())))
        finally:
            engine.dispose()
    return out


def _plan(engine: Engine, scope: ReportScope) -> list[str]:
    """The plan of the read of the settled counts (every figure for every site) over a year."""
    captured = plans.capture_statement(engine, _service(engine, scope), "FROM report_count")
    return plans.explain(engine, *captured) if captured else []


def report_rows(reports: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """The reports' figures, SQLite beside PostgreSQL: (label, SQLite, PostgreSQL, target)."""
    by = {r["database"]: r for r in reports}

    def cell(kind: str, get: Callable[[dict[str, Any]], str]) -> str:
        return get(by[kind]) if kind in by else "not run"

    def row(label: str, get: Callable[[dict[str, Any]], str], target: str = "") -> tuple[str, str, str, str]:
        return (label, cell("sqlite", get), cell("postgresql", get), target)

    first = next(iter(by.values()), None)
    rows = [
        row("history seeded: appointments / rows / seconds",
            lambda r: f"{r['appointments']:,} / {r['rows']:,} / {r['seed_s']}"),
        row("28 days, every site, counted live (nothing settled) p50 ms",
            lambda r: f"{r['live_28_days']['p50_ms']:,.0f}"),
        row("settling the year (nightly job's first run): s / counts",
            lambda r: f"{r['settle_s']} / {r['counts']:,}"),
    ]
    for name in (first or {}).get("scopes", {}):
        target = "p95 < 1000" if name.startswith(f"{first['days']} days, all") else ""  # type: ignore[index]
        for what in ("service", "page"):
            rows.append(row(f"{name}: {what} ms p50 / p95",
                            lambda r, n=name, w=what: f"{r['scopes'][n][w]['p50_ms']:,.0f} / "
                                                      f"{r['scopes'][n][w]['p95_ms']:,.0f}", target))
    return rows


def verdicts(reports: list[dict[str, Any]]) -> list[str]:
    """Where the year-long report stands against its target."""
    lines = []
    for r in reports:
        name = f"{r['days']} days, all {r['sites']} sites"
        p95 = r["scopes"][name]["page"]["p95_ms"]
        lines.append(f"{r['database']}: report page over {name} p95 {p95:,.0f} ms vs < 1000 "
                     f"({'met' if p95 < 1000 else 'MISSED'})")
    return lines
