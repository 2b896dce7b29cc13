"""Pages: find your booking (reference + date of birth), choose places, and take an offer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from booking_web.context import db, now, settings
from booking_web.public.journey import read_date_of_birth
from booking_web.services.booking import find_appointment
from booking_web.waitlist import bp
from booking_web.waitlist.offers import EXPIRED_MESSAGE, OfferUnavailable, accept_offer, get_offer
from booking_web.waitlist.service import active_sites, join_waiting_list, waiting_sites
from shared.errors import BookingError, NotFound, ValidationFailed
from shared.references import format_reference
from shared.timeutil import format_date, format_time, to_local

_KEY = "waitlist"
_MINUTES = 15  # how long a found booking stays open in this browser


def _found() -> dict[str, Any] | None:
    data = session.get(_KEY)
    if not data or now().timestamp() - data.get("at", 0) > _MINUTES * 60:
        return None
    return dict(data)


def when(instant) -> str:  # type: ignore[no-untyped-def]
    """'9:00am on Wednesday 25 November 2026'."""
    return f"{format_time(instant)} on {format_date(to_local(instant).date())}"


@bp.route("/join", methods=["GET", "POST"])
def join() -> str | Response:
    """Find the booking to put on the waiting list."""
    errors: dict[str, str] = {}
    form = request.form if request.method == "POST" else request.args
    reference = (form.get("reference") or "").strip()
    dob = read_date_of_birth(form)
    if request.method == "POST":
        if not reference:
            errors["reference"] = "Enter your booking reference"
        if dob.error:
            errors["dob"] = dob.error
        if not errors:
            assert dob.date is not None
            try:
                appt = find_appointment(session=db(), reference=reference, date_of_birth=dob.date)
                db().rollback()
            except NotFound as exc:
                errors["_lookup"] = exc.message
            else:
                session[_KEY] = {
                    "ref": appt.reference,
                    "dob": dob.date.isoformat(),
                    "at": now().timestamp(),
                }
                return redirect(url_for("waitlist.sites"))
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
    places = active_sites(session=db())
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
            errors = {"sites": exc.fields.get("sites", exc.message)}
        except BookingError as exc:
            errors = {"_problem": exc.message}
        else:
            session.pop(_KEY, None)
            return render_template(
                "waitlist/joined.html",
                reference=format_reference(appt.reference),
                current=when(appt.starts_at),
                places=[p.name for p in places if str(p.id) in chosen],
            )
    db().rollback()
    return render_template(
        "waitlist/sites.html",
        errors=errors,
        places=places,
        chosen=chosen,
        current=when(appt.starts_at),
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
        return render_template("waitlist/offer_gone.html", message=exc.message), 404
    if request.method == "POST":
        try:
            appt = accept_offer(session=db(), settings=settings(), token=token, now=now())
        except OfferUnavailable as exc:
            return render_template("waitlist/offer_gone.html", message=exc.message), 409
        return render_template(
            "waitlist/accepted.html",
            reference=format_reference(appt.reference),
            when=when(appt.starts_at),
            site=view.site_name,
            address=view.site_address,
        )
    if view.status != "open":
        message = {
            "accepted": "You have already accepted this time.",
            "gone": "Sorry, that time has gone: someone else accepted it first. "
            "Your booking has not changed.",
        }.get(view.status, EXPIRED_MESSAGE)
        return render_template(
            "waitlist/offer_gone.html", message=message, accepted=view.status == "accepted"
        )
    return render_template(
        "waitlist/offer.html",
        view=view,
        when=when(view.starts_at),
        current=when(view.current_starts_at),
        expires=when(view.expires_at),
        reference=format_reference(view.reference),
    )
