"""`python -m bench [--quick] [--only rush|search|kiosk|chair|reports|hl7] [--profile]`: run the benchmarks,
print the table, write bench/results.json and bench/RESULTS.md."""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench import kiosk_report, machine, report
from bench import reports as report_bench
from bench.databases import KINDS
from bench.chair import NOTE as CHAIR_NOTE
from bench.chair import chair_rows, run_chair
from bench.hl7_orders import NOTE as HL7_NOTE
from bench.hl7_orders import run_hl7
from bench.kiosk import run_kiosk
from bench.rush import RushScale, run_rush
from bench.search import SearchScale, run_search
from bench.server import ServerConfig

WORKDIR = Path(__file__).resolve().parent / "out"  # git-ignored scratch: databases, logs, profiles

FULL_RUSH = RushScale(
    sites=20,  # 2,400 chairs: about 15 s of booking at 150/s, long enough for a steady rate
    chairs=2,
    clients=200,
    rush_seconds=60,
    ceiling_seconds=10,
    insert_seconds=5,
    max_requests=40_000,
)
QUICK_RUSH = RushScale(
    sites=2,
    chairs=1,
    clients=20,
    rush_seconds=8,
    ceiling_seconds=2,
    insert_seconds=1,
    max_requests=2_000,
)
# 200 sites get half a year each (about 1.9M slots) to keep seeding time down; 5 and 50 get a full year.
FULL_SEARCH = SearchScale(
    sites_days=((5, 365), (50, 365), (200, 183)),
    repeats=200,
    max_seconds=8.0,
    index_experiment_at=50,
)
QUICK_SEARCH = SearchScale(
    sites_days=((2, 60), (5, 60), (10, 60)), repeats=10, max_seconds=1.0, index_experiment_at=5
)


def server_config() -> ServerConfig:
    """As deployed (README): sync workers, one more than the cores (3 on 2 cores). Measured on 2
    cores shared with the database and the load generator, 4 workers booked a third less than 3
    (PostgreSQL 108 vs 161 bookings/s): more processes than cores cost CPU per request."""
    cores = os.cpu_count() or 2
    return ServerConfig(worker_class="sync", workers=cores + 1, threads=1)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny scales, for a smoke check")
    parser.add_argument("--only", choices=("rush", "search", "kiosk", "chair", "reports", "hl7"),
                        help="run one benchmark")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy on the web workers, pyinstrument on search and the kiosk's check-ins",
    )
    parser.add_argument(
        "--db", choices=KINDS, action="append", help="limit to a database (repeatable)"
    )
    return parser.parse_args(argv)


