"""Find, view, change and cancel a booking with its reference and the patient's date of birth."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, redirect, render_template, request, session, url_for

from booking_web.context import db, now, settings
from booking_web.messages import words
from booking_web.public import bp
from booking_web.public.choose import date_page, site_page, time_page
from booking_web.public.documents import ics_response, load_summary, pdf_response
from booking_web.public.journey import (
    DateOfBirth,
    Flow,
    Step,
    back_to_time,
    client_ip,
    forget_booking,
    managed_booking,
    read_date_of_birth,
    remember_booking,
    take_error,
)
from booking_web.services import booking, ratelimit
from booking_web.services.appointment_summary import AppointmentSummary, site_by_id
from booking_web.services.letters import qr_data_uri
from booking_web.services.web_once import change_made_with, new_booking_key, reschedule_once
from booking_web.waitlist.service import waiting_places
from shared.errors import NotFound, RateLimited, RuleViolation, SlotFull, problem
from shared.locales import N_, booked_language
from shared.references import looks_like_reference, normalise_reference
from shared.timeutil import format_date, format_time

CHANGE = Flow(
    key="change",
    steps=(
        Step("start", "public.manage_booking", ("ref", "type", "postcode")),
        Step("site", "public.change_site", ("site_id",)),
        Step("date", "public.change_date", ("date",)),
        Step("time", "public.change_time", ("slot_id",)),
    ),
    final="public.change_check",
    start="public.manage_booking",
    caption=N_("Change your appointment"),
    invalidates={"site_id": ("date", "slot_id", "starts_at"), "date": ("slot_id", "starts_at")},
)
# Refusals that mean: choose another time.
_TIME_PROBLEMS = {
    "same_slot",
    "too_soon",
    "too_far",
    "wrong_type",
    "clinic_closed",
    "slot_not_found",
}


def _current() -> tuple[str, dt.date, AppointmentSummary] | None:
    """The booking open in this browser, freshly read."""
    opened = managed_booking()
    if opened is None:
        return None
    summary = load_summary(*opened)
    if summary is None:
        forget_booking()
        return None
    return opened[0], opened[1], summary


def _to_lookup() -> Response:
    return redirect(url_for("public.manage_lookup"))


@bp.route("/manage", methods=["GET", "POST"])
def manage_lookup() -> Response | tuple[str, int]:
    """Find a booking: reference and date of birth. A wrong date of birth looks exactly like an
    unknown reference, and both are rate limited per address and per reference."""
    errors: dict[str, str] = {}
    if session.pop("manage_expired", None):
        errors["_expired"] = words(problem("manage_expired"))
    reference = (request.args.get("reference") or "").strip()[:30]  # from a confirmation's link
    dob = DateOfBirth.blank()
    status = 200
    if request.method == "POST":
        errors = {}
        reference = (request.form.get("reference") or "").strip()[:30]
        dob = read_date_of_birth(request.form)
        try:
            ratelimit.limit_lookup(
                session=db(),
                settings=settings(),
                now=now(),
                client=client_ip(),
                reference=reference if looks_like_reference(reference) else "",
            )
        except RateLimited:
            errors["_rate"] = words(problem("lookup_rate_limited"))
            return _lookup_page(errors, reference, dob, 429)
        if not reference:
            errors["reference"] = words(problem("reference_missing"))
        elif not looks_like_reference(reference):
            errors["reference"] = words(problem("reference_format"))
        if dob.error:
            errors[dob.field_id] = dob.error
        if not errors:
            assert dob.date is not None
            try:
                appointment = booking.find_appointment(
                    session=db(), reference=reference, date_of_birth=dob.date
                )
            except NotFound as exc:
                errors["reference"] = words(exc)
            else:
                remember_booking(appointment.reference, dob.date)
                CHANGE.clear()
                return redirect(url_for("public.manage_booking"))
        status = 400
    return _lookup_page(errors, reference, dob, status)


def _lookup_page(
    errors: dict[str, str], reference: str, dob: DateOfBirth, status: int
) -> tuple[str, int]:
    return render_template(
        "public/manage_lookup.html",
        errors=errors,
        reference=reference,
        dob_values=dob.values,
        dob_error=dob.error if dob.field_id in errors else None,
        parts_in_error=dob.parts_in_error,
        # Signed in with NHS login below P9: bookings are found by reference (say why).
        nhs_login_notice=session.pop("nhs_login_notice", None),
        back_url=url_for("public.start"),
    ), status


@bp.get("/manage/booking")
def manage_booking() -> Response | str:
    """The booking: what, when, where, QR code, letter and calendar file, and what can be done."""
    current = _current()
    if current is None:
        return _to_lookup()
    summary = current[2]
    can_change = summary.is_booked and summary.starts_at > now()
    return render_template(
        "public/manage_booking.html",
        summary=summary,
        can_change=can_change,
        waiting_at=waiting_places(session=db(), reference=summary.reference) if can_change else [],
        notice=session.pop("manage_notice", None),
        qr=qr_data_uri(summary.qr_payload),
        ics_url=url_for("public.manage_ics"),
        pdf_url=url_for("public.manage_pdf"),
        back_url=None,
    )


@bp.get("/manage/booking/calendar.ics")
def manage_ics() -> Response:
    """The booking as a calendar file."""
    current = _current()
    return ics_response(current[2]) if current else _to_lookup()


@bp.get("/manage/booking/letter.pdf")
def manage_pdf() -> Response:
    """The booking's appointment letter."""
    current = _current()
    return pdf_response(current[2]) if current else _to_lookup()


