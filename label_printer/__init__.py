"""Tube and identity labels: layout, rendering, PDF, and printers chosen by URI as a language
(ESC/POS, ...) over a transport (TCP, USB, file, ...)."""

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

__all__ = [
    "EscPos", "JobObserver", "LabelData", "LabelDataError", "LabelLayout", "LabelPrinter",
    "LabelResult",
    "LabelSize", "Language", "Link", "PrintOutcome", "PrinterAddressError", "PrinterStatus",
    "StreamPrinter", "Transport", "TransportFailure", "format_dob", "format_nhs_number",
    "job_bytes", "label_bytes", "label_pdf", "language_named", "layout_label", "open_printer",
    "register_language", "register_transport", "render_label", "render_layout", "sheet_pdf",
]
