"""Tube and identity labels: layout, raster/ESC/POS/PDF rendering, printers chosen by URI."""

from label_printer.backends import LabelPrinter, open_printer, register_backend
from label_printer.backends.job import Transport, TransportFailure
from label_printer.backends.stream import StreamPrinter
from label_printer.errors import LabelDataError, PrinterAddressError
from label_printer.escpos_render import job_bytes, label_bytes
from label_printer.layout import LabelData, LabelLayout, format_dob, format_nhs_number, layout_label
from label_printer.outcome import LabelResult, PrintOutcome
from label_printer.pdf import label_pdf, sheet_pdf
from label_printer.render import render_label, render_layout
from label_printer.status import PrinterStatus

__all__ = [
    "LabelData", "LabelDataError", "LabelLayout", "LabelPrinter", "LabelResult",
    "PrintOutcome", "PrinterAddressError", "PrinterStatus", "StreamPrinter", "Transport",
    "TransportFailure", "format_dob", "format_nhs_number", "job_bytes", "label_bytes",
    "label_pdf", "layout_label", "open_printer", "register_backend", "render_label",
    "render_layout", "sheet_pdf",
]
