"""Book a blood test: one question per page, then 'Check your answers', then the confirmation."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Response, redirect, render_template, request, session, url_for

from booking_web.booking_line import booking_line
from booking_web.context import db, now, settings
from booking_web.public import bp
from booking_web.public.choose import date_page, site_page, time_page
from booking_web.public.journey import Flow, Step, carry_error, client_ip, take_error
from booking_web.services import availability, booking, ratelimit
from booking_web.services.appointment_summary import site_by_id, type_by_code
from shared import nhs_number
from shared.errors import NotFound, RateLimited, RuleViolation, SlotFull, ValidationFailed
from shared.rules import age_problem
from shared.timeutil import format_date, format_time, london_today
from shared.validation import (
    clean_email,
    clean_mobile,
    clean_name,
    clean_postcode,
    parse_date_parts,
    patient_from_fields,
)

BOOK = Flow(
    key="book",
    steps=(
        Step("type", "public.book_type", ("type",)),
        Step("postcode", "public.book_postcode", ("postcode",)),
        Step("site", "public.book_site", ("site_id",)),
        Step("date", "public.book_date", ("date",)),
        Step("time", "public.book_time", ("slot_id",)),
        Step("nhs_known", "public.book_nhs_known", ("nhs_known",)),
        Step(
            "nhs_number",
            "public.book_nhs_number",
            ("nhs_number",),
            lambda d: d.get("nhs_known") == "yes",
        ),
        Step(
            "home_postcode",
            "public.book_home_postcode",
            ("home_postcode",),
            lambda d: d.get("nhs_known") == "no",
        ),
        Step("name", "public.book_name", ("given_name", "family_name")),
        Step("dob", "public.book_dob", ("dob",)),
        Step("contact", "public.book_contact", ("mobile", "email")),
        Step("request", "public.book_request", ("request_number",)),
    ),
    final="public.book_check",
    start="public.start",
    caption="Book a blood test",
    invalidates={
        "type": ("site_id", "date", "slot_id", "starts_at"),
        "site_id": ("date", "slot_id", "starts_at"),
        "date": ("slot_id", "starts_at"),
    },
)
_REQUEST_NUMBER_ERROR = "A test request number is up to 20 letters and numbers, like GP-123456"
_REQUEST_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/]{0,19}$")
# Which question page shows a problem the booking service found with a field.
_FIELD_PAGES = {
    "nhs_number": ("public.book_nhs_number", "nhs_number"),
    "given_name": ("public.book_name", "given_name"),
    "family_name": ("public.book_name", "family_name"),
    "date_of_birth": ("public.book_dob", "dob-day"),
    "postcode": ("public.book_home_postcode", "home_postcode"),
    "mobile": ("public.book_contact", "mobile"),
    "email": ("public.book_contact", "email"),
}
_TIME_PROBLEMS = {"too_soon", "too_far", "wrong_type", "clinic_closed", "slot_not_found"}


def _who(data: dict[str, Any]) -> dict[str, str]:
    """Wording for the person having the test: a parent usually books a child's."""
    if data.get("type") == "child":
        return {"your": "the child's", "you": "the child"}
    return {"your": "your", "you": "you"}


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    errors = context.get("errors") or {}
    if errors and request.method == "POST":
        status = max(status, 400)
    return render_template(template, flow=BOOK, **context), status


@bp.route("/book")
def book_start() -> Response:
    """Start a new booking journey."""
    BOOK.clear()
    return redirect(url_for("public.book_type"))


@bp.route("/book/type", methods=["GET", "POST"])
def book_type() -> Response | tuple[str, int]:
    """What kind of blood test."""
    data = BOOK.data()
    types = availability.appointment_types(session=db())
    errors = take_error("public.book_type")
    chosen = data.get("type")
    if request.method == "POST":
        chosen = request.form.get("type", "")
        if chosen not in {t.code for t in types}:
            errors = {"type": "Choose the type of blood test you need"}
        else:
            data = BOOK.answer(data, type=chosen)
            return redirect(BOOK.next_url("type", data))
    items = [{"value": t.code, "text": t.name, "hint": t.description} for t in types]
    return _page(
        "public/radios_question.html",
        errors=errors,
        name="type",
        items=items,
        value=chosen,
        title="What type of blood test do you need?",
        hint="Check the letter or form from your GP or hospital if you are not sure.",
        back_url=BOOK.back_url("type"),
    )


