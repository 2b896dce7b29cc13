"""The confirmation page and the files a patient takes away (calendar file, PDF letter)."""

from __future__ import annotations

import datetime as dt

from flask import Response, redirect, render_template, session, url_for

from booking_web.context import db, now, settings
from booking_web.public import bp
from booking_web.services.appointment_summary import AppointmentSummary, summarise
from booking_web.services.booking import find_appointment
from booking_web.services.letters import calendar_ics, letter_pdf, qr_data_uri
from shared.errors import NotFound
from shared.locales import gettext


def load_summary(reference: str, date_of_birth: dt.date) -> AppointmentSummary | None:
    """The appointment this browser may see, or None."""
    try:
        appointment = find_appointment(
            session=db(), reference=reference, date_of_birth=date_of_birth
        )
    except NotFound:
        return None
    return summarise(session=db(), appointment=appointment, secret=settings().secret_key)


def manage_url() -> str:
    """The public address of the 'change or cancel' page, for letters and calendars."""
    return settings().public_url.rstrip("/") + url_for("public.manage_lookup")


def _name(summary: AppointmentSummary) -> str:
    return f"blood-test-{summary.reference_display}"


def ics_response(summary: AppointmentSummary) -> Response:
    """The calendar file as a download."""
    body = calendar_ics(summary, now=now(), manage_url=manage_url())
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{_name(summary)}.ics"'},
    )


def pdf_response(summary: AppointmentSummary) -> Response:
    """The appointment letter, opened in the browser's PDF viewer."""
    body = letter_pdf(summary, manage_url=manage_url())
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{_name(summary)}-letter.pdf"'},
    )


def sent_words(sent: str) -> str:
    """Where a confirmation went ('sms:07700 900982') in the page's language: 'a text message
    to 07700 900982' (words kept by an older version are shown as they are)."""
    channel, _, address = sent.partition(":")
    if channel == "sms":
        return gettext("a text message to %(number)s") % {"number": address}
    if channel == "email":
        return gettext("an email to %(address)s") % {"address": address}
    return sent


def _confirmed() -> AppointmentSummary | None:
    state = session.get("confirmed")
    if not state:
        return None
    return load_summary(state["ref"], dt.date.fromisoformat(state["dob"]))


@bp.get("/book/confirmation")
def book_confirmation() -> Response | str:
    """Booking complete: the reference, what, when, where, the QR code and downloads."""
    summary = _confirmed()
    if summary is None:
        return redirect(url_for("public.start"))
    return render_template(
        "public/confirmation.html",
        summary=summary,
        sent_to=[sent_words(sent) for sent in session["confirmed"].get("sent_to") or []],
        qr=qr_data_uri(summary.qr_payload),
        ics_url=url_for("public.book_confirmation_ics"),
        pdf_url=url_for("public.book_confirmation_pdf"),
    )


@bp.get("/book/booked")
def book_done() -> Response | str:
    """Where the booking journey's pages lead once the booking is made (pressing Back after
    booking): you have booked, with the reference, rather than a blank first question."""
    summary = _confirmed()
    if summary is None:
        return redirect(url_for("public.book_start"))
    return render_template("public/booked.html", summary=summary, back_url=None)


@bp.get("/book/confirmation/calendar.ics")
def book_confirmation_ics() -> Response:
    """The new booking as a calendar file."""
    summary = _confirmed()
    if summary is None:
        return redirect(url_for("public.start"))  # type: ignore[return-value]
    return ics_response(summary)


@bp.get("/book/confirmation/letter.pdf")
def book_confirmation_pdf() -> Response:
    """The new booking's appointment letter."""
    summary = _confirmed()
    if summary is None:
        return redirect(url_for("public.start"))  # type: ignore[return-value]
    return pdf_response(summary)
