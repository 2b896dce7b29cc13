"""Booking through a test request's invitation link: the link opens the request, the patient
gives their date of birth (the only proof asked; three wrong tries and the link is dead), then
chooses a place, a date inside the window the GP practice asked for and a time, checks and books.
The appointment type follows from the patient and the tests; nothing about the patient is kept
in the browser (the cookie holds the request's id, not their details)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, redirect, render_template, request, session, url_for

from booking_web.context import db, now, settings
from booking_web.messages import field_words, words
from booking_web.public import bp
from booking_web.public.choose import date_page, site_page, time_page
from booking_web.public.documents import sent_words
from booking_web.public.journey import (
    Flow,
    Step,
    ask,
    back_to_time,
    client_ip,
    read_date_of_birth,
    take_error,
)
from booking_web.public.questions import POSTCODE, who
from booking_web.services import booking, ratelimit
from booking_web.services.appointment_summary import site_by_id, type_by_code
from booking_web.services.request_invitations import (
    Invited,
    invited,
    open_invitation,
    prove_invitation,
)
from shared.errors import (
    BookingError,
    NotFound,
    RateLimited,
    RuleViolation,
    SlotFull,
    ValidationFailed,
    problem,
)
from shared.locales import N_, booked_language
from shared.timeutil import format_date, format_time, london_today

INVITED = Flow(
    key="invited",
    steps=(
        Step("dob", "public.invited_dob", ("proved",)),
        Step("postcode", "public.invited_postcode", ("postcode",), question=POSTCODE),
        Step("site", "public.invited_site", ("site_id",)),
        Step("date", "public.invited_date", ("date",)),
        Step("time", "public.invited_time", ("slot_id",)),
    ),
    final="public.invited_check",
    start="public.start",
    done="public.book_done",
    caption=N_("Book the blood test your GP practice asked for"),
    invalidates={"site_id": ("date", "slot_id", "starts_at"), "date": ("slot_id", "starts_at")},
    context=lambda data: {"who": who(data)},
)
_TIME_PROBLEMS = {"too_soon", "too_far", "wrong_type", "clinic_closed", "slot_not_found", "request_window"}


def _dead_link(message: str | None = None) -> tuple[str, int]:
    INVITED.clear()
    return render_template("public/invitation_invalid.html", message=message, back_url=None), 404


@bp.get("/r/<token>")
def invitation(token: str) -> Response | tuple[str, int]:
    """The link in the invitation: open the request's booking journey (or say the link is dead)."""
    try:
        opened = open_invitation(session=db(), token=token, secret=settings().secret_key, now=now())
    except BookingError as exc:
        return _dead_link(words(exc))
    INVITED.clear()
    INVITED.save({"request_id": opened.request_id, "earliest": opened.earliest.isoformat(),
                  "latest": opened.latest.isoformat()})
    return redirect(url_for("public.invited_dob"))


def start_signed_in(request_id: int) -> Response | tuple[str, int]:
    """Begin booking a request for a patient NHS login has already proved (P9): the date of
    birth is not asked, its page is skipped."""
    try:
        got = invited(session=db(), request_id=request_id, now=now())
    except BookingError as exc:
        return _dead_link(words(exc))
    INVITED.clear()
    data = INVITED.give({"request_id": got.request_id, "earliest": got.earliest.isoformat(),
                         "latest": got.latest.isoformat()}, proved=True)
    data = INVITED.answer(data, type=got.type_for(max(got.earliest, london_today(now()))))
    return redirect(INVITED.next_url("dob", data))


