"""file:///path: append each label's ESC/POS bytes to a file (spooling, debugging)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import SplitResult, unquote

from label_printer.errors import PrinterAddressError
from label_printer.escpos_render import label_bytes
from label_printer.layout import LabelData, layout_label
from label_printer.outcome import LabelResult, LabelState, PrintOutcome, summarise
from label_printer.status import PrinterStatus


class FilePrinter:
    """Writes to a file; a label is confirmed once it is written and flushed."""

    def __init__(self, path: Path):
        self.path = path

    def status(self) -> PrinterStatus:
        """ok if the file (or its folder, for a new file) is writable."""
        target = self.path if self.path.exists() else self.path.parent
        if target.exists() and os.access(target, os.W_OK):
            return PrinterStatus("ok", f"ready (writing to {self.path}).")
        return PrinterStatus("fault", f"Cannot write labels to {self.path}.")

    def print_labels(self, labels: Sequence[LabelData]) -> PrintOutcome:
        """Append each label in order; stop at the first failed write."""
        payloads = [label_bytes(label) for label in labels]
        states: list[LabelState] = ["not_sent"] * len(labels)
        status = self.status()
        if status.ok:
            try:
                with self.path.open("ab") as out:
                    for i, payload in enumerate(payloads):
                        states[i] = "unconfirmed"
                        out.write(payload)
                        out.flush()
                        states[i] = "confirmed"
            except OSError as exc:
                status = PrinterStatus("fault", f"Writing to {self.path} failed ({exc}).")
        results = [LabelResult(label, state, layout_label(label).warnings)
                   for label, state in zip(labels, states, strict=True)]
        return PrintOutcome(tuple(results), status, summarise(results, status))


def open_file(uri: SplitResult, *, timeout: float, connect_timeout: float) -> FilePrinter:
    """Factory for file:///absolute/path addresses."""
    path = unquote(uri.path)
    if uri.netloc not in ("", "localhost") or not path.startswith("/"):
        raise PrinterAddressError(f"Use file:///absolute/path, not {uri.geturl()!r}.")
    return FilePrinter(Path(path))
