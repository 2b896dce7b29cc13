"""Tube and identity labels: layout, rendering, PDF, and printers chosen by URI as a language
(ESC/POS, ...) over a transport (TCP, USB, file, ...).

The names below are loaded from their modules when first asked for (PEP 562), not when the
package is imported: the site needs LabelData on every check-in but Pillow, ReportLab and
python-escpos (about 13 MiB a web worker) only for a label PDF or a printer, so
`from label_printer import LabelData` must not load them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from label_printer.backends import LabelPrinter, open_printer, register_transport
    from label_printer.backends.job import JobObserver
    from label_printer.backends.stream import StreamPrinter
    from label_printer.errors import LabelDataError, PrinterAddressError
    from label_printer.languages import Language, language_named, register_language
    from label_printer.languages.escpos import EscPos, job_bytes, label_bytes
    from label_printer.layout import (
        LabelData,
        LabelLayout,
        LabelSize,
        format_dob,
        format_nhs_number,
        layout_label,
    )
    from label_printer.outcome import LabelResult, PrintOutcome
    from label_printer.pdf import label_pdf, sheet_pdf
    from label_printer.render import render_label, render_layout
    from label_printer.status import PrinterStatus
    from label_printer.transport import Link, Transport, TransportFailure

_HOME = {  # public name -> the module that defines it
    "LabelPrinter": "backends", "open_printer": "backends", "register_transport": "backends",
    "JobObserver": "backends.job", "StreamPrinter": "backends.stream",
    "LabelDataError": "errors", "PrinterAddressError": "errors",
    "Language": "languages", "language_named": "languages", "register_language": "languages",
    "EscPos": "languages.escpos", "job_bytes": "languages.escpos", "label_bytes": "languages.escpos",
    "LabelData": "layout", "LabelLayout": "layout", "LabelSize": "layout", "format_dob": "layout",
    "format_nhs_number": "layout", "layout_label": "layout",
    "LabelResult": "outcome", "PrintOutcome": "outcome",
    "label_pdf": "pdf", "sheet_pdf": "pdf",
    "render_label": "render", "render_layout": "render",
    "PrinterStatus": "status",
    "Link": "transport", "Transport": "transport", "TransportFailure": "transport",
}

__all__ = [
    "EscPos", "JobObserver", "LabelData", "LabelDataError", "LabelLayout", "LabelPrinter",
    "LabelResult",
    "LabelSize", "Language", "Link", "PrintOutcome", "PrinterAddressError", "PrinterStatus",
    "StreamPrinter", "Transport", "TransportFailure", "format_dob", "format_nhs_number",
    "job_bytes", "label_bytes", "label_pdf", "language_named", "layout_label", "open_printer",
    "register_language", "register_transport", "render_label", "render_layout", "sheet_pdf",
]


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (then it is an ordinary module attribute)."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOME})