@bp.route("/book/postcode", methods=["GET", "POST"])
def book_postcode() -> Response | tuple[str, int]:
    """A postcode, to list places nearest first."""
    blocked = BOOK.guard("postcode")
    if blocked:
        return blocked
    data = BOOK.data()
    errors: dict[str, str] = {}
    value = data.get("postcode", "")
    if request.method == "POST":
        if request.form.get("all") == "1":
            data = BOOK.answer(data, postcode="")
            return redirect(BOOK.next_url("postcode", data))
        value, error = clean_postcode(request.form.get("postcode"))
        if error:
            errors = {"postcode": error}
        else:
            data = BOOK.answer(data, postcode=value)
            return redirect(BOOK.next_url("postcode", data))
    return _page(
        "public/postcode.html", errors=errors, value=value, back_url=BOOK.back_url("postcode")
    )


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
def book_nhs_known() -> Response | tuple[str, int]:
    """Do you know your NHS number?"""
    blocked = BOOK.guard("nhs_known")
    if blocked:
        return blocked
    data = BOOK.data()
    who = _who(data)
    errors: dict[str, str] = {}
    chosen = data.get("nhs_known")
    if request.method == "POST":
        chosen = request.form.get("nhs_known", "")
        if chosen not in ("yes", "no"):
            errors = {"nhs_known": f"Select yes if you know {who['your']} NHS number"}
        else:
            data = BOOK.answer(data, nhs_known=chosen)
            if chosen == "yes":
                data.pop("home_postcode", None)
            else:
                data.pop("nhs_number", None)
            BOOK.save(data)
            return redirect(BOOK.next_url("nhs_known", data))
    items = [
        {"value": "yes", "text": "Yes"},
        {
            "value": "no",
            "text": "No",
            "hint": "You can still book. We will ask for a home postcode instead.",
        },
    ]
    return _page(
        "public/radios_question.html",
        errors=errors,
        name="nhs_known",
        items=items,
        value=chosen,
        title=f"Do you know {who['your']} NHS number?",
        hint="You can find it on a letter from the NHS, on a prescription, or in the NHS App.",
        back_url=BOOK.back_url("nhs_known"),
    )


@bp.route("/book/nhs-number", methods=["GET", "POST"])
def book_nhs_number() -> Response | tuple[str, int]:
    """The NHS number (spaces and dashes allowed)."""
    blocked = BOOK.guard("nhs_number")
    if blocked:
        return blocked
    data = BOOK.data()
    errors = take_error("public.book_nhs_number")
    value = nhs_number.format_nhs_number(data["nhs_number"]) if data.get("nhs_number") else ""
    if request.method == "POST":
        value = (request.form.get("nhs_number") or "")[:40]
        message = nhs_number.validation_message(value)
        if message:
            errors = {"nhs_number": message}
        else:
            data = BOOK.answer(data, nhs_number=nhs_number.normalise(value))
            return redirect(BOOK.next_url("nhs_number", data))
    return _page(
        "public/nhs_number.html",
        errors=errors,
        value=value,
        who=_who(data),
        back_url=BOOK.back_url("nhs_number"),
    )


@bp.route("/book/home-postcode", methods=["GET", "POST"])
def book_home_postcode() -> Response | tuple[str, int]:
    """Without an NHS number: the home postcode helps find the patient's records."""
    blocked = BOOK.guard("home_postcode")
    if blocked:
        return blocked
    data = BOOK.data()
    errors = take_error("public.book_home_postcode")
    searched = data.get("postcode") or ""
    value = data.get("home_postcode") or (searched if " " in searched else "")
    if request.method == "POST":
        value, error = clean_postcode(request.form.get("home_postcode"))
        if not error and " " not in value:
            error = "Enter your full postcode, like LS1 4AB"
        if error:
            errors = {"home_postcode": error}
        else:
            data = BOOK.answer(data, home_postcode=value)
            return redirect(BOOK.next_url("home_postcode", data))
    return _page(
        "public/home_postcode.html",
        errors=errors,
        value=value,
        who=_who(data),
        back_url=BOOK.back_url("home_postcode"),
    )