def notes(results: dict[str, Any], server_url: str | None) -> list[str]:
    """Caveats a reader needs next to the figures."""
    found = [
        "Everything shares the machine's cores: gunicorn workers, the database server and the load generator "
        "(its CPU use is in the table).",
        "The throwaway PostgreSQL runs with fsync=off, synchronous_commit=off, full_page_writes=off "
        "(scripts/with-postgres.sh); SQLite runs as the app configures it (WAL, synchronous=NORMAL). Neither "
        "waits for the disk on commit, so a production PostgreSQL will commit more slowly than measured here.",
        "Rush: one clinic day (08:00-18:00, ten-minute slots) at each site, nothing booked beforehand; each client "
        "lists a random site's free slots, books a random one as a new patient (NHS number, so the patient row is "
        "locked and the cap checked), picks another from its list on 409, and lists again after a booking. "
        "This closed loop (no pauses) measures the most bookings a second; its latency is queueing by "
        "construction (Little's law: 200 clients at X requests/s wait about 200/X s each), so it cannot show p99 "
        "< 200 ms unless the stack answers well over 1,000 requests/s.",
        "Paced run (open loop): the next day at the same sites, 8 chairs a slot; patients arrive one every "
        "1/rate s at half the closed-loop bookings/s, each lists one site's slots and books one (another from "
        "the list on 409), at most 200 at once; 'arrival -> booked' is timed from the scheduled arrival, so "
        "queueing behind a slow server is counted (no coordinated omission).",
        "Load generator: bench/rawhttp.py, a minimal asyncio HTTP/1.1 client; httpx cost 8-9 ms of CPU per "
        "booking on the same two cores (2 ms now).",
        "bookings/s = bookings / time from the first request to the last successful booking.",
        "The GET /api/v1/sites ceiling is measured twice: by the bench's Python client, then by wrk (C, one "
        "thread, 64 connections; Debian's wrk, in scripts/system-packages.txt). The ratio uses the first, as before.",
        "Search: sessions Monday to Friday 07:00-18:00 and Saturday 08:00-13:00, ten-minute slots, 2-3 chairs, "
        "30 % of slots full, 2 % of sessions closed, half the days past and half to come; queries run in this "
        "process (no HTTP), each in a fresh session, through booking_web/services/availability.py "
        "(first_free_slots and free_dates). nearest_first_free is the place page's search since issue 19: the "
        "nearest 10 sites to the postcode (first_free_slots with limit=10; every eligible site is still ranked), "
        "each with its first free slot; all_sites_first_free is the same search over every site (no limit), which "
        "the page ran before and whose cost is linear in the sites, kept so the change can be seen.",
        "PostgreSQL search databases get VACUUM ANALYZE after seeding (as autovacuum would); SQLite gets no "
        "ANALYZE (nothing in the app runs it).",
        "Reports: the search's year of clinics at 50 sites with a history on every booked chair (bench/"
        "history_seed.py: attended 93 %, DNA 7 %, 12 % more chairs booked and cancelled, calls, collections, two "
        "labels and two messages each), settled as the scheduler's nightly job does (timed), then each report "
        "timed in a fresh session (service) and as the page through Flask's test client with a signed-in "
        "manager (view, SQL, SVG charts and tables; no network). The days since the last settled day (two) are "
        "counted live in every report, as in production.",
    ]
    if results["kiosk"].get("status") == "measured":
        found += kiosk_report.NOTES
    if not server_url:
        found.append(
            "PHLEBO_TEST_POSTGRES_URL was not set, so PostgreSQL was not run (use scripts/with-postgres.sh)."
        )
    if results["busy"]:
        found.append(
            f"The 1-minute load average was {results['load_before']:.1f} before and {results['load_after']:.1f} "
            f"after on {os.cpu_count()} cores: other work was running, so these figures understate the code."
        )
    return found


def _wait_for_quiet(limit_s: float = 90.0) -> None:
    """Give the 1-minute load average up to `limit_s` to settle below half the cores (it lags:
    a run just before, e.g. make test, still shows for a minute or so)."""
    deadline = time.monotonic() + limit_s
    while machine.load_average() > 0.5 * (os.cpu_count() or 1) and time.monotonic() < deadline:
        time.sleep(5)


