"""Print the labels of a check-in, and the report the server expects."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from label_printer import (
    JobObserver,
    LabelData,
    LabelPrinter,
    LabelSize,
    PrintOutcome,
    open_printer,
)
from shared.errors import HardwareError

log = logging.getLogger(__name__)

PrinterFactory = Callable[[], LabelPrinter]


@dataclass(frozen=True)
class PrintReport:
    """What happened, for the screen (`ok`) and for the server (`body`)."""

    ok: bool
    body: dict[str, Any]


def printer_factory(uri: str, *, timeout: float,
                    size: LabelSize | None = None) -> PrinterFactory:
    """A function that opens the configured printer for labels of `size` (so a bad address or
    label size shows at print time)."""
    def factory() -> LabelPrinter:
        if not uri:
            raise HardwareError("No label printer is set up (PHLEBO_PRINTER).")
        return open_printer(uri, timeout=timeout, size=size)
    return factory


def print_labels(labels: Sequence[LabelData], factory: PrinterFactory, *,
                 observer: JobObserver | None = None) -> PrintReport:
    """Print every label in the order given (telling `observer` of each); never raises for
    printer or label trouble."""
    ids = [label.specimen_id for label in labels]
    try:
        outcome = factory().print_labels(labels, observer=observer)
    except HardwareError as exc:
        log.error("labels not printed: %s", exc.message)
        return _not_sent(ids, "fault", exc.message)
    except Exception as exc:  # a printer bug must not cost the patient their check-in
        log.exception("printing failed")
        return _not_sent(ids, "unknown", f"The kiosk could not print: {exc!r}")
    return report_for(outcome)


def report_for(outcome: PrintOutcome) -> PrintReport:
    """The server's print-job body for a PrintOutcome."""
    body = {"results": [{"specimen_id": r.label.specimen_id, "outcome": r.state}
                        for r in outcome.results],
            "printer_status": outcome.status.state, "detail": outcome.detail}
    return PrintReport(ok=bool(outcome.results) and outcome.all_confirmed, body=body)


def not_printed(ids: Sequence[str], detail: str) -> PrintReport:
    """The report for labels the kiosk could not even try to print."""
    return _not_sent(list(ids), "fault", detail)


def _not_sent(ids: list[str], status: str, detail: str) -> PrintReport:
    body = {"results": [{"specimen_id": i, "outcome": "not_sent"} for i in ids],
            "printer_status": status, "detail": detail}
    return PrintReport(ok=False, body=body)
