"""The questions a patient journey asks, each declared once: what the page shows, how its answer
is read and checked, and which service field problems it is the page to fix. A journey (booking,
or a variant with some answers given) lists the ones it asks, in order."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from booking_web.context import db
from booking_web.messages import words
from booking_web.public.journey import (
    Question,
    Reply,
    choice_question,
    date_of_birth_values,
    read_date_of_birth,
    text_question,
)
from booking_web.services import availability, booking
from booking_web.services.appointment_summary import type_by_code
from booking_web.services.lab_requests import (
    REQUEST_NUMBER_EXAMPLE,
    normalise_request_number,
    request_for_patient,
)
from shared import nhs_number
from shared.errors import Problem, ValidationFailed, problem
from shared.locales import N_
from shared.locales import gettext as _
from shared.rules import age_problem
from shared.validation import clean_email, clean_mobile, clean_name, clean_postcode

_REQUEST_NUMBER = re.compile(r"^[A-Z0-9]{1,20}$")


def who(data: dict[str, Any]) -> dict[str, str]:
    """Wording for the person having the test: a parent usually books a child's."""
    if data.get("type") == "child":
        return {"your": "the child's", "you": "the child"}
    return {"your": "your", "you": "you"}


_THEIR = re.compile(r"\b(Your|your)\b")


def in_their_words(data: dict[str, Any], message: str) -> str:
    """A message about the patient, for a parent booking a child's test: 'Their date of birth
    must be in the past', not 'Your ...'."""
    if who(data)["you"] != "the child":
        return message
    return _THEIR.sub(lambda m: "Their" if m.group(1) == "Your" else "their", message)


def _type_items(_data: dict[str, Any]) -> list[dict[str, Any]]:
    types = availability.appointment_types(session=db())
    # Built-in names and descriptions are in the catalogues; ones staff typed show as typed.
    return [{"value": t.code, "text": _(t.name), "hint": _(t.description) if t.description else ""}
            for t in types]


TYPE = choice_question(
    "type",
    _type_items,
    title=lambda _data: _("What type of blood test do you need?"),
    hint=N_("Check the letter or form from your GP or hospital if you are not sure."),
    error=lambda _data: _("Select the type of blood test you need"),
)


def _read_postcode(form: Mapping[str, str], _data: dict[str, Any]) -> Reply:
    if form.get("all") == "1":  # "Show all places from A to Z"
        return Reply({"value": ""}, answers={"postcode": ""})
    value, wrong = clean_postcode(form.get("postcode"))
    if wrong:
        return Reply({"value": value}, {"postcode": words(wrong)})
    return Reply({"value": value}, answers={"postcode": value})


POSTCODE = Question(
    "public/postcode.html",
    shown=lambda data: {"value": data.get("postcode", "")},
    read=_read_postcode,
)

NHS_KNOWN = choice_question(
    "nhs_known",
    lambda _data: [
        {"value": "yes", "text": _("Yes")},
        {
            "value": "no",
            "text": _("No"),
            "hint": _("You can still book. We will ask for a home postcode instead."),
        },
    ],
    title=lambda data: (
        _("Do you know the child's NHS number?") if who(data)["you"] == "the child"
        else _("Do you know your NHS number?")
    ),
    hint=N_("You can find it on a letter from the NHS, on a prescription, or in the NHS App."),
    error=lambda data: (
        _("Select yes if you know the child's NHS number") if who(data)["you"] == "the child"
        else _("Select yes if you know your NHS number")
    ),
)


def _clean_nhs_number(raw: str, _data: dict[str, Any]) -> tuple[str, Problem | None]:
    wrong = nhs_number.number_problem(raw)
    return (raw, wrong) if wrong else (nhs_number.normalise(raw), None)


NHS_NUMBER = text_question(
    "nhs_number",
    "public/nhs_number.html",
    _clean_nhs_number,
    shown=lambda data: (
        nhs_number.format_nhs_number(data["nhs_number"]) if data.get("nhs_number") else ""
    ),
    fixes={"nhs_number": "nhs_number"},
)


