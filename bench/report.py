"""The printed table, bench/results.json and bench/RESULTS.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import kiosk_report

HERE = Path(__file__).resolve().parent
TARGETS = {"sqlite": 150, "postgresql": 300}
Row = tuple[str, str, str, str]  # label, SQLite, PostgreSQL, target


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 1 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _by_kind(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["database"]: r for r in results}


def rush_rows(rush: list[dict[str, Any]]) -> list[Row]:
    """Rush figures, one row each, SQLite beside PostgreSQL."""
    by = _by_kind(rush)

    def row(label: str, get: Any, target: str = "") -> Row:
        cells = [_fmt(get(by[k])) if k in by else "not run" for k in ("sqlite", "postgresql")]
        return (label, cells[0], cells[1], target)

    f = lambda name: lambda r: r["figures"][name]  # noqa: E731
    return [
        row(
            "bookings/s (closed loop: N clients, no pauses)",
            lambda r: f"{_fmt(r['figures']['bookings_per_s'])} (N={r['clients']})",
            "150+ SQLite, 300+ PG",
        ),
        row(
            "bookings made / chairs",
            lambda r: f"{r['figures']['bookings']} / {r['seeded']['chairs']}",
        ),
        row(
            "booking POST p50 / p95 / p99 ms",
            lambda r: " / ".join(
                _fmt(r["figures"][k]) for k in ("book_p50_ms", "book_p95_ms", "book_p99_ms")
            ),
            "p99 < 200",
        ),
        row(
            "slots GET p50 / p99 ms",
            lambda r: " / ".join(
                _fmt(r["rush"]["latency"].get("slots", {}).get(k)) for k in ("p50_ms", "p99_ms")
            ),
        ),
        row(
            "paced (open loop): patients a second / booked",
            lambda r: f"{_fmt(r['figures'].get('paced_rate_per_s'))} / {_fmt(r['figures'].get('paced_booked'))}",
        ),
        row(
            "paced: booking POST p50 / p95 / p99 ms",
            lambda r: " / ".join(
                _fmt(r["figures"].get(k))
                for k in ("paced_book_p50_ms", "paced_book_p95_ms", "paced_book_p99_ms")
            ),
            "p99 < 200",
        ),
        row(
            "paced: arrival -> booked p50 / p99 ms",
            lambda r: " / ".join(
                _fmt(r["figures"].get(k)) for k in ("paced_journey_p50_ms", "paced_journey_p99_ms")
            ),
        ),
        row("409 conflicts", f("conflicts_409")),
        row(
            "errors (5xx, timeouts, resets): closed / paced",
            lambda r: f"{r['figures']['errors']} / {_fmt(r['figures'].get('paced_errors'))}",
            "0",
        ),
        row("overbooked slots", f("overbooked_slots"), "0"),
        row("slot.booked != real count", f("counter_mismatches"), "0"),
        row("201s minus rows (lost/phantom)", f("lost_or_phantom"), "0"),
        row("ceiling: GET /api/v1/sites req/s", f("http_ceiling_per_s")),
        row(
            "ceiling: GET /sites p50 / p99 ms",
            lambda r: " / ".join(
                _fmt(r["ceiling_http"]["latency"]["sites"][k]) for k in ("p50_ms", "p99_ms")
            ),
        ),
        row("ceiling by wrk (C client): GET /api/v1/sites req/s", lambda r: r["figures"].get("wrk_ceiling_per_s")),
        row("ceiling: 1-row commits/s", f("insert_ceiling_per_s")),
        row("bookings/s / HTTP ceiling", f("fraction_of_http_ceiling")),
        row("bookings/s / commit ceiling", f("fraction_of_insert_ceiling")),
        row(
            "CPU ms per booking: web / db / generator",
            lambda r: " / ".join(
                _fmt(r["figures"][k])
                for k in (
                    "web_cpu_ms_per_booking",
                    "db_cpu_ms_per_booking",
                    "generator_cpu_ms_per_booking",
                )
            ),
        ),
        row("bookings/s if web+db had all cores", f("cpu_bound_bookings_per_s")),
        # Figures added in session 5: a results.json from before has none ("-").
        row("requests per booking (list, book, 409s)", lambda r: r["figures"].get("requests_per_booking")),
        row("CPU ms (web + db) per GET /sites, in the ceiling run",
            lambda r: r["figures"].get("cpu_ms_per_sites_request")),
        row("a booking's CPU in GET /sites requests", lambda r: r["figures"].get("booking_in_sites_requests"),
            "< 3.3"),
        row("web worker peak RSS MiB (VmHWM)", f("worker_peak_mib"), "< 150"),
    ]


# The search queries bench/search.py times, and their row labels. Issue 19: the place page shows
# the nearest 10 places, so its search is bounded; the search over every site is still reported.
SEARCH_QUERIES = (
    ("nearest_first_free", "first free slot, nearest 10 sites (the place page)"),
    ("all_sites_first_free", "first free slot, every site (unbounded, as before issue 19)"),
    ("site_free_dates", "one site's free dates"),
)


def search_rows(search: list[dict[str, Any]]) -> list[Row]:
    """Search p50 / p95 per scale, SQLite beside PostgreSQL."""
    by = _by_kind(search)
    rows: list[Row] = []
    scales = next(iter(by.values()))["scales"] if by else []
    for query, label in SEARCH_QUERIES:
        if not any(query in scale for scale in scales):
            continue  # a results.json from before the query was measured
        for i, scale in enumerate(scales):
            cells = []
            for kind in ("sqlite", "postgresql"):
                got = by[kind]["scales"][i].get(query) if kind in by else None
                cells.append(f"{_fmt(got['p50_ms'])} / {_fmt(got['p95_ms'])}" if got else "not run")
            target = "p95 < 50" if scale["sites"] == 50 else ""
            rows.append(
                (
                    f"{label}: {scale['sites']} sites x {scale['days']} d ({scale['slots']:,} slots) ms p50/p95",
                    cells[0],
                    cells[1],
                    target,
                )
            )
    for i, scale in enumerate(scales):
        for name in scale.get("with_indexes", {}):
            for query in ("nearest_first_free", "site_free_dates"):
                cells = []
                for kind in ("sqlite", "postgresql"):
                    got = (
                        by[kind]["scales"][i].get("with_indexes", {}).get(name, {}).get(query)
                        if kind in by
                        else None
                    )
                    cells.append(f"{_fmt(got['p50_ms'])} / {_fmt(got['p95_ms'])}" if got else "-")
                rows.append(
                    (f"  + {name}: {query} ({scale['sites']} sites)", cells[0], cells[1], "")
                )
    return rows


DATABASES = ("SQLite", "PostgreSQL", "target")


def text_table(rows: list[Row], title: str, columns: tuple[str, str, str] = DATABASES) -> str:
    """A fixed-width table for the terminal."""
    head: Row = (title, *columns)
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [head, *rows]
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def markdown_table(rows: list[Row], title: str, columns: tuple[str, str, str] = DATABASES) -> str:
    """The same table in Markdown."""
    lines = [f"| {title} | {' | '.join(columns)} |", "|---|---:|---:|---|"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    return "\n".join(lines)


def merged_with_last(results: dict[str, Any], part: str, *, out_dir: Path = HERE) -> dict[str, Any]:
    """A run of one part (`--only`) merged into the last results.json: that part's figures
    replace the last ones, the other parts' stay as they were, and `runs` says when and under
    what load each part was measured alone. A quick run is not merged into a full one (nor the
    other way): it starts afresh."""
    path = out_dir / "results.json"
    last = json.loads(path.read_text()) if path.exists() else {}
    if not last or last.get("quick") != results["quick"]:
        return results
    merged = {**last, part: _by_database(last.get(part), results[part])}
    for name in ("kiosk", "chair"):  # run neither now nor last time: "not run", as this run says
        merged.setdefault(name, results[name])
    ran = results[part]
    named = {run.get("database", run.get("kind")) for run in ran} if isinstance(ran, list) else set()
    kinds = sorted(str(kind) for kind in named if kind)
    name = f"{part} ({', '.join(kinds)})" if kinds else part  # e.g. "reports (sqlite)"
    merged["runs"] = {**last.get("runs", {}), name: {
        "date": results["machine"]["date"], "cpu": results["machine"]["cpu"],
        "load_before": results["load_before"], "load_after": results["load_after"],
        "seconds": results["seconds"]}}
    return merged


def _by_database(last: Any, now: Any) -> Any:
    """A part's figures per database (a list of runs, each naming its database): those run now
    replace the last ones of the same database (`--db sqlite` keeps PostgreSQL's)."""
    if not isinstance(last, list) or not isinstance(now, list):
        return now

    def kind(run: dict[str, Any]) -> Any:
        return run.get("database", run.get("kind"))
    fresh = {kind(run) for run in now}
    return [run for run in last if kind(run) not in fresh] + now


def write(results: dict[str, Any], markdown: str, *, out_dir: Path = HERE) -> None:
    """Write results.json and RESULTS.md beside this package."""
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (out_dir / "RESULTS.md").write_text(markdown)


RATIO_TARGET = 0.30  # bookings/s over the same run's GET /api/v1/sites ceiling (issue 19)


def verdicts(results: dict[str, Any]) -> list[str]:
    """Where we stand against each target, one line each."""
    lines = []
    for r in results.get("rush", []):
        f, kind = r["figures"], r["database"]
        goal = TARGETS[kind]
        lines.append(
            f"{kind}: {f['bookings_per_s']} bookings/s vs {goal}+ ({'met' if f['bookings_per_s'] >= goal else 'MISSED'}); "
            f"p99 {f['book_p99_ms']} ms with {r['clients']} clients in a closed loop vs < 200 ({'met' if (f['book_p99_ms'] or 1e9) < 200 else 'MISSED'}); "
            + (
                f"p99 {f['paced_book_p99_ms']} ms with patients arriving at {f['paced_rate_per_s']:.0f}/s "
                f"({'met' if (f['paced_book_p99_ms'] or 1e9) < 200 else 'MISSED'}); "
                if f.get("paced_rate_per_s")
                else ""
            )
            + f"errors {f['errors']} ({'met' if f['errors'] == 0 else 'MISSED'}); overbooked {f['overbooked_slots']}, "
            f"counter mismatches {f['counter_mismatches']} ({'met' if f['overbooked_slots'] == f['counter_mismatches'] == 0 else 'MISSED'}); "
            f"worker peak {f['worker_peak_mib']} MiB vs < 150 ({'met' if f['worker_peak_mib'] < 150 else 'MISSED'})"
        )
        ratio = f.get("fraction_of_http_ceiling")
        if ratio is not None:  # issue 19: a ratio from one run, steadier than rates across machines
            lines.append(f"{kind}: bookings/s / GET /api/v1/sites ceiling {ratio} vs 0.30+ "
                         f"({'met' if ratio >= RATIO_TARGET else 'MISSED'})")
    for s in results.get("search", []):
        at50 = [x for x in s["scales"] if x["sites"] == 50]
        for x in at50:
            for q in ("nearest_first_free", "site_free_dates"):
                p95 = x[q]["p95_ms"]
                lines.append(
                    f"{s['database']}: {q} p95 {p95} ms at 50 sites vs < 50 ({'met' if p95 < 50 else 'MISSED'})"
                )
        by_sites = {x["sites"]: x for x in s["scales"]}
        if 50 in by_sites and 200 in by_sites:  # issue 19: search that does not grow with sites
            p50, p200 = (by_sites[n]["nearest_first_free"]["p95_ms"] for n in (50, 200))
            growth = p200 / p50 if p50 else float("inf")
            lines.append(
                f"{s['database']}: nearest_first_free (the place page's nearest 10) p95 at 200 sites / "
                f"at 50 sites x{growth:.1f} vs <= 2 ({'met' if growth <= 2 else 'MISSED'})"
            )
            if all("all_sites_first_free" in by_sites[n] for n in (50, 200)):
                a50, a200 = (by_sites[n]["all_sites_first_free"]["p95_ms"] for n in (50, 200))
                lines.append(  # no target: every site's first free slot is linear in the sites
                    f"{s['database']}: all_sites_first_free (every site, unbounded) p95 at 200 sites "
                    f"/ at 50 sites x{(a200 / a50 if a50 else float('inf')):.1f} (reported, no target)")
        if len(s["scales"]) >= 2:
            a, b = s["scales"][0], s["scales"][-1]
            for q in [q for q, _label in SEARCH_QUERIES if q in a and q in b]:
                growth = b[q]["p50_ms"] / a[q]["p50_ms"] if a[q]["p50_ms"] else None
                sites = b["sites"] / a["sites"]
                ok = growth is not None and growth <= sites * 1.2
                lines.append(
                    f"{s['database']}: {q} p50 grew x{growth:.1f} for x{sites:.0f} sites "
                    f"({'no worse than linear' if ok else 'WORSE than linear'})"
                )
    return lines + kiosk_report.verdicts(results.get("kiosk", {}))


def kiosk_tables(kiosk: dict[str, Any], *, markdown: bool) -> list[str]:
    """The kiosk's two tables, or a line saying why there are none."""
    if kiosk.get("status") != "measured":
        return [f"Kiosk: {kiosk.get('status', 'not run')}: {kiosk.get('why', '')}".rstrip(": ")]
    table = markdown_table if markdown else text_table
    return [
        kiosk_report.stage_caption(kiosk)
        + "\n\n"
        + table(kiosk_report.stage_rows(kiosk), kiosk_report.stage_title(kiosk),
                kiosk_report.STAGE_COLUMNS),
        table(kiosk_report.memory_rows(kiosk), kiosk_report.memory_title(kiosk),
              kiosk_report.MEMORY_COLUMNS),
    ]


def markdown_document(results: dict[str, Any], rush_md: str, search_md: str, *, reports_md: str = "",
                      report_verdicts: list[str] | None = None) -> str:
    """RESULTS.md: machine, tables, verdicts, notes, query plans."""
    m = results["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    parts = [
        "# Benchmark results",
        "",
        f"Generated by `python -m bench{' --quick' if results['quick'] else ''}` on {m['date']} "
        f"in {results['seconds']:.0f} s. Figures, not pass/fail.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory_gib']} GiB; {m['os']}",
        f"- Python {m['python']}, SQLite {m['sqlite']}, PostgreSQL {m['postgresql']}",
        f"- Packages: {packages}",
        f"- 1-minute load average: {results['load_before']:.2f} before, {results['load_after']:.2f} after"
        + (
            " — **the machine was busy with other work; figures are depressed**"
            if results["busy"]
            else ""
        ),
        *[f"- {part} measured alone (`--only`) on {run['date']} ({run['cpu']}) in {run['seconds']:.0f} s, "
          f"load average {run['load_before']:.2f} before, {run['load_after']:.2f} after; the other parts are "
          "from the run above" for part, run in results.get("runs", {}).items()],
        "",
        "## Rush and memory",
        "",
        rush_md,
        "",
        "## Search",
        "",
        search_md,
        "",
        "## Reports",
        "",
        reports_md,
        "",
        "## Against the targets",
        "",
        *[f"- {line}" for line in verdicts(results) + (report_verdicts or [])],
        "",
        "## Notes",
        "",
        *[f"- {note}" for note in results["notes"]],
        "",
    ]
    history = HERE / "HISTORY.md"  # hand-written: what the profiles showed, what was changed, before/after
    if history.exists():
        parts += [history.read_text().rstrip(), ""]
    for s in results.get("search", []):
        for x in s["scales"]:
            if x.get("plan"):
                parts += [
                    f"### Plan of the first-free-slot query ({s['database']}, {x['sites']} sites)",
                    "",
                    "```",
                    *x["plan"],
                    "```",
                    "",
                ]
    kiosk = results.get("kiosk", {})
    parts += ["## Kiosk: scan to label, and memory", ""]
    for table in kiosk_tables(kiosk, markdown=True):
        parts += [table, ""]
    return "\n".join(parts)