@bp.route("/book/name", methods=["GET", "POST"])
def book_name() -> Response | tuple[str, int]:
    """Given and family name."""
    blocked = BOOK.guard("name")
    if blocked:
        return blocked
    data = BOOK.data()
    errors = take_error("public.book_name")
    values = {"given_name": data.get("given_name", ""), "family_name": data.get("family_name", "")}
    if request.method == "POST":
        errors = {}
        for field, label in (("given_name", "first name"), ("family_name", "last name")):
            values[field], error = clean_name((request.form.get(field) or "")[:200], label)
            if error:
                errors[field] = error
        if not errors:
            data = BOOK.answer(data, **values)
            return redirect(BOOK.next_url("name", data))
    return _page(
        "public/name.html",
        errors=errors,
        values=values,
        who=_who(data),
        back_url=BOOK.back_url("name"),
    )


def _dob_parts_in_error(day: str, month: str, year: str, message: str) -> tuple[str, ...]:
    missing = tuple(p for p, v in (("day", day), ("month", month), ("year", year)) if not v.strip())
    if "must include" in message and missing:
        return missing
    if message.startswith("Year"):
        return ("year",)
    return ()


@bp.route("/book/date-of-birth", methods=["GET", "POST"])
def book_dob() -> Response | tuple[str, int]:
    """Date of birth as three fields; checked against the age rule of the chosen test."""
    blocked = BOOK.guard("dob")
    if blocked:
        return blocked
    data = BOOK.data()
    errors = take_error("public.book_dob")
    parts_in_error: tuple[str, ...] = ()
    values: dict[str, str] = {}
    if data.get("dob"):
        saved = dt.date.fromisoformat(data["dob"])
        values = {"day": str(saved.day), "month": str(saved.month), "year": str(saved.year)}
    if request.method == "POST":
        values = {p: (request.form.get(f"dob-{p}") or "")[:10] for p in ("day", "month", "year")}
        dob, error = parse_date_parts(
            values["day"], values["month"], values["year"], today=london_today(now())
        )
        if error is None and dob is not None:
            error = _age_problem(data, dob)
        if error:
            parts_in_error = _dob_parts_in_error(
                values["day"], values["month"], values["year"], error
            )
            errors = {f"dob-{(parts_in_error or ('day',))[0]}": error}
        else:
            assert dob is not None
            data = BOOK.answer(data, dob=dob.isoformat())
            return redirect(BOOK.next_url("dob", data))
    return _page(
        "public/dob.html",
        errors=errors,
        values=values,
        parts_in_error=parts_in_error,
        who=_who(data),
        back_url=BOOK.back_url("dob"),
    )


def _age_problem(data: dict[str, Any], dob: dt.date) -> str | None:
    atype = type_by_code(session=db(), code=data.get("type", ""))
    if atype is None or not data.get("date"):
        return None
    return age_problem(booking.type_rule(atype), dob, dt.date.fromisoformat(data["date"]))


@bp.route("/book/contact", methods=["GET", "POST"])
def book_contact() -> Response | tuple[str, int]:
    """A mobile number and/or an email address for the confirmation and reminder."""
    blocked = BOOK.guard("contact")
    if blocked:
        return blocked
    data = BOOK.data()
    errors = take_error("public.book_contact")
    values = {"mobile": data.get("mobile", ""), "email": data.get("email", "")}
    if request.method == "POST":
        errors = {}
        values["mobile"], error = clean_mobile((request.form.get("mobile") or "")[:40])
        if error:
            errors["mobile"] = error
        values["email"], error = clean_email((request.form.get("email") or "")[:300])
        if error:
            errors["email"] = error
        if not errors and not values["mobile"] and not values["email"]:
            errors["mobile"] = "Enter a mobile phone number or an email address"
        if not errors:
            data = BOOK.answer(data, **values)
            return redirect(BOOK.next_url("contact", data))
    return _page(
        "public/contact.html", errors=errors, values=values, back_url=BOOK.back_url("contact")
    )


