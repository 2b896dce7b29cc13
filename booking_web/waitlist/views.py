"""Pages: find your booking (reference + date of birth), choose places, take an offer, and leave
the waiting list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from booking_web.context import db, now, settings
from booking_web.messages import words
from booking_web.public.documents import ics_response, pdf_response
from booking_web.public.journey import client_ip, managed_booking, read_date_of_birth
from booking_web.services import ratelimit
from booking_web.services.appointment_summary import AppointmentSummary
from booking_web.services.booking import find_appointment
from booking_web.services.letters import qr_data_uri
from booking_web.waitlist import bp
from booking_web.waitlist.offers import (
    OfferUnavailable,
    accept_offer,
    get_offer,
    moved_booking,
    when,
)
from booking_web.waitlist.service import (
    join_waiting_list,
    leave_waiting_list,
    places_for,
    waiting_sites,
)
from booking_web.waitlist.tokens import make_leave_token, read_leave_token
from shared.errors import BookingError, NotFound, RateLimited, ValidationFailed, problem
from shared.locales import booked_language
from shared.references import format_reference, normalise_reference

_KEY = "waitlist"
_MINUTES = 15  # how long a found booking stays open in this browser


def _found() -> dict[str, Any] | None:
    data = session.get(_KEY)
    if not data or now().timestamp() - data.get("at", 0) > _MINUTES * 60:
        return None
    return dict(data)


def _open(reference: str, date_of_birth: dt.date) -> Response:
    """Keep the found booking in this browser and go on to choose places."""
    session[_KEY] = {"ref": reference, "dob": date_of_birth.isoformat(), "at": now().timestamp()}
    return redirect(url_for("waitlist.sites"))


def _known_here(reference: str) -> tuple[str, dt.date] | None:
    """The booking, when this browser has already shown who it belongs to: open on the Manage
    pages, or just booked. Then the date of birth is not asked again."""
    wanted = normalise_reference(reference) if reference else ""
    managed = managed_booking()
    if managed and normalise_reference(managed[0]) == wanted:
        return managed
    confirmed = session.get("confirmed")
    if confirmed and normalise_reference(confirmed["ref"]) == wanted:
        return confirmed["ref"], dt.date.fromisoformat(confirmed["dob"])
    return None


@bp.route("/join", methods=["GET", "POST"])
def join() -> str | Response:
    """Find the booking to put on the waiting list."""
    errors: dict[str, str] = {}
    form = request.form if request.method == "POST" else request.args
    reference = (form.get("reference") or "").strip()[:30]
    dob = read_date_of_birth(form)
    if request.method == "GET":
        known = _known_here(reference)
        if known is not None:
            return _open(*known)
    if request.method == "POST":
        try:
            ratelimit.limit_lookup(
                session=db(),
                settings=settings(),
                now=now(),
                reference=reference,
                client=client_ip(),
            )
        except RateLimited:
            return render_template(  # type: ignore[return-value]
                "waitlist/join.html",
                errors={"_rate": words(problem("lookup_rate_limited"))},
                reference=reference,
                values=dob.values,
            ), 429
        if not reference:
            errors["reference"] = words(problem("reference_missing"))
        if dob.error:
            errors["dob"] = dob.error
        if not errors:
            assert dob.date is not None
            try:
                appt = find_appointment(session=db(), reference=reference, date_of_birth=dob.date)
                db().rollback()
            except NotFound as exc:
                errors["_lookup"] = words(exc)
            else:
                return _open(appt.reference, dob.date)
    return render_template(
        "waitlist/join.html", errors=errors, reference=reference, values=dob.values
    )


@bp.route("/sites", methods=["GET", "POST"])
def sites() -> str | Response:
    """Choose the places you could go to for an earlier time."""
    found = _found()
    if found is None:
        return redirect(url_for("waitlist.join"))
    dob = dt.date.fromisoformat(found["dob"])
    try:
        appt = find_appointment(session=db(), reference=found["ref"], date_of_birth=dob)
    except NotFound:
        session.pop(_KEY, None)
        return redirect(url_for("waitlist.join"))
    places = places_for(session=db(), appointment=appt, now=now())
    assert appt.id is not None
    waiting = waiting_sites(session=db(), appointment_id=appt.id)
    chosen = {str(s) for s in waiting} or {str(appt.site_id)}
    errors: dict[str, str] = {}
    if request.method == "POST":
        chosen = set(request.form.getlist("sites"))
        try:
            join_waiting_list(
                session=db(),
                reference=found["ref"],
                date_of_birth=dob,
                site_ids=[int(s) for s in chosen if s.isascii() and s.isdigit() and len(s) < 10],
                now=now(),
            )
        except ValidationFailed as exc:
            errors = {"sites": words(exc.fields.get("sites", exc.problem))}
        except BookingError as exc:
            errors = {"_problem": words(exc)}
        else:
            session.pop(_KEY, None)
            return render_template(
                "waitlist/joined.html",
                reference=format_reference(appt.reference),
                current=when(appt.starts_at, now=now()),
                places=[p.name for p in places if str(p.id) in chosen],
            )
    db().rollback()
    return render_template(
        "waitlist/sites.html",
        errors=errors,
        places=places,
        chosen=chosen,
        current=when(appt.starts_at, now=now()),
        reference=format_reference(appt.reference),
    )


@bp.route("/offer/<token>", methods=["GET", "POST"])
def offer(token: str) -> str | tuple[str, int]:
    """See an offered earlier time, and accept it."""
    try:
        view = get_offer(session=db(), settings=settings(), token=token, now=now())
        db().rollback()
    except BookingError as exc:
        db().rollback()
        return render_template("waitlist/offer_gone.html", message=words(exc)), 404
    leave = url_for(
        "waitlist.leave_by_link",
        token=make_leave_token(secret=settings().secret_key, entry_id=view.entry_id),
    )
    if request.method == "POST":
        try:
            accept_offer(session=db(), settings=settings(), token=token, now=now(), language=booked_language())
        except OfferUnavailable as exc:
            return render_template(
                "waitlist/offer_gone.html", message=words(exc), leave_url=leave
            ), 409
        return _moved(token)
    if view.status == "accepted":
        try:
            return _moved(token)
        except BookingError:  # moved again since: the booking as it is now is on Manage
            db().rollback()
            message = words(problem("offer_already_accepted"))
            return render_template("waitlist/offer_gone.html", message=message, accepted=True)
    if view.status != "open":
        message = words(problem("offer_gone" if view.status == "gone" else "offer_expired"))
        return render_template("waitlist/offer_gone.html", message=message, leave_url=leave)
    return render_template(
        "waitlist/offer.html",
        view=view,
        when=when(view.starts_at, now=now()),
        current=when(view.current_starts_at, now=now()),
        expires=when(view.expires_at, now=now()),
        reference=format_reference(view.reference),
        leave_url=leave,
    )


def _moved(token: str) -> str:
    """Your appointment has moved: the new QR code, letter and calendar file."""
    summary = moved_booking(session=db(), settings=settings(), token=token)
    return render_template(
        "waitlist/accepted.html",
        summary=summary,
        qr=qr_data_uri(summary.qr_payload),
        ics_url=url_for("waitlist.moved_ics", token=token),
        pdf_url=url_for("waitlist.moved_pdf", token=token),
    )


def _moved_file(token: str, respond: Callable[[AppointmentSummary], Response]) -> Any:
    try:
        return respond(moved_booking(session=db(), settings=settings(), token=token))
    except BookingError as exc:
        return render_template("waitlist/offer_gone.html", message=words(exc)), 404


@bp.get("/offer/<token>/calendar.ics")
def moved_ics(token: str) -> Any:
    """The moved booking as a calendar file."""
    return _moved_file(token, ics_response)


@bp.get("/offer/<token>/letter.pdf")
def moved_pdf(token: str) -> Any:
    """The moved booking's appointment letter."""
    return _moved_file(token, pdf_response)


