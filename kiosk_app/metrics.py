"""The kiosk's own Prometheus metrics, served on a port of this machine (127.0.0.1:9101 by
default, PHLEBO_KIOSK_METRICS): the label printer's state as last seen, when a label last
printed, labels printed and not, and print reports still waiting for the server.

Read at scrape time from one small state object (no prometheus_client metric objects, so no
global registry and nothing shared with the web site's multiprocess mode)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

PRINTER_STATES = ("ok", "fault", "unknown")


@dataclass
class KioskMetrics:
    """What the kiosk has seen of its printer; updated after each print (thread-safe)."""

    clock: Callable[[], float] = time.time
    printer_state: str = "unknown"  # before the first print nothing is known
    printer_seen_at: float | None = None
    last_print_ok_at: float | None = None
    labels_printed: int = 0
    labels_not_printed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_print(self, body: dict[str, Any]) -> None:
        """Take in a print report (the body sent to the server)."""
        results = body.get("results") or []
        confirmed = sum(r.get("outcome") == "confirmed" for r in results)
        state = str(body.get("printer_status", "unknown"))
        with self._lock:
            now = self.clock()
            self.printer_state = state if state in PRINTER_STATES else "unknown"
            self.printer_seen_at = now
            self.labels_printed += confirmed
            self.labels_not_printed += len(results) - confirmed
            if results and confirmed == len(results):
                self.last_print_ok_at = now

    def snapshot(self) -> dict[str, Any]:
        """The figures as they are now."""
        with self._lock:
            return {k: getattr(self, k) for k in (
                "printer_state", "printer_seen_at", "last_print_ok_at", "labels_printed",
                "labels_not_printed")}


class KioskCollector(Collector):
    """The kiosk's figures for one scrape; `queued` counts reports waiting for the server."""

    def __init__(self, metrics: KioskMetrics, queued: Callable[[], int]):
        self.metrics = metrics
        self.queued = queued

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        """Read the figures now."""
        now = self.metrics.snapshot()
        state = GaugeMetricFamily("phlebo_kiosk_printer_state",
                                  "The label printer's state when last seen (1 for the state)",
                                  labels=["state"])
        for name in PRINTER_STATES:
            state.add_metric([name], 1 if now["printer_state"] == name else 0)
        yield state
        if now["printer_seen_at"] is not None:
            seen = GaugeMetricFamily("phlebo_kiosk_printer_seen_timestamp_seconds",
                                     "When the printer's state was last seen (Unix time)")
            seen.add_metric([], now["printer_seen_at"])
            yield seen
        if now["last_print_ok_at"] is not None:
            ok = GaugeMetricFamily("phlebo_kiosk_last_successful_print_timestamp_seconds",
                                   "When every label of a check-in last printed (Unix time)")
            ok.add_metric([], now["last_print_ok_at"])
            yield ok
        printed = CounterMetricFamily("phlebo_kiosk_labels_printed",
                                      "Labels the printer confirmed")
        printed.add_metric([], now["labels_printed"])
        yield printed
        failed = CounterMetricFamily("phlebo_kiosk_labels_not_printed",
                                     "Labels sent and not confirmed, or never sent")
        failed.add_metric([], now["labels_not_printed"])
        yield failed
        queued = GaugeMetricFamily("phlebo_kiosk_print_reports_queued",
                                   "Print reports waiting to reach the server")
        queued.add_metric([], self.queued())
        yield queued


def parse_address(raw: str) -> tuple[str, int] | None:
    """'127.0.0.1:9101' as (host, port); '' or 'off' as None. Raises ValueError."""
    text = raw.strip()
    if text.lower() in ("", "off", "no", "0"):
        return None
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"PHLEBO_KIOSK_METRICS must be host:port (e.g. 127.0.0.1:9101) or off, "
                         f"not {raw!r}")
    return host.strip("[]"), int(port)


def serve_metrics(address: tuple[str, int], metrics: KioskMetrics,
                  queued: Callable[[], int]) -> Any:
    """Serve /metrics on `address` from a daemon thread; returns the server (.shutdown())."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(KioskCollector(metrics, queued))
    server, _thread = start_http_server(address[1], addr=address[0], registry=registry)
    return server
