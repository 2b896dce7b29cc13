"""What a patient can take away: the kiosk QR code as a PNG, an .ics calendar file and a printable
PDF appointment letter (large, clear text; the same QR code)."""

from __future__ import annotations

import base64
import datetime as dt
import io
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import qrcode
from icalendar import Calendar, Event
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from booking_web.services.appointment_summary import AppointmentSummary

NHS_BLUE = colors.HexColor("#005eb8")
_UNICODE_FONT_FILES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


def qr_png(payload: str, *, box_size: int = 8) -> bytes:
    """The kiosk QR code as PNG bytes (medium error correction survives a creased letter)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def qr_data_uri(payload: str) -> str:
    """The QR code as a data: URI for an <img> (the CSP allows img data:)."""
    return "data:image/png;base64," + base64.b64encode(qr_png(payload)).decode("ascii")


def calendar_ics(summary: AppointmentSummary, *, now: dt.datetime, manage_url: str) -> bytes:
    """An iCalendar file with one event in UTC; SEQUENCE follows the booking so a changed
    appointment replaces the old event. No name or NHS number: calendars are often shared."""
    cal = Calendar()
    cal.add("prodid", "-//Phlebo//Blood test booking//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{summary.reference}@phlebo.nhs.example")
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", summary.starts_at.astimezone(dt.UTC))
    event.add("dtend", summary.ends_at.astimezone(dt.UTC))
    event.add("summary", f"{summary.type_name} at {summary.site_name}")
    event.add("location", f"{summary.site_name}, {summary.full_address}")
    event.add(
        "description",
        (
            f"Booking reference: {summary.reference_display}\n"
            f"{summary.preparation}\n"
            f"Getting there: {summary.access_notes}\n"
            f"To change or cancel: {manage_url}"
        ),
    )
    if summary.status == "cancelled":
        event.add("status", "CANCELLED")
    cal.add_component(event)
    return cal.to_ical()


@lru_cache(maxsize=1)
def _unicode_font() -> str | None:
    """A font with glyphs beyond Latin-1 for names in any script, if the system has one."""
    for path in _UNICODE_FONT_FILES:
        if path.exists():
            pdfmetrics.registerFont(TTFont("PhleboSans", str(path)))
            return "PhleboSans"
    return None


def _font_for(text: str, bold: bool = False) -> str:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return _unicode_font() or "Helvetica"
    return "Helvetica-Bold" if bold else "Helvetica"


def letter_pdf(summary: AppointmentSummary, *, manage_url: str) -> bytes:
    """A one-page A4 appointment letter in large print, with the kiosk QR code."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Blood test appointment {summary.reference_display}",
        author="NHS blood test service",
    )
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=14, leading=19, spaceAfter=6)
    label = ParagraphStyle("label", parent=body, fontName="Helvetica-Bold")
    heading = ParagraphStyle(
        "heading",
        parent=body,
        fontName="Helvetica-Bold",
        fontSize=24,
        leading=29,
        textColor=NHS_BLUE,
        spaceAfter=10,
    )
    subheading = ParagraphStyle(
        "subheading", parent=body, fontName="Helvetica-Bold", fontSize=17, leading=22, spaceBefore=8
    )
    ref_style = ParagraphStyle(
        "ref", parent=body, fontName="Helvetica-Bold", fontSize=28, leading=34, spaceAfter=4
    )
    name_style = ParagraphStyle(
        "name", parent=body, fontName=_font_for(summary.patient_name, bold=True)
    )

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    status_note = []
    if summary.status == "cancelled":
        status_note = [p("THIS APPOINTMENT HAS BEEN CANCELLED", heading)]
    details = Table(
        [
            [p("Date", label), p(summary.date_text)],
            [p("Time", label), p(summary.time_text)],
            [
                p("Place", label),
                Paragraph(f"{escape(summary.site_name)}<br/>{escape(summary.full_address)}", body),
            ],
            [p("Test", label), p(summary.type_name)],
        ],
        colWidths=[30 * mm, 140 * mm],
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
    whose = "the child's" if child else "your"
    qr = Image(io.BytesIO(qr_png(summary.qr_payload)), width=55 * mm, height=55 * mm)
    check_in = Table(
        [
            [
                qr,
                [
                    p("When you arrive", subheading),
                    *(p(step) for step in summary.check_in_steps),
                ],
            ]
        ],
        colWidths=[60 * mm, 110 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]),
    )
    story = [
        p("NHS blood test service", label),
        p("Your child's blood test appointment" if child else "Your blood test appointment",
          heading),
        *status_note,
        Paragraph(f"For: {escape(summary.patient_name)}", name_style),
        p("Booking reference", label),
        p(summary.reference_display, ref_style),
        Spacer(1, 4 * mm),
        details,
        Spacer(1, 4 * mm),
        check_in,
        p("Getting there", subheading),
        p(summary.access_notes or "Ask at reception when you arrive."),
        p("Before the test" if child else "Before your test", subheading),
        p(summary.preparation),
        p("Change or cancel", subheading),
        p(
            f"Go to {manage_url} and enter your booking reference and {whose} date of birth. "
            "If you cannot come, please cancel so someone else can have the appointment."
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
