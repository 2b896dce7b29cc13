"""A requester orders tests: the patient, the tests (searchable, several at once), the details
(urgency, the 'take between' window with presets, clinical details, fasting), 'Check your
answers', then the request number. The answers wait in the session; submit_request checks
everything again and is the only thing that writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from booking_web.context import db, now, settings
from booking_web.messages import words
from booking_web.public.journey import Flow, Step, carry_error, take_error
from booking_web.services import catalogue
from booking_web.services.lab_requests import CLINICAL_DETAILS_MAX, request_postcode, submit_request
from booking_web.services.request_reading import get_request
from booking_web.staff import actor, bp, current_staff
from booking_web.staff.requests import requester_only, requester_scope
from shared import nhs_number
from shared.errors import BookingError
from shared.locales import ENGLISH, LANGUAGES, offered_language
from shared.models import RequestSource
from shared.request_rules import MAX_WEEKS, window_for_preset, window_problem
from shared.timeutil import format_date, london_today
from shared.validation import clean_email, clean_mobile, clean_name, parse_date_parts

NEW = Flow(
    key="new_request",
    steps=(
        Step("patient", "staff.new_request_patient", ("nhs_number", "given_name", "family_name", "dob", "postcode",
                                                      "mobile", "email", "language")),
        Step("tests", "staff.new_request_tests", ("tests",)),
        Step("details", "staff.new_request_details", ("urgency", "earliest", "latest", "clinical_details",
                                                      "fasting")),
    ),
    final="staff.new_request_check",
    start="staff.requests_list",
    caption="New request",
)
# Which page asks for a field the service refused, and the id of its input there.
_FIELD_PAGES = {
    "nhs_number": ("staff.new_request_patient", "nhs_number"),
    "given_name": ("staff.new_request_patient", "given_name"),
    "family_name": ("staff.new_request_patient", "family_name"),
    "date_of_birth": ("staff.new_request_patient", "dob-day"),
    "postcode": ("staff.new_request_patient", "postcode"),
    "mobile": ("staff.new_request_patient", "mobile"),
    "email": ("staff.new_request_patient", "email"),
    "language": ("staff.new_request_patient", "language"),
    "tests": ("staff.new_request_tests", "tests"),
    "earliest": ("staff.new_request_details", "when"),
    "latest": ("staff.new_request_details", "when"),
    "urgency": ("staff.new_request_details", "urgency"),
    "clinical_details": ("staff.new_request_details", "clinical_details"),
}
PRESETS = ("asap", "weeks", "after", "between")
# The patient languages in staff words, beside each one's own name (the radio's label).
LANGUAGE_WORDS = {"en": "", "cy": "Welsh", "pl": "Polish", "ar": "Arabic"}


def _language_items() -> list[dict[str, str]]:
    """The language question's radios: each language in its own name, with lang and dir."""
    return [{"value": code, "text": lang.name, "hint": LANGUAGE_WORDS.get(code, ""),
             "lang": "en-GB" if code == ENGLISH else code, "dir": lang.direction}
            for code, lang in LANGUAGES.items()]


def _page(template: str, name: str, errors: dict[str, str], **context: Any) -> tuple[str, int]:
    status = 400 if errors and request.method == "POST" else 200
    return render_template(template, flow=NEW, errors=errors, back_url=NEW.back_url(name), **context), status


def _date_parts(prefix: str, form: Any) -> dict[str, str]:
    return {p: (form.get(f"{prefix}-{p}") or "")[:10] for p in ("day", "month", "year")}


def _parts_of(saved: str | None) -> dict[str, str]:
    if not saved:
        return {}
    day = dt.date.fromisoformat(saved)
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}


@bp.get("/requests/new")
@requester_only
def new_request() -> Response:
    """Start a new request."""
    requester_scope()
    NEW.clear()
    return redirect(url_for("staff.new_request_patient"))


