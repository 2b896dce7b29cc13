"""Labels from the server's LabelJSON to label_printer, and the report the server expects."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from label_printer import LabelData, LabelPrinter, PrintOutcome, open_printer
from shared.errors import HardwareError

log = logging.getLogger(__name__)

PrinterFactory = Callable[[], LabelPrinter]


def label_data(label: dict[str, Any]) -> LabelData:
    """One LabelJSON object as label_printer.LabelData (raises HardwareError if malformed)."""
    try:
        sequence = label.get("sequence")
        return LabelData(
            family_name=str(label["family_name"]), given_name=str(label.get("given_name", "")),
            date_of_birth=dt.date.fromisoformat(str(label["date_of_birth"])),
            nhs_number=str(label.get("nhs_number") or ""),
            specimen_id=str(label["specimen_id"]), container=str(label["container"]),
            tests=tuple(str(t) for t in label.get("tests") or ()),
            site_name=str(label.get("site_name", "")),
            request_number=(None if label.get("request_number") is None
                            else str(label["request_number"])),
            reprint=bool(label.get("reprint", False)),
            sequence=(int(sequence[0]), int(sequence[1])) if sequence else None)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise HardwareError(f"The server sent a label the kiosk cannot print ({exc!r}).") from exc


@dataclass(frozen=True)
class PrintReport:
    """What happened, for the screen (`ok`) and for the server (`body`)."""

    ok: bool
    body: dict[str, Any]


def printer_factory(uri: str, *, timeout: float) -> PrinterFactory:
    """A function that opens the configured printer (so a bad address shows at print time)."""
    def factory() -> LabelPrinter:
        if not uri:
            raise HardwareError("No label printer is set up (PHLEBO_PRINTER).")
        return open_printer(uri, timeout=timeout)
    return factory


def print_labels(labels: Sequence[dict[str, Any]], factory: PrinterFactory) -> PrintReport:
    """Print every label in the order given; never raises for printer or label trouble."""
    ids = [str(label.get("specimen_id", "")) for label in labels]
    try:
        data = [label_data(label) for label in labels]
        outcome = factory().print_labels(data)
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


def _not_sent(ids: list[str], status: str, detail: str) -> PrintReport:
    body = {"results": [{"specimen_id": i, "outcome": "not_sent"} for i in ids],
            "printer_status": status, "detail": detail}
    return PrintReport(ok=False, body=body)