@bp.route("/leave/<token>", methods=["GET", "POST"])
def leave_by_link(token: str) -> str | tuple[str, int]:
    """Leave the waiting list from the link in an offer."""
    try:
        entry_id = read_leave_token(secret=settings().secret_key, token=token)
    except BookingError as exc:
        return render_template("waitlist/offer_gone.html", message=words(exc)), 404
    if request.method == "POST":
        try:
            leave_waiting_list(session=db(), entry_id=entry_id, now=now())
        except NotFound as exc:
            return render_template("waitlist/offer_gone.html", message=words(exc)), 404
        return render_template("waitlist/left.html")
    return render_template("waitlist/leave.html", reference=None)


@bp.route("/leave", methods=["GET", "POST"])
def leave() -> str | Response:
    """Leave the waiting list for the booking open on the Manage pages."""
    managed = managed_booking()
    if managed is None:
        return redirect(url_for("public.manage_lookup"))
    if request.method == "POST":
        leave_waiting_list(session=db(), reference=managed[0], date_of_birth=managed[1], now=now())
        return render_template("waitlist/left.html", manage_url=url_for("public.manage_booking"))
    return render_template(
        "waitlist/leave.html",
        reference=format_reference(managed[0]),
        back_url=url_for("public.manage_booking"),
    )
