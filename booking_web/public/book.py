"""Book a blood test: one question per page, then 'Check your answers', then the confirmation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, redirect, render_template, request, session, url_for

from booking_web.context import db, now, settings
from booking_web.messages import words
from booking_web.nhs_login import current_identity
from booking_web.public import bp
from booking_web.public.choose import date_page, site_page, time_page
from booking_web.public.journey import (
    Flow,
    Step,
    ask,
    back_to_time,
    client_ip,
    given_answers,
    take_error,
    to_page_that_fixes,
)
from booking_web.public.questions import (
    CONTACT,
    DOB,
    HOME_POSTCODE,
    NAME,
    NHS_KNOWN,
    NHS_NUMBER,
    POSTCODE,
    REQUEST,
    TYPE,
    in_their_words,
    who,
)
from booking_web.services import ratelimit
from booking_web.services.appointment_summary import site_by_id, type_by_code
from booking_web.services.web_once import WebBooking, book_once, booking_made_with, new_booking_key
from shared import nhs_number
from shared.errors import NotFound, RateLimited, RuleViolation, SlotFull, ValidationFailed, problem
from shared.locales import N_, booked_language, gettext
from shared.timeutil import format_birth_date, format_date, format_time, london_today
from shared.validation import patient_from_fields

# What a patient signed in with NHS login is told when their details (which they cannot change
# here) are refused.
_NHS_LOGIN_PROBLEMS = {
    "identity_mismatch": problem("nhs_login_identity_mismatch"),
    "age": problem("nhs_login_age"),
}
_TIME_PROBLEMS = {"too_soon", "too_far", "wrong_type", "clinic_closed", "slot_not_found",
                  "overlapping_booking"}


def _knows_nhs_number(data: dict[str, Any]) -> bool:
    return data.get("nhs_known") == "yes"


def _without_nhs_number(data: dict[str, Any]) -> bool:
    return data.get("nhs_known") == "no"


BOOK = Flow(
    key="book",
    steps=(
        Step("type", "public.book_type", ("type",), question=TYPE),
        Step("postcode", "public.book_postcode", ("postcode",), question=POSTCODE),
        Step("site", "public.book_site", ("site_id",)),
        Step("date", "public.book_date", ("date",)),
        Step("time", "public.book_time", ("slot_id",)),
        Step("nhs_known", "public.book_nhs_known", ("nhs_known",), question=NHS_KNOWN),
        Step(
            "nhs_number",
            "public.book_nhs_number",
            ("nhs_number",),
            _knows_nhs_number,
            question=NHS_NUMBER,
        ),
        Step(
            "home_postcode",
            "public.book_home_postcode",
            ("home_postcode",),
            _without_nhs_number,
            question=HOME_POSTCODE,
        ),
        Step("name", "public.book_name", ("given_name", "family_name"), question=NAME),
        Step("dob", "public.book_dob", ("dob",), question=DOB),
        Step("contact", "public.book_contact", ("mobile", "email"), question=CONTACT),
        Step("request", "public.book_request", ("request_number",), question=REQUEST),
    ),
    final="public.book_check",
    start="public.start",
    done="public.book_done",
    caption=N_("Book a blood test"),
    invalidates={
        "type": ("site_id", "date", "slot_id", "starts_at"),
        "site_id": ("date", "slot_id", "starts_at"),
        "date": ("slot_id", "starts_at"),
        # Only one of the two ways to find the patient's records is kept.
        "nhs_known": ("nhs_number", "home_postcode"),
    },
    context=lambda data: {"who": who(data)},
    reword=in_their_words,
)


@bp.route("/book")
def book_start() -> Response:
    """Start a new booking journey; signed in with NHS login (identity checked, P9), the
    patient's details are given from it and not asked."""
    BOOK.clear()
    identity = current_identity()
    if identity is not None and identity.level == "P9" and identity.date_of_birth is not None:
        BOOK.give(BOOK.data(), nhs_known="yes", nhs_number=identity.nhs_number,
                  given_name=identity.given_name, family_name=identity.family_name,
                  dob=identity.date_of_birth.isoformat())
        if identity.mobile or identity.email:
            BOOK.give(BOOK.data(), mobile=identity.mobile, email=identity.email)
    return redirect(url_for("public.book_type"))


@bp.route("/book/type", methods=["GET", "POST"])
def book_type() -> Any:
    """What kind of blood test."""
    return ask(BOOK, "type")


@bp.route("/book/postcode", methods=["GET", "POST"])
def book_postcode() -> Any:
    """A postcode, to list places nearest first."""
    return ask(BOOK, "postcode")


@bp.route("/book/place", methods=["GET", "POST"])
def book_site() -> Any:
    """Choose a place."""
    return site_page(BOOK)


@bp.route("/book/date", methods=["GET", "POST"])
def book_date() -> Any:
    """Choose a date."""
    return date_page(BOOK)


@bp.route("/book/time", methods=["GET", "POST"])
def book_time() -> Any:
    """Choose a time."""
    return time_page(BOOK)


@bp.route("/book/nhs-number-known", methods=["GET", "POST"])
def book_nhs_known() -> Any:
    """Do you know your NHS number?"""
    return ask(BOOK, "nhs_known")


@bp.route("/book/nhs-number", methods=["GET", "POST"])
def book_nhs_number() -> Any:
    """The NHS number (spaces and dashes allowed)."""
    return ask(BOOK, "nhs_number")


