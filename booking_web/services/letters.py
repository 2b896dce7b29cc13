"""What a patient can take away: the kiosk QR code as a PNG, an .ics calendar file and a printable
PDF appointment letter (large, clear text; the same QR code).

The libraries each needs are imported where it is made, not at the top: a web worker loads
qrcode and Pillow when it first shows a QR code, icalendar for a first .ics and ReportLab (in
letters_pdf) for a first letter, and none of them for the API or the staff pages."""

from __future__ import annotations

import base64
import datetime as dt
import io

from booking_web.services.appointment_summary import AppointmentSummary
from shared.locales import use_language


def qr_png(payload: str, *, box_size: int = 8) -> bytes:
    """The kiosk QR code as PNG bytes (medium error correction survives a creased letter)."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

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
    from icalendar import Calendar, Event

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


def letter_pdf(summary: AppointmentSummary, *, manage_url: str) -> bytes:
    """A one-page A4 appointment letter in large print, with the kiosk QR code, in the language
    the patient booked in (Arabic right to left, shaped, in a font that has the script)."""
    from booking_web.services.letters_pdf import build_letter

    with use_language(summary.language):
        return build_letter(summary, manage_url=manage_url)