@bp.route("/book/invitation/date-of-birth", methods=["GET", "POST"])
def invited_dob() -> Response | tuple[str, int]:
    """The patient's date of birth: the one thing that proves the link is theirs."""
    blocked = INVITED.guard("dob")  # a booking already made: to its page
    if blocked:
        return blocked
    data = INVITED.data()
    if "request_id" not in data:
        return _dead_link()
    errors = take_error("public.invited_dob")
    dob = read_date_of_birth({}) if request.method == "GET" else read_date_of_birth(request.form)
    if request.method == "POST":
        errors = {dob.field_id: dob.error} if dob.error else {}
        if dob.date is not None:
            try:
                proved = prove_invitation(session=db(), request_id=data["request_id"], date_of_birth=dob.date,
                                          now=now())
            except ValidationFailed as exc:
                errors = field_words(exc)
            except BookingError as exc:
                return _dead_link(words(exc))
            else:
                day = max(proved.earliest, london_today(now()))
                data = INVITED.answer(data, proved=True, type=proved.type_for(day))
                return redirect(INVITED.next_url("dob", data))
    status = 400 if errors and request.method == "POST" else 200
    return render_template("public/invitation_dob.html", flow=INVITED, errors=errors,
                           values=dob.values if request.method == "POST" else {},
                           parts_in_error=dob.parts_in_error if request.method == "POST" else (),
                           window=(dt.date.fromisoformat(data["earliest"]), dt.date.fromisoformat(data["latest"])),
                           back_url=None), status


@bp.route("/book/invitation/postcode", methods=["GET", "POST"])
def invited_postcode() -> Any:
    """A postcode, to list places nearest first."""
    return ask(INVITED, "postcode")


@bp.route("/book/invitation/place", methods=["GET", "POST"])
def invited_site() -> Any:
    """Choose a place that runs this type of test."""
    return site_page(INVITED)


@bp.route("/book/invitation/date", methods=["GET", "POST"])
def invited_date() -> Any:
    """Choose a date inside the window the GP practice asked for."""
    return date_page(INVITED)


@bp.route("/book/invitation/time", methods=["GET", "POST"])
def invited_time() -> Any:
    """Choose a time."""
    return time_page(INVITED)


def _sent_to(got: Invited) -> list[str]:
    sent = []
    if got.patient.mobile:
        sent.append(f"sms:{got.patient.mobile[:5]} {got.patient.mobile[5:]}")
    if got.patient.email:
        sent.append(f"email:{got.patient.email}")
    return sent


def _answers(data: dict[str, Any], got: Invited) -> dict[str, Any]:
    atype = type_by_code(session=db(), code=data["type"])
    starts = dt.datetime.fromisoformat(data["starts_at"])
    return {
        "type": atype.name if atype else data["type"],
        "tests": got.tests,
        "site": site_by_id(session=db(), site_id=data["site_id"]),
        "date": format_date(dt.date.fromisoformat(data["date"])),
        "time": format_time(starts),
        "sent_to": [sent_words(item) for item in _sent_to(got)],
    }


@bp.route("/book/invitation/check", methods=["GET", "POST"])
def invited_check() -> Response | tuple[str, int]:
    """Check the booking, then book it for the request."""
    blocked = INVITED.guard("check")
    if blocked:
        return blocked
    data = INVITED.data()
    try:
        got = invited(session=db(), request_id=data["request_id"], now=now())
    except BookingError as exc:
        return _dead_link(words(exc))
    errors = take_error("public.invited_check")
    if request.method == "POST":
        outcome = _book(data, got)
        if isinstance(outcome, Response):
            return outcome
        errors = outcome
    status = 429 if errors.get("_rate") else 400 if errors and request.method == "POST" else 200
    return render_template("public/invitation_check.html", flow=INVITED, errors=errors,
                           answers=_answers(data, got), back_url=INVITED.back_url("check")), status


def _book(data: dict[str, Any], got: Invited) -> Response | dict[str, str]:
    """Book from the answers: to the confirmation, or back to the page to change, or errors."""
    try:
        ratelimit.limit_booking(session=db(), settings=settings(), now=now(), client=client_ip())
    except RateLimited:
        return {"_rate": words(problem("device_booking_limit"))}
    try:
        booked = booking.book_appointment(session=db(), slot_id=data["slot_id"], type_code=data["type"],
                                          patient=got.patient, now=now(), settings=settings(),
                                          request_number=got.request_number, language=booked_language())
    except (SlotFull, NotFound) as exc:
        return back_to_time(INVITED, words(exc))
    except (ValidationFailed, RuleViolation) as exc:
        if exc.code in _TIME_PROBLEMS:
            return back_to_time(INVITED, words(exc))
        return {"_problem": words(exc)}
    INVITED.finish()
    session["confirmed"] = {"ref": booked.booking.reference, "dob": got.patient.date_of_birth.isoformat(),
                            "sent_to": _sent_to(got)}
    return redirect(url_for("public.book_confirmation"))