def _clean_home_postcode(raw: str, _data: dict[str, Any]) -> tuple[str, Problem | None]:
    value, wrong = clean_postcode(raw)
    if not wrong and " " not in value:
        wrong = problem("postcode_full_needed")
    return value, wrong


HOME_POSTCODE = text_question(
    "home_postcode",
    "public/home_postcode.html",
    _clean_home_postcode,
    longest=200,
    # The postcode searched with, when it was a full one, saves typing it again.
    shown=lambda data: (
        data.get("home_postcode")
        or (data.get("postcode", "") if " " in (data.get("postcode") or "") else "")
    ),
    fixes={"postcode": "home_postcode"},
)


def _read_fields(
    form: Mapping[str, str], cleaners: dict[str, tuple[int, Any]]
) -> tuple[dict[str, str], dict[str, str]]:
    """Several text boxes, each cleaned by its own function: the values and the problems."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, (longest, clean) in cleaners.items():
        values[key], wrong = clean((form.get(key) or "")[:longest])
        if wrong:
            errors[key] = words(wrong)
    return values, errors


def _read_name(form: Mapping[str, str], _data: dict[str, Any]) -> Reply:
    values, errors = _read_fields(
        form,
        {
            "given_name": (200, lambda raw: clean_name(raw, "given")),
            "family_name": (200, lambda raw: clean_name(raw, "family")),
        },
    )
    return Reply({"values": values}, errors, answers=values)


NAME = Question(
    "public/name.html",
    shown=lambda data: {"values": {k: data.get(k, "") for k in ("given_name", "family_name")}},
    read=_read_name,
    fixes={"given_name": "given_name", "family_name": "family_name"},
)


def _age_problem(data: dict[str, Any], dob: dt.date) -> Problem | None:
    """The chosen test's age rule on the chosen date (a child's test is for under-16s)."""
    atype = type_by_code(session=db(), code=data.get("type", ""))
    if atype is None or not data.get("date"):
        return None
    return age_problem(booking.type_rule(atype), dob, dt.date.fromisoformat(data["date"]))


def _read_dob(form: Mapping[str, str], data: dict[str, Any]) -> Reply:
    dob = read_date_of_birth(form, check=lambda date: _age_problem(data, date))
    shown = {"values": dob.values, "parts_in_error": dob.parts_in_error}
    if dob.date is None:
        return Reply(shown, {dob.field_id: dob.error or ""})
    return Reply(shown, answers={"dob": dob.date.isoformat()})


DOB = Question(
    "public/dob.html",
    shown=lambda data: {"values": date_of_birth_values(data.get("dob")), "parts_in_error": ()},
    read=_read_dob,
    fixes={"date_of_birth": "dob-day"},
)


def _read_contact(form: Mapping[str, str], _data: dict[str, Any]) -> Reply:
    values, errors = _read_fields(form, {"mobile": (40, clean_mobile), "email": (300, clean_email)})
    if not errors and not values["mobile"] and not values["email"]:
        errors["mobile"] = words(problem("contact_missing"))
    return Reply({"values": values}, errors, answers=values)


CONTACT = Question(
    "public/contact.html",
    shown=lambda data: {"values": {k: data.get(k, "") for k in ("mobile", "email")}},
    read=_read_contact,
    fixes={"mobile": "mobile", "email": "email"},
)


def _clean_request_number(raw: str, data: dict[str, Any]) -> tuple[str, Problem | None]:
    """Empty, or a request we hold for this patient (spaces and dashes as typed are fine).
    Unknown and another patient's get the same answer."""
    value = raw.strip()
    if not value:
        return "", None
    if not _REQUEST_NUMBER.match(normalise_request_number(value)):
        return value, problem("request_number_format", example=REQUEST_NUMBER_EXAMPLE)
    try:
        found = request_for_patient(
            session=db(), request_number=value, nhs_number=data.get("nhs_number")
        )
    except ValidationFailed:
        return value, problem("request_not_found_for_you")
    return found.request_number, None


REQUEST = text_question(
    "request_number",
    "public/request_number.html",
    _clean_request_number,
    fixes={"request_number": "request_number"},
)
