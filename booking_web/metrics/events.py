"""Counters of what happened in this process: requests, bookings, check-ins, labels.

Services call the small functions below at the one place where the thing has happened (after
the commit). Under gunicorn every worker keeps its own counts in PROMETHEUS_MULTIPROC_DIR and a
scrape adds them up (exposition.py), so each event is counted once whichever worker served it.

Nothing is built at import time: the metrics are made on first use (create_app makes them, so
every series shows from the first scrape, at 0). To add one (e.g. HL7 v2 or FHIR messages when
those interfaces exist: `phlebo_interface_messages_total{protocol, direction, outcome}`), add a
field to _Metrics, build it in _build() with every label value listed, and give it a function
here that the interface calls once per message."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from prometheus_client import Counter, Histogram, disable_created_metrics

BookingEvent = Literal["made", "changed", "cancelled"]
BOOKING_EVENTS: tuple[BookingEvent, ...] = ("made", "changed", "cancelled")
LabelSource = Literal["kiosk", "staff", "chair", "desk"]
LABEL_SOURCES: tuple[LabelSource, ...] = ("kiosk", "staff", "chair", "desk")

# Seconds: most pages answer in a few ms; the slowest (letters, PDFs) in a few hundred.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class _Metrics:
    requests: Counter
    latency: Histogram
    bookings: Counter
    checkins: Counter
    labels_printed: Counter
    labels_failed: Counter
    reprints: Counter


_lock = threading.Lock()
_built: _Metrics | None = None


def _build() -> _Metrics:
    disable_created_metrics()  # *_created series: noise for counters that start with the process
    bookings = Counter("phlebo_bookings", "Bookings made, changed or cancelled", ["event"])
    for event in BOOKING_EVENTS:
        bookings.labels(event=event)
    printed = Counter("phlebo_labels_printed", "Tube labels the printer confirmed", ["source"])
    failed = Counter("phlebo_labels_failed",
                     "Tube labels sent for printing and not confirmed (each attempt)", ["source"])
    for source in LABEL_SOURCES:
        printed.labels(source=source)
        failed.labels(source=source)
    return _Metrics(
        requests=Counter("phlebo_http_requests", "HTTP requests answered, by route and status",
                         ["method", "route", "status"]),
        latency=Histogram("phlebo_http_request_duration_seconds",
                          "Time to answer an HTTP request, by route", ["method", "route"],
                          buckets=LATENCY_BUCKETS),
        bookings=bookings,
        checkins=Counter("phlebo_checkins", "Patients checked in (kiosk)"),
        labels_printed=printed,
        labels_failed=failed,
        reprints=Counter("phlebo_label_reprints", "Labels reprinted by staff (audited)"),
    )


def metrics() -> _Metrics:
    """This process's metrics, made on first use."""
    global _built
    if _built is None:
        with _lock:
            if _built is None:
                _built = _build()
    return _built


def request_answered(*, method: str, route: str, status: int, seconds: float) -> None:
    """One HTTP request answered. `route` is the URL rule (e.g. /manage/<ref>), never the path,
    so no reference or other value from the address becomes a label."""
    m = metrics()
    m.requests.labels(method=method, route=route, status=str(status)).inc()
    m.latency.labels(method=method, route=route).observe(seconds)


def booking_event(event: BookingEvent) -> None:
    """A booking was made, changed (moved) or cancelled."""
    metrics().bookings.labels(event=event).inc()


def checked_in() -> None:
    """A patient was checked in."""
    metrics().checkins.inc()


def labels_reported(*, source: LabelSource, printed: int, failed: int) -> None:
    """The printer confirmed `printed` labels and did not confirm `failed` ones."""
    m = metrics()
    if printed:
        m.labels_printed.labels(source=source).inc(printed)
    if failed:
        m.labels_failed.labels(source=source).inc(failed)


def label_reprinted() -> None:
    """Staff reprinted a label."""
    metrics().reprints.inc()
