"""The print loop shared by stream printers: send a label, ask for status, stop on trouble."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from label_printer.escpos_render import Separator, job_bytes
from label_printer.layout import LabelData, layout_label
from label_printer.outcome import LabelResult, LabelState, PrintOutcome, summarise
from label_printer.status import (
    OFFLINE_CAUSE,
    PAPER_SENSOR,
    PRINTER_STATUS,
    PrinterStatus,
    interpret,
)


class TransportFailure(Exception):
    """The link to the printer failed; carries the status that failure implies."""

    def __init__(self, status: PrinterStatus):
        super().__init__(status.detail)
        self.status = status


class Transport(Protocol):
    """An open two-way link to one printer."""

    def send(self, data: bytes) -> None:
        """Send bytes; raise TransportFailure if the link fails."""

    def query(self, n: int) -> int | None:
        """Send DLE EOT n and return the reply byte, or None if none came in time."""

    def close(self) -> None:
        """Close the link (never raises)."""


Connect = Callable[[], Transport]  # raises TransportFailure when the printer cannot be reached


def read_status(transport: Transport) -> PrinterStatus:
    """Ask DLE EOT 1, 2 and 4; stop at the first silence (it would only cost more time)."""
    replies: dict[int, int | None] = {}
    for n in (PRINTER_STATUS, OFFLINE_CAUSE, PAPER_SENSOR):
        replies[n] = transport.query(n)
        if replies[n] is None:
            break
    return interpret(replies)


def check_status(connect: Connect) -> PrinterStatus:
    """Connect, read status, close."""
    try:
        transport = connect()
    except TransportFailure as failure:
        return failure.status
    try:
        return read_status(transport)
    except TransportFailure as failure:
        return failure.status
    finally:
        transport.close()


def run_job(connect: Connect, labels: Sequence[LabelData], *,
            separator: Separator = "cut") -> PrintOutcome:
    """Print `labels` in order, confirming each; nothing after the first unconfirmed label."""
    payloads = job_bytes(labels, separator=separator)  # bad data raises before anything is sent
    warnings = [layout_label(label).warnings for label in labels]
    states: list[LabelState] = ["not_sent"] * len(labels)
    try:
        transport = connect()
    except TransportFailure as failure:
        return _outcome(labels, states, warnings, failure.status)
    try:
        status = read_status(transport)  # a printer already in trouble gets nothing
        for i, payload in enumerate(payloads):
            if not status.ok:
                break
            states[i] = "unconfirmed"  # from the first byte sent until the printer says ok
            transport.send(payload)
            status = read_status(transport)
            if status.ok:
                states[i] = "confirmed"
    except TransportFailure as failure:
        status = failure.status
    finally:
        transport.close()
    return _outcome(labels, states, warnings, status)


def _outcome(labels: Sequence[LabelData], states: list[LabelState],
             warnings: list[tuple[str, ...]], status: PrinterStatus) -> PrintOutcome:
    results = [LabelResult(label, state, w) for label, state, w in zip(labels, states, warnings,
                                                                         strict=True)]
    return PrintOutcome(tuple(results), status, summarise(results, status))
