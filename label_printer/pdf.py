"""PDF labels (reportlab) from the same layout as the thermal label, for reprints and preview.

Text is vector text in the same fonts; the barcode is drawn bar by bar from the same module
pattern, so the PDF carries exactly the symbol the thermal printer prints.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from label_printer.layout import LabelData, LabelLayout, LabelSize, layout_label
from label_printer.render import _bar_runs

SHEET_MARGIN, SHEET_GAP = 10 * mm, 2.5 * mm


def label_pdf(label: LabelData, *, size: LabelSize | None = None) -> bytes:
    """One page the size of the label stock, holding one label."""
    size = size or LabelSize()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(size.width_mm * mm, size.height_mm * mm), pageCompression=1)
    canvas.setTitle(f"Label {label.specimen_id}")
    _draw(canvas, layout_label(label, size=size), 0, 0)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def sheet_pdf(labels: Sequence[LabelData], *, size: LabelSize | None = None) -> bytes:
    """A4 pages of labels (3 across and 10 down for 50 x 25 mm), in order, left to right then
    down, each the size of the label stock inside a faint cut guide."""
    size = size or LabelSize()
    LABEL_W, LABEL_H = size.width_mm * mm, size.height_mm * mm  # noqa: N806
    cols = int((A4[0] - 2 * SHEET_MARGIN + SHEET_GAP) // (LABEL_W + SHEET_GAP))
    rows = int((A4[1] - 2 * SHEET_MARGIN + SHEET_GAP) // (LABEL_H + SHEET_GAP))
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle("Labels")
    for i, label in enumerate(labels):
        slot = i % (cols * rows)
        if i and slot == 0:
            canvas.showPage()
        col, row = slot % cols, slot // cols
        x = SHEET_MARGIN + col * (LABEL_W + SHEET_GAP)
        y = A4[1] - SHEET_MARGIN - (row + 1) * LABEL_H - row * SHEET_GAP
        canvas.setLineWidth(0.2)
        canvas.setStrokeGray(0.7)  # a faint cut guide around each label
        canvas.rect(x, y, LABEL_W, LABEL_H)
        _draw(canvas, layout_label(label, size=size), x, y)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _draw(canvas: Canvas, layout: LabelLayout, x0: float, y0: float) -> None:
    """Draw `layout` with its bottom-left corner at (x0, y0) points, a dot at the printer's
    size (1/203 inch), so the PDF label measures what the thermal one does."""
    scale = 72 / layout.dpi

    def pt(x: float, y: float) -> tuple[float, float]:  # dots from top-left -> PDF points
        return x0 + x * scale, y0 + (layout.height - y) * scale

    for element in layout.texts:
        font = _font_name(element.font_path)
        size = element.size * scale
        x, y = pt(element.x, element.baseline)
        if element.inverted:
            width = pdfmetrics.stringWidth(element.text, font, size)
            ascent = pdfmetrics.getAscent(font, size)
            canvas.setFillGray(0)
            canvas.rect(x - 3 * scale, y - 3 * scale, width + 5 * scale, ascent + 4 * scale,
                        stroke=0, fill=1)
            canvas.setFillGray(1)
        else:
            canvas.setFillGray(0)
        canvas.setFont(font, size)
        canvas.drawString(x, y, element.text)
    canvas.setFillGray(0)
    bc = layout.barcode
    for start, run in _bar_runs(bc.modules):
        x, top = pt(bc.x + start * bc.module_dots, bc.y)
        canvas.rect(x, top - bc.height * scale, run * bc.module_dots * scale,
                    bc.height * scale, stroke=0, fill=1)


def _font_name(path: str) -> str:
    """Register a TTF with reportlab once (embedded and subset) and return its name."""
    name = "phlebo-" + Path(path).stem
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, path))
    return name