@bp.get("/manage/change")
def change_start() -> Response:
    """Begin changing the time or place, starting from the current place."""
    current = _current()
    if current is None or not current[2].is_booked:
        return _to_lookup()
    summary = current[2]
    CHANGE.save(
        {
            "ref": summary.reference,
            "type": summary.type_code,
            "postcode": summary.site_postcode,
            "site_id": summary.site_id,
            "current_site_id": summary.site_id,
            # A booking for a GP's request moves only inside the request's window.
            **({"earliest": summary.request_window[0].isoformat(), "latest": summary.request_window[1].isoformat()}
               if summary.request_window else {}),
        }
    )
    return redirect(url_for("public.change_site"))


def _changing() -> Response | None:
    """A redirect unless a change of the open booking is under way."""
    current = _current()
    if current is None:
        CHANGE.clear()
        return _to_lookup()
    if CHANGE.data().get("ref") != current[0]:
        return redirect(url_for("public.change_start"))
    return None


@bp.route("/manage/change/place", methods=["GET", "POST"])
def change_site() -> Any:
    """Choose a place for the changed appointment."""
    return _changing() or site_page(CHANGE)


@bp.route("/manage/change/date", methods=["GET", "POST"])
def change_date() -> Any:
    """Choose a date for the changed appointment."""
    return _changing() or date_page(CHANGE)


@bp.route("/manage/change/time", methods=["GET", "POST"])
def change_time() -> Any:
    """Choose a time for the changed appointment."""
    return _changing() or time_page(CHANGE)


@bp.route("/manage/change/check", methods=["GET", "POST"])
def change_check() -> Response | tuple[str, int]:
    """Confirm the new time and place; the booking keeps its reference. The form carries the
    journey's key: a double click or the form sent again shows the change made."""
    if request.method == "POST" and _made_by_this_form():
        return _changed()
    blocked = _changing() or CHANGE.guard("check")
    if blocked:
        return blocked
    data = CHANGE.data()
    reference, dob, summary = _current()  # type: ignore[misc]
    errors = take_error("public.change_check")
    if "change_key" not in data:  # one key per journey: Confirm twice changes once
        data["change_key"] = new_booking_key()
        CHANGE.save(data)
    if request.method == "POST":
        try:
            reschedule_once(
                session=db(),
                key=data["change_key"],
                reference=reference,
                date_of_birth=dob,
                new_slot_id=data["slot_id"],
                now=now(),
                settings=settings(),
                language=booked_language(),  # the language the patient changed it in
            )
        except (SlotFull, NotFound, RuleViolation) as exc:
            if isinstance(exc, SlotFull) or exc.code in _TIME_PROBLEMS:
                return back_to_time(CHANGE, words(exc))
            errors = {"_problem": words(exc)}
        else:
            return _changed()
    site = site_by_id(session=db(), site_id=data["site_id"])
    starts = dt.datetime.fromisoformat(data["starts_at"])
    new = {
        "site": site,
        "date": format_date(dt.date.fromisoformat(data["date"])),
        "time": format_time(starts),
    }
    return render_template(
        "public/change_check.html",
        flow=CHANGE,
        errors=errors,
        summary=summary,
        new=new,
        back_url=url_for("public.change_time"),
        change_key=data["change_key"],
    ), (400 if errors else 200)


def _made_by_this_form() -> bool:
    """True when the change this form's key made was to the booking open in this browser."""
    opened = managed_booking()
    made = change_made_with(session=db(), key=request.form.get("change_key", ""), now=now())
    return opened is not None and made is not None and normalise_reference(made) == normalise_reference(opened[0])


def _changed() -> Response:
    CHANGE.clear()
    session["manage_notice"] = "changed"
    return redirect(url_for("public.manage_booking"))


@bp.route("/manage/cancel", methods=["GET", "POST"])
def manage_cancel() -> Response | tuple[str, int]:
    """Are you sure? Then cancel: the chair is free at once."""
    current = _current()
    if current is None:
        return _to_lookup()
    reference, dob, summary = current
    if not summary.is_booked:
        return redirect(url_for("public.manage_booking"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            booking.cancel_appointment(
                session=db(), reference=reference, date_of_birth=dob, now=now()
            )
        except (RuleViolation, NotFound) as exc:
            errors = {"_problem": words(exc)}
        else:
            CHANGE.clear()
            return redirect(url_for("public.manage_cancelled"))
    return render_template(
        "public/cancel.html",
        errors=errors,
        summary=summary,
        back_url=url_for("public.manage_booking"),
    ), (400 if errors else 200)


@bp.get("/manage/cancelled")
def manage_cancelled() -> Response | str:
    """Your appointment has been cancelled."""
    current = _current()
    if current is None:
        return _to_lookup()
    summary = current[2]
    if summary.status != "cancelled":
        return redirect(url_for("public.manage_booking"))
    return render_template("public/cancelled.html", summary=summary, back_url=None)