@bp.route("/requests/new/patient", methods=["GET", "POST"])
@requester_only
def new_request_patient() -> Response | tuple[str, int]:
    """Who the tests are for, and how to invite them."""
    data = NEW.data()
    errors = take_error("staff.new_request_patient")
    values = {k: data.get(k, "") for k in ("given_name", "family_name", "postcode", "mobile", "email")}
    values["nhs_number"] = nhs_number.format_nhs_number(data["nhs_number"]) if data.get("nhs_number") else ""
    values["language"] = data.get("language") or ENGLISH  # most patients: English, the answer before
    dob_values = _parts_of(data.get("dob"))
    if request.method == "POST":
        form = request.form
        errors = {}
        values["nhs_number"] = (form.get("nhs_number") or "")[:40]
        wrong = nhs_number.number_problem(values["nhs_number"], whose="patient")
        if wrong:
            errors["nhs_number"] = words(wrong)
        for field, part in (("given_name", "given"), ("family_name", "family")):
            values[field], error = clean_name((form.get(field) or "")[:200], part, whose="patient")
            if error:
                errors[field] = words(error)
        dob_values = _date_parts("dob", form)
        dob, error = parse_date_parts(dob_values["day"], dob_values["month"], dob_values["year"],
                                      today=london_today(now()), which="patient_dob")
        if error:
            errors["dob-day"] = words(error)
        values["postcode"], error = request_postcode((form.get("postcode") or "")[:40])
        if error:
            values["postcode"] = (form.get("postcode") or "")[:40]
            errors["postcode"] = words(error)
        values["mobile"], error = clean_mobile((form.get("mobile") or "")[:40])
        if error:
            errors["mobile"] = words(error)
        values["email"], error = clean_email((form.get("email") or "")[:300])
        if error:
            errors["email"] = words(error)
        # The form always sends one (English is chosen until the requester says otherwise).
        values["language"] = form.get("language", ENGLISH)[:10]
        if values["language"] not in LANGUAGES:
            errors["language"] = "Choose the language for messages to the patient"
        if not errors:
            assert dob is not None
            data = NEW.answer(data, nhs_number=nhs_number.normalise(values["nhs_number"]), dob=dob.isoformat(),
                              language=offered_language(values["language"]),
                              **{k: values[k] for k in ("given_name", "family_name", "postcode", "mobile", "email")})
            return redirect(NEW.next_url("patient", data))
    return _page("staff/requests/new_patient.html", "patient", errors, values=values, dob_values=dob_values,
                 language_items=_language_items())


@bp.route("/requests/new/tests", methods=["GET", "POST"])
@requester_only
def new_request_tests() -> Response | tuple[str, int]:
    """The tests, chosen from the catalogue; a search narrows the list and keeps what is ticked."""
    blocked = NEW.guard("tests")
    if blocked:
        return blocked
    data = NEW.data()
    errors = take_error("staff.new_request_tests")
    chosen: list[str] = list(data.get("tests", []))
    query = (request.values.get("q") or "")[:60]
    if request.method == "POST":
        chosen = [c[:12] for c in request.form.getlist("tests")][:40]
        if request.form.get("action") != "search":
            found = catalogue.active_codes(session=db(), codes=chosen)
            if not found:
                errors = {"tests": "Choose at least one test"}
            else:
                data = NEW.answer(data, tests=found)
                return redirect(NEW.next_url("tests", data))
    tests = catalogue.search_tests(session=db(), query=query, keep=chosen)
    return _page("staff/requests/new_tests.html", "tests", errors, tests=tests, chosen=chosen, query=query)


@bp.route("/requests/new/details", methods=["GET", "POST"])
@requester_only
def new_request_details() -> Response | tuple[str, int]:
    """How urgent, when to take the blood, clinical details and fasting."""
    blocked = NEW.guard("details")
    if blocked:
        return blocked
    data = NEW.data()
    errors = take_error("staff.new_request_details")
    today = london_today(now())
    fasting_tests = catalogue.fasting_test_names(session=db(), codes=data.get("tests", []))
    values: dict[str, Any] = {
        "urgency": data.get("urgency", ""), "when": data.get("when", ""), "weeks": data.get("weeks", ""),
        "clinical_details": data.get("clinical_details", ""), "fasting": data.get("fasting", False),
        "after": _parts_of(data.get("earliest")) if data.get("when") == "after" else {},
        "earliest": _parts_of(data.get("earliest")) if data.get("when") == "between" else {},
        "latest": _parts_of(data.get("latest")) if data.get("when") == "between" else {},
    }
    if request.method == "POST":
        form = request.form
        values = {
            "urgency": form.get("urgency", "")[:10], "when": form.get("when", "")[:10],
            "weeks": (form.get("weeks") or "").strip()[:3], "fasting": form.get("fasting") == "yes",
            "clinical_details": (form.get("clinical_details") or "")[:CLINICAL_DETAILS_MAX + 100],
            "after": _date_parts("after", form), "earliest": _date_parts("earliest", form),
            "latest": _date_parts("latest", form),
        }
        errors, window = _read_details(values, today)
        if not errors:
            assert window is not None
            data = NEW.answer(data, urgency=values["urgency"], when=values["when"], weeks=values["weeks"],
                              earliest=window[0].isoformat(), latest=window[1].isoformat(),
                              clinical_details=values["clinical_details"].strip(), fasting=values["fasting"])
            return redirect(NEW.next_url("details", data))
    return _page("staff/requests/new_details.html", "details", errors, values=values, fasting_tests=fasting_tests,
                 max_weeks=MAX_WEEKS, limit=CLINICAL_DETAILS_MAX, asap_until=format_date(today + dt.timedelta(days=7)))


