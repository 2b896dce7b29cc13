"""Bootstrap: build config, API client, printer, controller and window; run the event loop."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from kiosk_app.config import KioskConfig
from kiosk_app.controller import KioskController
from kiosk_app.effects import Services, build_services, report_unfinished
from kiosk_app.flow import ScanReceived
from kiosk_app.keyboard import InputFilter
from kiosk_app.metrics import serve_metrics
from kiosk_app.scan import ScanDetector
from kiosk_app.window import KioskWindow
from kiosk_app.workers import Background

log = logging.getLogger(__name__)
OUTBOX_FLUSH_MS = 60_000


@dataclass
class Kiosk:
    """Everything one running kiosk is made of (tests reach in through this)."""

    config: KioskConfig
    services: Services
    background: Background
    controller: KioskController
    window: KioskWindow
    input_filter: InputFilter
    timers: list[QTimer]

    def close(self) -> None:
        """Stop timers, wait for workers, close the window and the HTTP client."""
        for timer in self.timers:
            timer.stop()
        self.controller.idle_timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.input_filter)
        self.background.wait()
        self.window.shut_down()
        self.services.api.close()


def bootstrap(config: KioskConfig, *, services: Services | None = None) -> Kiosk:
    """Build a kiosk on the running QApplication (create one first); the window is not shown."""
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("Create a QApplication before bootstrap()")
    services = services or build_services(config)
    background = Background()
    controller = KioskController(services, background, idle_seconds=config.idle_seconds)
    window = KioskWindow(controller, kiosk_mode=not config.dev)
    detector = ScanDetector(max_gap_ms=config.scan_max_gap_ms, min_length=config.scan_min_length)
    input_filter = InputFilter(detector, on_scan=lambda t: controller.dispatch(ScanReceived(t)),
                               on_activity=controller.user_activity, kiosk_mode=not config.dev)
    app.installEventFilter(input_filter)

    def flush() -> None:
        if services.api.pending_reports():
            background.run(services.api.flush_outbox, on_success=lambda n: None,
                           on_failure=lambda exc: log.warning("outbox flush failed: %r", exc))

    timers = [_every(window, OUTBOX_FLUSH_MS, flush)]
    # A job the kiosk was printing when it stopped is reported first (from the print journal),
    # then reports left in the outbox; the patient-facing flow does not wait for either.
    background.run(lambda: report_unfinished(services), on_success=lambda n: flush(),
                   on_failure=lambda exc: log.error("print journal not reported: %r", exc))
    return Kiosk(config, services, background, controller, window, input_filter, timers)


def _every(parent: QObject, msecs: int, fn: Callable[[], object]) -> QTimer:
    timer = QTimer(parent)
    timer.setInterval(msecs)
    timer.timeout.connect(fn)
    timer.start()
    return timer


def run(config: KioskConfig | None = None) -> int:
    """`phlebo kiosk`: open the kiosk window and run until the app is stopped."""
    # Qt's loop never hands Ctrl+C to Python: let it end the process as usual.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    config = config or KioskConfig.from_env()
    kiosk = bootstrap(config)
    server = None
    if config.metrics_address:
        try:
            server = serve_metrics(config.metrics_address, kiosk.services.metrics,
                                   kiosk.services.api.pending_reports)
        except OSError as exc:  # the port is taken: check-in matters more than metrics
            log.error("kiosk metrics not served on %s:%s: %s", *config.metrics_address, exc)
    kiosk.window.show_kiosk()
    try:
        return int(app.exec())
    finally:
        kiosk.close()
        if server is not None:
            server.shutdown()
