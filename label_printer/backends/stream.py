"""A LabelPrinter from a Transport (how bytes travel) and a Language (what they say)."""

from __future__ import annotations

from collections.abc import Sequence

from label_printer.backends.job import JobObserver, check_status, run_job
from label_printer.languages.base import Language
from label_printer.layout import LabelData
from label_printer.outcome import PrintOutcome
from label_printer.status import PrinterStatus
from label_printer.transport import Connect


class StreamPrinter:
    """Opens a fresh link for each call, so a dropped connection never poisons the next job."""

    def __init__(self, connect: Connect, language: Language, *, name: str):
        self._connect = connect
        self.language = language
        self.name = name

    def status(self) -> PrinterStatus:
        """Current printer status (ok / fault / unknown)."""
        return check_status(self._connect, self.language)

    def print_labels(self, labels: Sequence[LabelData], *,
                     observer: JobObserver | None = None) -> PrintOutcome:
        """Print labels in order, confirming each one (`observer` told as it goes)."""
        return run_job(self._connect, self.language, labels, observer=observer)

    def __repr__(self) -> str:
        return f"<StreamPrinter {self.language.name}+{self.name}>"
