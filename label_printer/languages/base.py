"""The Language protocol: what the print loop needs from a printer language."""

from __future__ import annotations

from typing import Protocol

from label_printer.layout import LabelData, LabelSize
from label_printer.status import PrinterStatus
from label_printer.transport import Transport


class Language(Protocol):
    """What the print loop needs from a printer language."""

    name: str
    size: LabelSize  # the label stock it lays labels out for

    def encode(self, label: LabelData) -> bytes:
        """The bytes that print one label and end it (self-contained: a resumed job starts
        clean). Raises LabelDataError for a label it cannot print."""
        ...

    def read_status(self, transport: Transport) -> PrinterStatus:
        """Ask the printer for its status over `transport` and read the answer; silence or an
        answer it cannot read is unknown (TransportFailure if the link fails)."""
        ...

    def abandon(self, transport: Transport) -> None:
        """The job stops with a label unconfirmed: drop whatever of it the printer still holds,
        so it cannot print later unmarked (the retry prints it marked REPRINT). May raise
        TransportFailure."""
        ...
