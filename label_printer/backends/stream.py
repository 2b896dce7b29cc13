"""A LabelPrinter over any Transport (TCP, USB, the in-process simulator)."""

from __future__ import annotations

from collections.abc import Sequence

from label_printer.backends.job import Connect, check_status, run_job
from label_printer.escpos_render import Separator
from label_printer.layout import LabelData
from label_printer.outcome import PrintOutcome
from label_printer.status import PrinterStatus


class StreamPrinter:
    """Opens a fresh link for each call, so a dropped connection never poisons the next job."""

    def __init__(self, connect: Connect, *, name: str, separator: Separator = "cut"):
        self._connect = connect
        self.name = name
        self.separator = separator

    def status(self) -> PrinterStatus:
        """Current printer status (ok / fault / unknown)."""
        return check_status(self._connect)

    def print_labels(self, labels: Sequence[LabelData]) -> PrintOutcome:
        """Print labels in order, confirming each one."""
        return run_job(self._connect, labels, separator=self.separator)

    def __repr__(self) -> str:
        return f"<StreamPrinter {self.name}>"
