"""The print loop shared by every printer: send a label, ask for status, stop on trouble.

It knows neither the printer's language (a Language encodes labels and reads status) nor how
bytes travel (a Transport moves them), so ESC/POS and ZPL, TCP, USB, a file or the simulator
all print, confirm and stop the same way."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from label_printer.languages.base import Language
from label_printer.layout import LabelData, layout_label
from label_printer.outcome import LabelResult, LabelState, PrintOutcome, summarise
from label_printer.status import PrinterStatus
from label_printer.transport import Connect, Transport, TransportFailure


class JobObserver(Protocol):
    """Told about each label as it goes, so a caller can keep a record that survives a crash
    (the kiosk's journal on disk, the print worker's per-label outcome in the database): it
    may write before the bytes leave."""

    def sending(self, label: LabelData) -> None:
        """The label's first byte is about to be sent (it may be on paper from now on)."""

    def settled(self, label: LabelData, state: LabelState) -> None:
        """A label that was sent is now confirmed, or stays unconfirmed."""


def read_status(transport: Transport, language: Language) -> PrinterStatus:
    """The link's own status if it has one (a spool file), else the printer's answer."""
    return transport.local_status() or language.read_status(transport)


def check_status(connect: Connect, language: Language) -> PrinterStatus:
    """Connect, read status, close."""
    try:
        transport = connect()
    except TransportFailure as failure:
        return failure.status
    try:
        return read_status(transport, language)
    except TransportFailure as failure:
        return failure.status
    finally:
        transport.close()


def encode_labels(language: Language, labels: Sequence[LabelData]) -> list[bytes]:
    """Every label's bytes, before anything is sent (bad data raises here, not mid-job)."""
    return [language.encode(label) for label in labels]


def run_job(connect: Connect, language: Language, labels: Sequence[LabelData], *,
            observer: JobObserver | None = None) -> PrintOutcome:
    """Print `labels` in order, confirming each; nothing after the first unconfirmed label.
    `observer` hears of each label just before its bytes go and once it is settled."""
    payloads = encode_labels(language, labels)
    warnings = [layout_label(label, size=language.size).warnings for label in labels]
    states: list[LabelState] = ["not_sent"] * len(labels)
    try:
        transport = connect()
    except TransportFailure as failure:
        return _outcome(labels, states, warnings, failure.status)
    try:
        status = read_status(transport, language)  # a printer already in trouble gets nothing
        for i, payload in enumerate(payloads):
            if not status.ok:
                break
            if observer is not None:
                observer.sending(labels[i])
            states[i] = "unconfirmed"  # from the first byte sent until the printer says ok
            transport.send(payload)
            status = read_status(transport, language)
            if status.ok:
                states[i] = "confirmed"
            if observer is not None:
                observer.settled(labels[i], states[i])
        if "unconfirmed" in states:
            language.abandon(transport)
    except TransportFailure as failure:
        status = failure.status
        if observer is not None and "unconfirmed" in states:
            observer.settled(labels[states.index("unconfirmed")], "unconfirmed")
    finally:
        transport.close()
    return _outcome(labels, states, warnings, status)


def _outcome(labels: Sequence[LabelData], states: list[LabelState],
             warnings: list[tuple[str, ...]], status: PrinterStatus) -> PrintOutcome:
    results = [LabelResult(label, state, w) for label, state, w in zip(labels, states, warnings,
                                                                         strict=True)]
    return PrintOutcome(tuple(results), status, summarise(results, status))
