"""Part 3 driver, in its own process: QR check-ins through kiosk_app's own Qt-free path (the
ScanDetector, flow.transition and effects.execute, run inline as headless.py runs them), against
the real server and the simulated printer over TCP, with a timestamp at each stage.

The timestamps come from thin wrappers, so the code timed is the kiosk's own: a KioskApi
subclass around identify/checkin/report_print, a proxy around the LabelPrinter the kiosk's
printer factory opens, and label_printer's encode_labels/label_bytes/render_label wrapped in place.
The patient's own time (typing the date of birth, tapping Yes) is zero here.

`python -m bench.kiosk_stages '<json config>'` prints one JSON line."""

from __future__ import annotations

import datetime as dt
import json
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import label_printer.backends.job as job_module
import label_printer.languages.escpos as escpos_render
from kiosk_app.api_client import KioskApi
from kiosk_app.config import KioskConfig
from kiosk_app.effects import Services, execute
from kiosk_app.flow import (
    ConfirmYes,
    DobDone,
    Event,
    Labels,
    ScanReceived,
    Screen,
    State,
    transition,
)
from kiosk_app.models import CheckinResult, Identity
from kiosk_app.printing import printer_factory
from kiosk_app.scan import ScanDetector
from label_printer import LabelData, LabelPrinter, PrinterStatus, PrintOutcome
from label_printer.backends.tcp import TcpTransport

now = time.perf_counter
Marks = dict[str, float]


