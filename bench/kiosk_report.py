"""The kiosk's tables (scan to label; memory), verdicts and notes for the printed table,
results.json and RESULTS.md."""

from __future__ import annotations

from typing import Any

from bench.kiosk import FLAT_MIB, MEMORY_TARGET_MIB, SOFTWARE_P95_TARGET_MS

Row = tuple[str, str, str, str]
STAGE_COLUMNS = ("p50 ms", "p95 ms", "target")
MEMORY_COLUMNS = ("VmRSS MiB", "VmHWM MiB", "target")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _pair(summary: dict[str, Any]) -> tuple[str, str]:
    return _ms(summary["p50_ms"]), _ms(summary["p95_ms"])


def _with_raster(total: dict[str, Any], raster: dict[str, Any], key: str) -> str:
    return f"{_ms(total[key])} ({_ms(raster[key])})"


def stage_title(kiosk: dict[str, Any]) -> str:
    """The scan-to-label table's title."""
    return f"Kiosk: scan to label, {kiosk['stages']['checkins']} check-ins"


def stage_caption(kiosk: dict[str, Any]) -> str:
    """What each check-in was, and against what."""
    s = kiosk["stages"]
    return (
        f"Each a QR scan for a request of {', '.join(kiosk['tests'])}: "
        f"{'/'.join(map(str, s['labels_per_checkin']))} labels printed, "
        f"{', '.join(s['hand_label']) or 'nothing'} to hand-label; SQLite, gunicorn "
        f"{kiosk['server']}, simulated printer over TCP; after {kiosk['scale']['warmup']} "
        "warm-up check-ins."
    )


def stage_rows(kiosk: dict[str, Any]) -> list[Row]:
    """One row per stage as shipped, the software total, the same without TCP_NODELAY (as before
    that fix), the printer's mechanical time and the same check-ins through the real window."""
    s, slow, window = kiosk["stages"], kiosk["stages_nagle"], kiosk["memory"]["window"]
    st = s["stages"]
    target = f"p95 < {SOFTWARE_P95_TARGET_MS}"
    per_label = s["label_bytes_per_label"], s["raster_per_label"]
    mech = s["printer_mechanical_ms"]
    return [
        ("scan detected -> identify sent (detector + flow)", *_pair(st["scan_to_identify"]), ""),
        ("identify answered (HTTP + server)", *_pair(st["identify"]), ""),
        ("check-in answered (flow + HTTP + server)", *_pair(st["checkin"]), ""),
        ("labels rendered (layout, raster, ESC/POS)", *_pair(st["render"]), ""),
        (
            "  per label: ESC/POS bytes (of which raster)",
            _with_raster(*per_label, "p50_ms"),
            _with_raster(*per_label, "p95_ms"),
            "",
        ),
        ("printer took bytes + status ok (TCP, all labels)", *_pair(st["printer"]), ""),
        ("  of which the simulator's own PNG/JSON work", *_pair(st["simulator"]), ""),
        ("print report acknowledged", *_pair(st["report"]), ""),
        ("SOFTWARE: scan -> 'labels printed' (simulator off)", *_pair(st["software"]), target),
        ("  first check-in of a fresh process (cold)", _ms(s["first_checkin_total_ms"]), "", ""),
        ("before the fix (no TCP_NODELAY): printer stage", *_pair(slow["stages"]["printer"]), ""),
        ("before the fix (no TCP_NODELAY): SOFTWARE", *_pair(slow["stages"]["software"]), target),
        *_zpl_rows(kiosk, target),
        (
            "printer mechanics: 1 label / all labels (25 mm, 150 mm/s)",
            _ms(mech["per_label"]),
            _ms(mech["per_checkin"]),
            "",
        ),
        ("real window, offscreen: identify wait", *_pair(window["identify"]), ""),
        ("real window: Yes -> 'labels printed'", *_pair(window["checkin_to_printed"]), ""),
        ("real window: SOFTWARE (simulator off)", *_pair(window["software"]), target),
        (
            f"real window: scans misread, of {kiosk['memory']['checkins']}",
            str(len(kiosk["memory"]["misreads"])),
            "",
            "0",
        ),
    ]


def _zpl_rows(kiosk: dict[str, Any], target: str) -> list[Row]:
    """The same check-ins to a ZPL printer (zpl+tcp://): the printer draws text and barcode, so
    ours only lays out and formats; the printer stage polls ~HS until each label is out."""
    z = kiosk.get("stages_zpl")
    if not z:
        return []
    st = z["stages"]
    return [
        ("ZPL: labels formatted (layout, ^XA..^XZ)", *_pair(st["render"]), ""),
        ("ZPL: printer took the format + ~HS ready (all labels)", *_pair(st["printer"]), ""),
        ("ZPL:   of which the simulator drawing the labels", *_pair(st["simulator"]), ""),
        ("ZPL: SOFTWARE: scan -> 'labels printed' (simulator off)", *_pair(st["software"]),
         target),
    ]


def memory_title(kiosk: dict[str, Any]) -> str:
    """What the memory table measured."""
    m = kiosk["memory"]
    return f"Kiosk memory: real window (offscreen), {m['checkins']} check-ins in a row"


