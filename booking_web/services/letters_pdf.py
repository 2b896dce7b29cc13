"""The printable appointment letter, laid out with ReportLab (a module of its own so that only a
worker asked for a letter loads ReportLab and the right-to-left shaping libraries: letters.py)."""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from arabic_reshaper import reshape
from bidi import get_display
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from booking_web.services.appointment_summary import AppointmentSummary, preparation_text
from booking_web.services.letters import qr_png
from shared.locales import gettext as _
from shared.locales import language
from shared.timeutil import format_date, format_time, to_local

NHS_BLUE = colors.HexColor("#005eb8")
_UNICODE_FONT_FILES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)
_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_UNICODE_BOLD_FONT_FILES = tuple(p.with_name("DejaVuSans-Bold.ttf") for p in _UNICODE_FONT_FILES)


def _rtl_lines(text: str, font: str, size: float, width: float) -> list[str]:
    """Right-to-left text as lines that fit `width`, each shaped (Arabic letters joined: the
    presentation forms DejaVu Sans has) and put in visual order; broken in reading order, so the
    first line read is the first line printed."""
    lines: list[str] = []
    words = text.split()
    current: list[str] = []
    for word in words:
        trial = " ".join([*current, word])
        if current and pdfmetrics.stringWidth(reshape(trial), font, size) > width - 6:
            lines.append(" ".join(current))
            current = [word]
        else:
            current.append(word)
    if current:
        lines.append(" ".join(current))
    # A line with no right-to-left letter (an address staff typed) keeps its own direction.
    return [get_display(reshape(line), base_dir="R" if _RTL_LETTER.search(line) else "L")
            for line in lines] or [""]


@lru_cache(maxsize=1)
def _unicode_font() -> str | None:
    """A font with glyphs beyond Latin-1 for names in any script, if the system has one."""
    for path, bold in zip(_UNICODE_FONT_FILES, _UNICODE_BOLD_FONT_FILES, strict=True):
        if path.exists():
            pdfmetrics.registerFont(TTFont("PhleboSans", str(path)))
            pdfmetrics.registerFont(TTFont("PhleboSans-Bold", str(bold if bold.exists() else path)))
            return "PhleboSans"
    return None


def _font_for(text: str, bold: bool = False) -> str:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return _unicode_font() or "Helvetica"
    return "Helvetica-Bold" if bold else "Helvetica"


def build_letter(summary: AppointmentSummary, *, manage_url: str) -> bytes:
    """The letter's PDF bytes, in the language in use (letters.letter_pdf sets the patient's)."""
    rtl = language().rtl
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=_("Blood test appointment %(reference)s") % {"reference": summary.reference_display},
        author=_("NHS blood test service"),
    )
    # Latin-1 languages in Helvetica as before; Welsh (ŵ, ŷ), Polish and Arabic need a font with
    # their letters (DejaVu Sans: Latin Extended and Arabic, fonts-dejavu-core).
    wide = language().code in ("cy", "pl", "ar") and _unicode_font() is not None
    regular, bold = ("PhleboSans", "PhleboSans-Bold") if wide else ("Helvetica", "Helvetica-Bold")
    body = ParagraphStyle("body", fontName=regular, fontSize=14, leading=19 if not rtl else 22,
                          spaceAfter=6, alignment=TA_RIGHT if rtl else TA_LEFT)
    label = ParagraphStyle("label", parent=body, fontName=bold)
    heading = ParagraphStyle(
        "heading",
        parent=body,
        fontName=bold,
        fontSize=24,
        leading=29,
        textColor=NHS_BLUE,
        spaceAfter=10,
    )
    subheading = ParagraphStyle(
        "subheading", parent=body, fontName=bold, fontSize=17, leading=22, spaceBefore=8
    )
    ref_style = ParagraphStyle(
        "ref", parent=body, fontName=bold, fontSize=28, leading=34, spaceAfter=4
    )
    name_style = ParagraphStyle(
        "name", parent=body, fontName=bold if wide else _font_for(summary.patient_name, bold=True)
    )

    def p(text: str, style: ParagraphStyle = body, width: float = 170 * mm) -> Paragraph:
        if rtl:  # shaped and in visual order line by line (ReportLab lays text out left to right)
            return Paragraph("<br/>".join(escape(line) for line in _rtl_lines(
                text, style.fontName, style.fontSize, width)), style)
        return Paragraph(escape(text), style)

    status_note = []
    if summary.status == "cancelled":
        status_note = [p(_("THIS APPOINTMENT HAS BEEN CANCELLED"), heading)]
    # Dates, times and advice in the letter's language (the summary was made for a page).
    date_text = format_date(to_local(summary.starts_at).date())
    rows = [
        [p(_("Date"), label, 30 * mm), p(date_text, body, 140 * mm)],
        [p(_("Time"), label, 30 * mm), p(format_time(summary.starts_at), body, 140 * mm)],
        [
            p(_("Place"), label, 30 * mm),
            Paragraph(f"{escape(summary.site_name)}<br/>{escape(summary.full_address)}",
                      ParagraphStyle("place", parent=body, fontName=_font_for(
                          summary.site_name + summary.full_address),
                                     alignment=TA_RIGHT if rtl else TA_LEFT)),
        ],
        [p(_("Test"), label, 30 * mm), p(_(summary.type_name), body, 140 * mm)],
    ]
    details = Table(
        [list(reversed(row)) for row in rows] if rtl else rows,
        colWidths=[140 * mm, 30 * mm] if rtl else [30 * mm, 140 * mm],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LINEBELOW", (0, 0), (-1, -2), 0.5, colors.HexColor("#d8dde0")),
            ]
        ),
    )
    # A parent usually books a child's test, and brings the letter: it speaks of the child.
    child = summary.type_code == "child"
    qr = Image(io.BytesIO(qr_png(summary.qr_payload)), width=55 * mm, height=55 * mm)
    steps = [
        p(_("When you arrive"), subheading, 110 * mm),
        *(p(step, body, 110 * mm) for step in summary.check_in_steps),
    ]
    check_in = Table(
        [[steps, qr]] if rtl else [[qr, steps]],
        colWidths=[110 * mm, 60 * mm] if rtl else [60 * mm, 110 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]),
    )
    name_line = _("For: %(name)s") % {"name": summary.patient_name}
    story = [
        p(_("NHS blood test service"), label),
        p(_("Your child's blood test appointment") if child else _("Your blood test appointment"),
          heading),
        *status_note,
        p(name_line, name_style) if rtl else Paragraph(escape(name_line), name_style),
        p(_("Booking reference"), label),
        Paragraph(escape(summary.reference_display), ref_style),  # as it is, in every language
        Spacer(1, 4 * mm),
        details,
        Spacer(1, 4 * mm),
        check_in,
        p(_("Getting there"), subheading),
        p(summary.access_notes or _("Ask at reception when you arrive.")),
        p(_("Before the test") if child else _("Before your test"), subheading),
        p(preparation_text(summary.type_code)),
        p(_("Change or cancel"), subheading),
        p(
            (_("Go to %(url)s and enter your booking reference and the child's date of birth. "
               "If you cannot come, please cancel so someone else can have the appointment.")
             if child else
             _("Go to %(url)s and enter your booking reference and your date of birth. "
               "If you cannot come, please cancel so someone else can have the appointment."))
            % {"url": manage_url}
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