@bp.route("/book/test-request-number", methods=["GET", "POST"])
def book_request() -> Response | tuple[str, int]:
    """An optional test request number from the GP or hospital form."""
    blocked = BOOK.guard("request")
    if blocked:
        return blocked
    data = BOOK.data()
    errors: dict[str, str] = {}
    value = data.get("request_number", "")
    if request.method == "POST":
        value = (request.form.get("request_number") or "").strip()[:40]
        if value and not _REQUEST_NUMBER.match(value):
            errors = {"request_number": _REQUEST_NUMBER_ERROR}
        else:
            data = BOOK.answer(data, request_number=value)
            return redirect(BOOK.next_url("request", data))
    return _page(
        "public/request_number.html", errors=errors, value=value, back_url=BOOK.back_url("request")
    )


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
        "type": atype.name if atype else data["type"],
        "site": site,
        "date": format_date(dt.date.fromisoformat(data["date"])),
        "time": format_time(starts) if starts else "",
        "nhs_number": nhs_number.format_nhs_number(data["nhs_number"])
        if data.get("nhs_number")
        else None,
        "home_postcode": data.get("home_postcode"),
        "name": f"{data['given_name']} {data['family_name']}",
        "dob": f"{dob.day} {dob:%B %Y}",
        "mobile": _spaced_mobile(data.get("mobile") or ""),
        "email": data.get("email") or "",
        "request_number": data.get("request_number") or "",
    }


@bp.route("/book/check", methods=["GET", "POST"])
def book_check() -> Response | tuple[str, int]:
    """Check your answers, then book."""
    blocked = BOOK.guard("check")
    if blocked:
        return blocked
    data = BOOK.data()
    missing = BOOK.first_missing(data)
    if missing:
        return redirect(url_for(missing.endpoint))
    errors = take_error("public.book_check")
    if request.method == "POST":
        outcome = _book(data)
        if isinstance(outcome, Response):
            return outcome
        errors = outcome
    status = 429 if errors.get("_rate") else 200
    return _page(
        "public/check.html",
        status=status,
        errors=errors,
        answers=_answers(data),
        who=_who(data),
        back_url=BOOK.back_url("check"),
    )


def _book(data: dict[str, Any]) -> Response | dict[str, str]:
    """Book from the journey answers: a redirect on success or to the page to fix, else errors."""
    try:
        ratelimit.hit(
            session=db(),
            key=f"book:ip:{client_ip()}",
            limit=settings().booking_limit_per_hour,
            window=dt.timedelta(hours=1),
            now=now(),
        )
    except RateLimited:
        return {
            "_rate": "There have been too many bookings from this device in the last hour. "
            f"Please try again later, or call {booking_line(settings()).words()}."
        }
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
        appointment = booking.book_appointment(
            session=db(),
            slot_id=data["slot_id"],
            type_code=data["type"],
            patient=details,
            now=now(),
            settings=settings(),
            request_number=data.get("request_number") or None,
        )
    except (SlotFull, NotFound) as exc:
        return _back_to_time(
            data,
            "Sorry, that time has just been taken. Choose another time."
            if isinstance(exc, SlotFull)
            else exc.message,
        )
    except ValidationFailed as exc:
        return _back_to_field(exc) or {"_problem": exc.message}
    except RuleViolation as exc:
        if exc.code in _TIME_PROBLEMS:
            return _back_to_time(data, exc.message)
        return _back_to_field(exc) or {"_problem": exc.message}
    BOOK.clear()
    session["confirmed"] = {"ref": appointment.reference, "dob": data["dob"]}
    return redirect(url_for("public.book_confirmation"))


def _back_to_time(data: dict[str, Any], message: str) -> Response:
    data.pop("slot_id", None)
    data.pop("starts_at", None)
    BOOK.save(data)
    carry_error("public.book_time", "slot_id", message)
    return redirect(url_for("public.book_time", **{"from": "check"}))


def _back_to_field(exc: ValidationFailed | RuleViolation) -> Response | None:
    for field, message in exc.fields.items():
        if field in _FIELD_PAGES:
            endpoint, field_id = _FIELD_PAGES[field]
            carry_error(
                endpoint, field_id, message if exc.code != "identity_mismatch" else exc.message
            )
            return redirect(url_for(endpoint, **{"from": "check"}))
    return None