def memory_rows(kiosk: dict[str, Any]) -> list[Row]:
    """RSS and peak after bootstrap and after each sampled check-in; peak; growth."""
    m = kiosk["memory"]
    rows: list[Row] = []
    for sample in m["samples"]:
        n = sample["after"]
        label = "after bootstrap" if n == 0 else f"after {n} check-in{'s' if n > 1 else ''}"
        rows.append(
            (
                f"{label} ({sample['objects']:,} Python objects)",
                _ms(sample["rss_mib"]),
                _ms(sample["hwm_mib"]),
                "",
            )
        )
    rows.append(("peak (VmHWM)", "", _ms(m["peak_mib"]), f"< {MEMORY_TARGET_MIB}"))
    rows.append(
        (
            f"growth after check-in {m['growth_from']}",
            _ms(m["growth_after_warmup_mib"]),
            "",
            f"< {FLAT_MIB} (flat)",
        )
    )
    return rows


def verdicts(kiosk: dict[str, Any]) -> list[str]:
    """Where the kiosk stands against its targets."""
    if kiosk.get("status") != "measured":
        return []
    s, slow, m = kiosk["stages"], kiosk["stages_nagle"], kiosk["memory"]
    mech = s["printer_mechanical_ms"]
    p95 = s["stages"]["software"]["p95_ms"]
    slow95 = slow["stages"]["software"]["p95_ms"]
    window95 = m["window"]["software"]["p95_ms"]

    def met(ok: bool) -> str:
        return "met" if ok else "MISSED"

    goal = SOFTWARE_P95_TARGET_MS
    lines = [
        f"kiosk: software p95 {p95} ms vs < {goal} ({met(p95 < goal)}) and vs one label's print "
        f"time {mech['per_label']} ms ({met(p95 < mech['per_label'])}); the printer needs "
        f"{mech['per_checkin']} ms for the labels",
        f"kiosk before the TCP_NODELAY fix (Nagle on the printer socket): software p95 {slow95} ms "
        f"({met(slow95 < goal)})",
        f"kiosk real window: software p95 {window95} ms ({met(window95 < goal)})",
        f"kiosk memory: peak {m['peak_mib']} MiB vs < {MEMORY_TARGET_MIB} "
        f"({met(m['peak_mib'] < MEMORY_TARGET_MIB)}); {m['growth_after_warmup_mib']} MiB growth "
        f"from check-in {m['growth_from']} to {m['checkins']} ({'flat' if m['flat'] else 'GROWS'})",
    ]
    if m["misreads"]:
        lines.append(
            f"kiosk: {len(m['misreads'])} of {m['checkins']} scans were misread (the scan detector "
            "saw more than 50 ms between key presses and kept only the tail); rescanned"
        )
    if kiosk.get("crashes"):
        lines.append(f"kiosk: a driver process crashed and was run again: {kiosk['crashes']}")
    if s["failures"] or slow["failures"]:
        lines.append(
            f"kiosk: {len(s['failures']) + len(slow['failures'])} check-ins failed: "
            f"{(s['failures'] + slow['failures'])[:3]}"
        )
    return lines


NOTES = [
    "Kiosk 'software' = from the scanner's Enter reaching the kiosk's scan detector to the flow "
    "showing 'labels printed': kiosk code (flow, effects, API client, label layout, raster and "
    "ESC/POS), "
    "the identify, check-in and print-report round trips to gunicorn with the server's work and "
    "SQLite commits, and the TCP transfer to the printer with its status replies. It excludes the "
    "patient's time (date of birth, tapping Yes: zero in the bench) and the printer's mechanics; "
    "the simulator's own PNG/JSON writing per label (measured in its process) is taken off, as a "
    "real printer answers DLE EOT at once.",
    "Kiosk: everything on one machine over loopback; a kiosk on the clinic network adds about 3 "
    "network round trips (identify, check-in, print report). The server ran with "
    "PHLEBO_LOOKUP_LIMIT_PER_MINUTE=100000 (the per-key limit of 60 a minute would refuse a "
    "check-in every few hundred ms; the limit is still checked and written) and "
    "PHLEBO_CHECKIN_EARLY_MINUTES=120 (one clinic starting within the hour holds every patient); "
    "it cannot run after about 22:15 London time (the clinic must end the same day).",
    "Kiosk stages: kiosk_app's Qt-free flow run inline as headless.py does, timed by wrappers "
    "around KioskApi, the opened LabelPrinter and label_printer's encode_labels, label_bytes and "
    "render_label. "
    "The 'real window' rows and the memory come from kiosk_app.app.bootstrap offscreen in its own "
    "process (virtual scanner at 1 ms a key, keypad taps, 100 ms between patients), timed from "
    "the controller's state changes; memory is read before a gc.collect(), objects counted after.",
    "Kiosk 'before the fix' rows: the same check-ins with TCP_NODELAY turned back off on the printer "
    "socket by the bench driver (label_printer/backends/tcp.py sets it), so the fix's effect is "
    "measured on every run.",
]