def _hl7_rows(runs: list[dict[str, Any]]) -> list[report.Row]:
    """One connection and four: messages a second to a committed request, per database."""
    by_kind = {r.get("kind"): r for r in runs if r.get("status") == "measured"}

    def cell(kind: str, key: str) -> str:
        return str(by_kind[kind][key]) if kind in by_kind else "-"

    return [(label, cell("sqlite", key), cell("postgresql", key), target)
            for label, key, target in (("one connection", "one_connection_per_s", "200+/s on SQLite"),
                                       ("four connections", "four_connections_per_s", ""),
                                       ("CPU ms per message, one connection", "cpu_ms_per_message_one", ""),
                                       ("CPU ms per message, four connections", "cpu_ms_per_message_four", ""),
                                       ("load average before / after one / after four", "load_average", ""))]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the results."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    server_url = os.environ.get("PHLEBO_TEST_POSTGRES_URL")
    kinds = [k for k in (args.db or KINDS) if k == "sqlite" or server_url]
    WORKDIR.mkdir(parents=True, exist_ok=True)
    _wait_for_quiet()
    began, load_before = time.perf_counter(), machine.load_average()
    results: dict[str, Any] = {
        "quick": args.quick,
        "machine": machine.describe(server_url),
        "load_before": load_before,
        "server": server_config().label(),
    }
    if args.only in (None, "rush"):
        scale = QUICK_RUSH if args.quick else FULL_RUSH
        results["rush"] = [
            run_rush(
                k,
                scale=scale,
                config=server_config(),
                workdir=WORKDIR,
                server_url=server_url,
                profile=args.profile,
            )
            for k in kinds
        ]
    if args.only in (None, "search"):
        scale_s = QUICK_SEARCH if args.quick else FULL_SEARCH
        results["search"] = [
            run_search(
                k, scale=scale_s, workdir=WORKDIR, server_url=server_url, profile=args.profile
            )
            for k in kinds
        ]
    if args.only in (None, "reports"):
        scale_r = report_bench.QUICK if args.quick else report_bench.FULL
        results["reports"] = [
            report_bench.run_reports(k, scale=scale_r, workdir=WORKDIR, server_url=server_url) for k in kinds
        ]
    if args.only in (None, "kiosk"):
        try:
            results["kiosk"] = run_kiosk(
                quick=args.quick, workdir=WORKDIR, config=server_config(), profile=args.profile
            )
        except Exception:  # keep the other figures; the traceback says what to fix
            results["kiosk"] = {"status": "failed", "why": traceback.format_exc()[-3000:]}
    else:
        results["kiosk"] = {"status": "not run", "why": f"--only {args.only}"}
    if args.only in (None, "chair"):
        try:
            results["chair"] = run_chair(quick=args.quick, workdir=WORKDIR, config=server_config())
        except Exception:  # keep the other figures; the traceback says what to fix
            results["chair"] = {"status": "failed", "why": traceback.format_exc()[-3000:]}
    else:
        results["chair"] = {"status": "not run", "why": f"--only {args.only}"}
    if args.only in (None, "hl7"):
        try:
            results["hl7"] = [run_hl7(quick=args.quick, workdir=WORKDIR, kind=k, server_url=server_url)
                              for k in kinds]
        except Exception:  # keep the other figures; the traceback says what to fix
            results["hl7"] = [{"status": "failed", "why": traceback.format_exc()[-3000:]}]
    results["load_after"] = machine.load_average()
    results["seconds"] = round(time.perf_counter() - began, 1)
    results["busy"] = max(load_before, results["load_after"]) > 0.7 * (os.cpu_count() or 1)
    after, seconds = results["load_after"], results["seconds"]  # this run's, whatever is merged
    if args.only:  # the other parts' last figures stay in results.json and RESULTS.md
        results = report.merged_with_last(results, args.only)
    results["notes"] = notes(results, server_url)
    rush_title = f"Rush: {results['server']}"
    rush_rows = report.rush_rows(results.get("rush", []))
    search_rows = report.search_rows(results.get("search", []))
    reports_rows = report_bench.report_rows(results.get("reports", []))
    print(report.text_table(rush_rows, rush_title))
    print()
    print(report.text_table(search_rows, "Search"))
    print()
    print(report.text_table(reports_rows, "Reports"))
    for table in report.kiosk_tables(results["kiosk"], markdown=False):
        print()
        print(table)
    chair_title = "Chair: call next -> labels out (p50, p95)"
    chair_columns = ("p50", "p95", "")
    print()
    print(report.text_table(chair_rows(results["chair"]), chair_title, chair_columns))
    print()
    print("\n".join(report.verdicts(results) + report_bench.verdicts(results.get("reports", []))))
    print(f"\nload average {load_before:.2f} -> {after:.2f}; {seconds:.0f} s")
    markdown = report.markdown_document(
        results,
        report.markdown_table(rush_rows, rush_title),
        report.markdown_table(search_rows, "Search"),
        reports_md=report.markdown_table(reports_rows, "Reports"),
        report_verdicts=report_bench.verdicts(results.get("reports", [])),
    )
    markdown += ("\n\n## Labels at the chair\n\n" + CHAIR_NOTE + "\n\n"
                 + report.markdown_table(chair_rows(results["chair"]), chair_title, chair_columns)
                 + "\n")
    hl7_rows = _hl7_rows(results.get("hl7", []))
    print()
    print(report.text_table(hl7_rows, "HL7 orders in (messages/s)"))
    markdown += ("\n\n## HL7 orders in\n\n" + HL7_NOTE + "\n\n"
                 + report.markdown_table(hl7_rows, "HL7 orders in (messages/s)") + "\n")
    report.write(results, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