class TimedApi(KioskApi):
    """The kiosk's API client, marking when each call starts and returns."""

    def __init__(self, *args: Any, marks: Marks, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.marks = marks

    def identify(self, **kwargs: Any) -> Identity:
        """KioskApi.identify, timed."""
        self.marks["identify_sent"] = now()
        try:
            return super().identify(**kwargs)
        finally:
            self.marks["identified"] = now()

    def checkin(self, **kwargs: Any) -> CheckinResult:
        """KioskApi.checkin, timed."""
        self.marks["checkin_sent"] = now()
        try:
            return super().checkin(**kwargs)
        finally:
            self.marks["checked_in"] = now()

    def report_print(self, job_id: int, report: dict[str, Any]) -> str | None:
        """KioskApi.report_print, timed."""
        self.marks["report_sent"] = now()
        try:
            return super().report_print(job_id, report)
        finally:
            self.marks["reported"] = now()


class TimedPrinter:
    """The LabelPrinter the kiosk opened, marking when print_labels returns (all confirmed)."""

    def __init__(self, inner: LabelPrinter, marks: Marks):
        self._inner, self._marks = inner, marks

    def status(self) -> PrinterStatus:
        """The printer's status."""
        return self._inner.status()

    def print_labels(self, labels: Sequence[LabelData], **options: Any) -> PrintOutcome:
        """Print, then mark."""
        outcome = self._inner.print_labels(labels, **options)
        self._marks["printed"] = now()
        return outcome


def _wrap_rendering(marks: Marks, per_label: list[float], raster: list[float]) -> None:
    """Time label_printer's rendering where the print loop looks it up (module globals)."""
    encode_labels, label_bytes, render_label = (
        job_module.encode_labels,
        escpos_render.label_bytes,
        escpos_render.render_label,
    )

    def timed_encode_labels(language: Any, labels: Sequence[LabelData]) -> list[bytes]:
        out = encode_labels(language, labels)
        marks["rendered"] = now()
        return out

    def timed_label_bytes(label: LabelData, **kwargs: Any) -> bytes:
        began = now()
        out = label_bytes(label, **kwargs)
        per_label.append(now() - began)
        return out

    def timed_render_label(data: LabelData, **kwargs: int) -> Any:
        began = now()
        out = render_label(data, **kwargs)
        raster.append(now() - began)
        return out

    job_module.encode_labels = timed_encode_labels  # type: ignore[assignment]
    escpos_render.label_bytes = timed_label_bytes  # type: ignore[assignment]
    escpos_render.render_label = timed_render_label  # type: ignore[assignment]


def _tcp_nagle() -> None:
    """Undo the shipped fix, to measure what it gains: TCP_NODELAY off on the kiosk's printer
    socket. Then the 3-byte status query sent right after a label's bytes waits for the
    printer's delayed ACK (about 33 ms a label on loopback, measured before the fix)."""
    connect = TcpTransport.connect.__func__  # type: ignore[attr-defined]

    def connect_nagle(cls: type[TcpTransport], *args: Any, **kwargs: Any) -> TcpTransport:
        transport = connect(cls, *args, **kwargs)
        transport._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
        return transport

    TcpTransport.connect = classmethod(connect_nagle)  # type: ignore[method-assign, assignment]


def check_in(
    services: Services, detector: ScanDetector, qr: str, dob: dt.date, marks: Marks
) -> State:
    """One patient: the scanner's keys, then the flow run inline until nothing is left to do."""
    for char in qr:
        detector.char(char)  # the scanner's own typing time is not the kiosk's
    marks["scan"] = now()
    text = detector.enter()
    state = State()
    events: list[Event] = [ScanReceived(text or ""), DobDone(dob)]
    today = dt.date.today()
    while events:
        step = transition(state, events.pop(0), today=today)
        state = step.state
        events.extend(execute(command, services) for command in step.commands)
        if state.screen == Screen.CONFIRM and state.identity is not None:
            events.append(ConfirmYes())  # the patient taps Yes at once
    marks["done"] = now()
    return state


STAGES = (  # (name, from mark, to mark)
    ("scan_to_identify", "scan", "identify_sent"),
    ("identify", "identify_sent", "identified"),
    ("checkin", "identified", "checked_in"),
    ("render", "checked_in", "rendered"),
    ("printer", "rendered", "printed"),
    ("report", "printed", "done"),
    ("total", "scan", "done"),
    ("identify_http", "identify_sent", "identified"),
    ("checkin_http", "checkin_sent", "checked_in"),
    ("report_http", "report_sent", "reported"),
)


def run(config: dict[str, Any], profiler: Any = None) -> dict[str, Any]:
    """Check every patient in; per check-in stage times (seconds) and per-label render times."""
    kiosk = KioskConfig(
        server_url=config["server_url"],
        kiosk_key=config["kiosk_key"],
        printer_uri=config["printer_uri"],
        outbox_path=Path(config["outbox_path"]),
    )
    marks: Marks = {}
    api = TimedApi(
        kiosk.server_url,
        kiosk.kiosk_key,
        timeout=kiosk.http_timeout,
        checkin_tries=kiosk.checkin_tries,
        outbox_path=kiosk.outbox_path,
        marks=marks,
    )
    opener = printer_factory(kiosk.printer_uri, timeout=kiosk.printer_timeout)
    services = Services(api=api, printer=lambda: TimedPrinter(opener(), marks))
    per_label: list[float] = []
    raster: list[float] = []
    _wrap_rendering(marks, per_label, raster)
    if config.get("tcp_nagle"):
        _tcp_nagle()
    detector = ScanDetector(max_gap_ms=kiosk.scan_max_gap_ms, min_length=kiosk.scan_min_length)
    checkins: list[dict[str, Any]] = []
    failures: list[str] = []
    try:
        for n, patient in enumerate(config["patients"]):
            if n == config["warmup"]:
                per_label.clear()
                raster.clear()
                if profiler is not None:
                    profiler.start()  # steady state only
            marks.clear()
            state = check_in(
                services,
                detector,
                patient["qr"],
                dt.date.fromisoformat(patient["date_of_birth"]),
                marks,
            )
            if state.screen != Screen.RESULT or state.labels != Labels.PRINTED:
                code = state.problem.code if state.problem else state.screen.value
                failures.append(f"{patient['reference']}: {code} {state.error}".strip())
                continue
            checkin = state.checkin
            assert checkin is not None
            checkins.append(
                {
                    "warmup": n < config["warmup"],
                    "labels": len(checkin.labels),
                    "hand_label": list(checkin.hand_label),
                    **{name: marks[b] - marks[a] for name, a, b in STAGES},
                }
            )
    finally:
        if profiler is not None and profiler.is_running:
            profiler.stop()
        api.close()
    return {
        "checkins": checkins,
        "failures": failures,
        "label_bytes_s": per_label,
        "render_label_s": raster,
    }


def main(argv: list[str]) -> int:
    """Run, optionally under pyinstrument (steady-state check-ins only), print JSON."""
    config = json.loads(argv[0])
    profile_path = config.get("profile_path")
    if not profile_path:
        print(json.dumps(run(config)))
        return 0
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    result = run(config, profiler=profiler)
    Path(profile_path).write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