def _read_details(values: dict[str, Any], today: dt.date) -> tuple[dict[str, str], tuple[dt.date, dt.date] | None]:
    """Problems with the details form (field id -> message) and the window it gives."""
    errors: dict[str, str] = {}
    if values["urgency"] not in ("routine", "urgent"):
        errors["urgency"] = "Choose routine or urgent"
    window = None
    when = values["when"]
    if when not in PRESETS:
        errors["when"] = "Choose when the blood should be taken"
    elif when == "weeks":
        weeks = int(values["weeks"]) if values["weeks"].isdigit() else 0
        window = window_for_preset("weeks", today=today, weeks=weeks)
        if window is None:
            errors["weeks"] = f"Enter a number of weeks from 1 to {MAX_WEEKS}"
    elif when == "after":
        after = _future_date(values["after"], today, "date", "after-day", errors)
        window = window_for_preset("after", today=today, after=after) if after else None
    elif when == "between":
        first = _future_date(values["earliest"], today, "earliest date", "earliest-day", errors)
        last = _future_date(values["latest"], today, "latest date", "latest-day", errors)
        window = (first, last) if first and last else None
    else:
        window = window_for_preset("asap", today=today)
    if window is not None:
        problem = window_problem(*window, today=today)
        if problem:
            field = {"asap": "when", "weeks": "weeks", "after": "after-day"}.get(when, "latest-day")
            field = "earliest-day" if when == "between" and "earliest" in problem else field
            errors[field] = words(next(iter(problem.values())))
            window = None
    details = values["clinical_details"].strip()
    if len(details) > CLINICAL_DETAILS_MAX:
        errors["clinical_details"] = f"Clinical details must be {CLINICAL_DETAILS_MAX} characters or fewer"
    elif any(not (c.isprintable() or c in "\r\n") for c in details):
        errors["clinical_details"] = "Clinical details contain a character that cannot be used"
    return errors, window


def _future_date(parts: dict[str, str], today: dt.date, label: str, field: str,
                 errors: dict[str, str]) -> dt.date | None:
    """A date of the window from three boxes (the window rules say what is too early or late)."""
    if not any(v.strip() for v in parts.values()):
        errors[field] = f"Enter the {label}"
        return None
    which = {"date": "date", "earliest date": "earliest", "latest date": "latest"}[label]
    day, error = parse_date_parts(parts["day"], parts["month"], parts["year"], today=today, which=which,
                                  future=True)
    if error:
        errors[field] = words(error)
        return None
    return day


def _answers(data: dict[str, Any]) -> dict[str, Any]:
    names = catalogue.names_of_tests(session=db(), codes=data.get("tests", []))
    dob = dt.date.fromisoformat(data["dob"])
    return {
        "nhs_number": nhs_number.format_nhs_number(data["nhs_number"]),
        "name": f"{data['given_name']} {data['family_name']}",
        "dob": format_date(dob).split(" ", 1)[1],
        "postcode": data.get("postcode") or "",
        "mobile": data.get("mobile") or "",
        "email": data.get("email") or "",
        "language": data.get("language") or "",
        "tests": names,
        "fasting": data.get("fasting") or bool(catalogue.fasting_test_names(session=db(), codes=data.get("tests", []))),
        "urgency": "Urgent" if data.get("urgency") == "urgent" else "Routine",
        "window": f"{format_date(dt.date.fromisoformat(data['earliest']))} and "
                  f"{format_date(dt.date.fromisoformat(data['latest']))}",
        "clinical_details": data.get("clinical_details") or "",
    }


@bp.route("/requests/new/check", methods=["GET", "POST"])
@requester_only
def new_request_check() -> Response | tuple[str, int]:
    """Check the answers, then send the request."""
    blocked = NEW.guard("check")
    if blocked:
        return blocked
    data = NEW.data()
    missing = NEW.first_missing(data)
    if missing:
        return redirect(url_for(missing.endpoint))
    errors = take_error("staff.new_request_check")
    if request.method == "POST":
        requester_scope()
        try:
            submitted = submit_request(
                session=db(), nhs_number=data["nhs_number"], tests=data["tests"], requester=None,
                given_name=data["given_name"], family_name=data["family_name"], date_of_birth=data["dob"],
                postcode=data.get("postcode"), mobile=data["mobile"], email=data["email"],
                language=data.get("language") or None, earliest=data["earliest"], latest=data["latest"],
                urgency=data["urgency"], clinical_details=data["clinical_details"], fasting=data["fasting"],
                user=current_staff(), source=RequestSource.WEB, actor=actor(), settings=settings(), now=now(),
            )
        except BookingError as exc:
            db().rollback()
            for field, found in exc.fields.items():
                if field in _FIELD_PAGES:
                    endpoint, field_id = _FIELD_PAGES[field]
                    carry_error(endpoint, field_id, words(found))
                    return redirect(url_for(endpoint, **{"from": "check"}))
            errors = {"_problem": words(exc)}
        else:
            NEW.clear()
            session["request_done"] = submitted.request.request_number
            return redirect(url_for("staff.new_request_done"))
    return _page("staff/requests/new_check.html", "check", errors, answers=_answers(data))


@bp.get("/requests/new/done")
@requester_only
def new_request_done() -> Response | str:
    """The request number, and what happens next."""
    number = session.get("request_done")
    if not number:
        return redirect(url_for("staff.requests_list"))
    view = get_request(session=db(), request_number=number, scope=requester_scope(), actor=None, now=now())
    return render_template("staff/requests/new_done.html", view=view)