@bp.route("/book/home-postcode", methods=["GET", "POST"])
def book_home_postcode() -> Any:
    """Without an NHS number: the home postcode helps find the patient's records."""
    return ask(BOOK, "home_postcode")


@bp.route("/book/name", methods=["GET", "POST"])
def book_name() -> Any:
    """Given and family name."""
    return ask(BOOK, "name")


@bp.route("/book/date-of-birth", methods=["GET", "POST"])
def book_dob() -> Any:
    """Date of birth as three fields; checked against the age rule of the chosen test."""
    return ask(BOOK, "dob")


@bp.route("/book/contact", methods=["GET", "POST"])
def book_contact() -> Any:
    """A mobile number and/or an email address for the confirmation and reminder."""
    return ask(BOOK, "contact")


@bp.route("/book/test-request-number", methods=["GET", "POST"])
def book_request() -> Any:
    """An optional test request number from the GP or hospital form."""
    return ask(BOOK, "request")


def _sent_to(data: dict[str, Any]) -> list[str]:
    """Where the confirmation goes: 'sms:07700 900982', 'email:...' (put into words in the
    page's language by public/documents.py's sent_words)."""
    sent = []
    if data.get("mobile"):
        sent.append(f"sms:{_spaced_mobile(data['mobile'])}")
    if data.get("email"):
        sent.append(f"email:{data['email']}")
    return sent


def _spaced_mobile(mobile: str) -> str:
    """07700900982 -> 07700 900982, easier to check by eye."""
    return f"{mobile[:5]} {mobile[5:]}" if len(mobile) == 11 else mobile


def _answers(data: dict[str, Any]) -> dict[str, Any]:
    """What the check page lists, in words."""
    atype = type_by_code(session=db(), code=data["type"])
    site = site_by_id(session=db(), site_id=data["site_id"])
    starts = dt.datetime.fromisoformat(data["starts_at"]) if data.get("starts_at") else None
    dob = dt.date.fromisoformat(data["dob"])
    return {
        "type": gettext(atype.name) if atype else data["type"],
        "site": site,
        "date": format_date(dt.date.fromisoformat(data["date"])),
        "time": format_time(starts) if starts else "",
        "nhs_number": nhs_number.format_nhs_number(data["nhs_number"])
        if data.get("nhs_number")
        else None,
        "home_postcode": data.get("home_postcode"),
        "name": f"{data['given_name']} {data['family_name']}",
        "dob": format_birth_date(dob),
        "mobile": _spaced_mobile(data.get("mobile") or ""),
        "email": data.get("email") or "",
        "request_number": data.get("request_number") or "",
    }


@bp.route("/book/check", methods=["GET", "POST"])
def book_check() -> Response | tuple[str, int]:
    """Check your answers, then book."""
    made = booking_made_with(session=db(), key=request.form.get("booking_key", ""), now=now())
    if made is not None:  # a double click, or this form sent again after booking
        return _confirmed(made)
    blocked = BOOK.guard("check")
    if blocked:
        return blocked
    data = BOOK.data()
    errors = take_error("public.book_check")
    if "booking_key" not in data:  # one key per journey: Book twice books once
        data["booking_key"] = new_booking_key()
        BOOK.save(data)
    if request.method == "POST":
        outcome = _book(data)
        if isinstance(outcome, Response):
            return outcome
        errors = outcome
    status = 429 if errors.get("_rate") else 400 if errors and request.method == "POST" else 200
    return render_template(
        "public/check.html",
        flow=BOOK,
        errors=errors,
        answers=_answers(data),
        given=given_answers(data),
        who=who(data),
        back_url=BOOK.back_url("check"),
        booking_key=data["booking_key"],
    ), status


def _book(data: dict[str, Any]) -> Response | dict[str, str]:
    """Book from the journey answers: a redirect on success or to the page to fix, else errors."""
    try:
        ratelimit.limit_booking(session=db(), settings=settings(), now=now(), client=client_ip())
    except RateLimited:
        return {"_rate": words(problem("device_booking_limit"))}
    try:
        details = patient_from_fields(
            {
                "nhs_number": data.get("nhs_number") or "",
                "given_name": data["given_name"],
                "family_name": data["family_name"],
                "postcode": data.get("home_postcode") or "",
                "mobile": _spaced_mobile(data.get("mobile") or ""),
                "email": data.get("email") or "",
            },
            today=london_today(now()),
            dob=dt.date.fromisoformat(data["dob"]),
        )
        made = book_once(
            session=db(),
            key=data["booking_key"],
            slot_id=data["slot_id"],
            type_code=data["type"],
            patient=details,
            now=now(),
            settings=settings(),
            request_number=data.get("request_number") or None,
            sent_to=_sent_to(data),
            language=booked_language(),
        )
    except (SlotFull, NotFound) as exc:
        return back_to_time(BOOK, words(exc))
    except (ValidationFailed, RuleViolation) as exc:
        if exc.code in _TIME_PROBLEMS:
            return back_to_time(BOOK, words(exc))
        if given_answers(data) and exc.code in _NHS_LOGIN_PROBLEMS:
            # Details from NHS login cannot be changed here: no page to send them back to.
            return {"_problem": words(_NHS_LOGIN_PROBLEMS[exc.code])}
        return to_page_that_fixes(BOOK, exc) or {"_problem": words(exc)}
    return _confirmed(made)


def _confirmed(made: WebBooking) -> Response:
    BOOK.finish()
    session["confirmed"] = {"ref": made.reference, "dob": made.date_of_birth.isoformat(), "sent_to": made.sent_to}
    return redirect(url_for("public.book_confirmation"))
