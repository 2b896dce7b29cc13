"""Parsing what people type: names, dates of birth, phone numbers, emails, postcodes."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from shared import nhs_number
from shared.errors import Problem, ValidationFailed, problem

NAME_MAX = 100
_MOBILE = re.compile(r"^(?:\+44|0044|0)7\d{9}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")


@dataclass(frozen=True)
class PatientDetails:
    """Who the appointment is for, as the patient gave it (already validated)."""

    nhs_number: str | None
    given_name: str
    family_name: str
    date_of_birth: dt.date
    postcode: str = ""
    mobile: str = ""
    email: str = ""


def clean_name(raw: str | None, part: str, *, whose: str = "your") -> tuple[str, Problem | None]:
    """A name trimmed and NFC-normalised, with its problem if unusable. `part` is "given" or
    "family"; `whose` is "your" (the patient's own form) or "patient" (staff correcting it).
    Letters in any script, spaces, apostrophes, hyphens and full stops are accepted."""
    text = unicodedata.normalize("NFC", (raw or "").strip())
    text = re.sub(r"\s+", " ", text).replace("\u2019", "'")
    if not text:
        return "", problem("name_missing", part=part, whose=whose)
    if len(text) > NAME_MAX:
        return text, problem("name_too_long", part=part, whose=whose, longest=NAME_MAX)
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in ("L", "M") or ch in " '-.":
            continue
        if cat[0] == "C":
            return text, problem("name_control_character", part=part, whose=whose)
        return text, problem("name_characters", part=part, whose=whose)
    if not any(unicodedata.category(ch)[0] == "L" for ch in text):
        return text, problem("name_no_letter", part=part, whose=whose)
    return text, None


def one_line_problem(text: str, thing: str) -> Problem | None:
    """Why `text` cannot be a one-line name that goes on labels and pages (a site, a test, a
    tube, a chair, a member of staff): a line break, a tab, a control or hidden format
    character, or a broken character; None when it can. `thing` says which name it is
    ("site_name", "test_name", "tube_type", "chair_name", "username", "staff_name")."""
    for ch in text:
        if ch in "\u200c\u200d":  # joiners: some scripts need them to write a name
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):  # CR, LF, tab, NUL ...
            return problem("not_one_line", thing=thing)
    return None


def parse_date_parts(day: str | None, month: str | None, year: str | None, *, today: dt.date,
                     which: str = "dob", future: bool = False) -> tuple[dt.date | None, Problem | None]:
    """A date from three fields (day, month as a number or a name, year), or the problem with
    it (GOV.UK's date input rules). `which` names the date for the words ("dob", the patient's
    own date of birth; "patient_dob", "earliest", "latest", ...); with `future`, any real date
    is returned: the caller says which are too early or too late."""
    which_date = {} if which == "dob" else {"which": which}  # the patient's own: no value to give
    parts = [(day or "").strip(), (month or "").strip(), (year or "").strip()]
    if not any(parts):
        return None, problem("dob_missing", **which_date)
    missing = [name for name, v in zip(("day", "month", "year"), parts, strict=True) if not v]
    if missing:
        return None, problem("dob_incomplete", missing=tuple(missing), **which_date)
    parts[1] = _month_number(parts[1])
    if not all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
        return None, problem("dob_not_numbers", **which_date)
    d, m, y = (int(p) for p in parts)
    if len(parts[2]) != 4:
        return None, problem("dob_year_digits")
    try:
        value = dt.date(y, m, d)
    except ValueError:
        return None, problem("dob_not_real", **which_date)
    if future:
        return value, None
    if value > today:
        return None, problem("dob_future", **which_date)
    if value.year < today.year - 130:
        return None, problem("dob_too_old", earliest_year=today.year - 130, **which_date)
    return value, None


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")


def _month_number(text: str) -> str:
    """A month typed as a word, whole or its first three letters or more ('feb', 'February',
    'Sept.'), as its number; anything else as it was typed."""
    word = text.lower().rstrip(".")
    if word.isascii() and word.isalpha() and len(word) >= 3:
        for number, name in enumerate(_MONTHS, start=1):
            if name.startswith(word):
                return str(number)
    return text


def parse_iso_date(raw: object, *, today: dt.date) -> tuple[dt.date | None, Problem | None]:
    """A date of birth given as YYYY-MM-DD (the API and kiosk form), or the problem with it."""
    if not isinstance(raw, str) or not raw.strip():
        return None, problem("dob_iso_missing")
    try:
        value = dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None, problem("dob_iso_invalid")
    if value > today:
        return None, problem("dob_iso_future")
    if value.year < today.year - 130:
        return None, problem("dob_iso_too_old", earliest_year=today.year - 130)
    return value, None


def clean_mobile(raw: str | None) -> tuple[str, Problem | None]:
    """A UK mobile number as 07xxxxxxxxx, or its problem."""
    text = re.sub(r"[\s\-()]", "", raw or "")
    if not text:
        return "", None
    if not _MOBILE.match(text):
        return text, problem("mobile_invalid")
    return "0" + text[-10:], None


def clean_email(raw: str | None) -> tuple[str, Problem | None]:
    """An email address, or its problem."""
    text = (raw or "").strip()
    if not text:
        return "", None
    if len(text) > 254 or not _EMAIL.match(text) or any(unicodedata.category(c)[0] == "C" for c in text):
        return text, problem("email_invalid")
    return text, None


def clean_postcode(raw: str | None) -> tuple[str, Problem | None]:
    """A full UK postcode in 'LS1 4AB' form, or an outward code alone ('LS1'), or its problem."""
    text = re.sub(r"\s+", "", (raw or "").upper())
    if not text:
        return "", problem("postcode_missing")
    match = _POSTCODE.match(text)
    if match:
        return f"{match.group(1)} {match.group(2)}", None
    if _OUTWARD.match(text):
        return text, None
    return text, problem("postcode_invalid")


def patient_from_fields(data: dict[str, object], *, today: dt.date, dob: dt.date | None = None) -> PatientDetails:
    """Validate patient fields (API body or form); raise ValidationFailed with every problem."""
    errors: dict[str, Problem] = {}
    raw_nhs = data.get("nhs_number")
    nhs: str | None = None
    if raw_nhs not in (None, ""):
        if not isinstance(raw_nhs, str):
            errors["nhs_number"] = problem("nhs_number_not_text")
        else:
            wrong = nhs_number.number_problem(raw_nhs)
            if wrong:
                errors["nhs_number"] = wrong
            else:
                nhs = nhs_number.normalise(raw_nhs)
    given, err = clean_name(_text(data.get("given_name")), "given")
    if err:
        errors["given_name"] = err
    family, err = clean_name(_text(data.get("family_name")), "family")
    if err:
        errors["family_name"] = err
    if dob is None:
        dob, err = parse_iso_date(data.get("date_of_birth"), today=today)
        if err:
            errors["date_of_birth"] = err
    mobile, err = clean_mobile(_text(data.get("mobile")))
    if err:
        errors["mobile"] = err
    email, err = clean_email(_text(data.get("email")))
    if err:
        errors["email"] = err
    postcode = ""
    if data.get("postcode"):
        postcode, err = clean_postcode(_text(data.get("postcode")))
        if err:
            errors["postcode"] = err
    if nhs is None and "nhs_number" not in errors and not postcode:
        errors["postcode"] = problem("postcode_needed")
    if not mobile and not email and "mobile" not in errors and "email" not in errors:
        errors["mobile"] = problem("contact_needed")
    if errors:
        raise ValidationFailed("details_invalid", fields=errors)
    assert dob is not None
    return PatientDetails(nhs, given, family, dob, postcode, mobile, email)


def _text(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        return "\x00"  # not text: let the field validator refuse it with its own message
    return value



# What a database can keep: ids within a 32-bit INTEGER column (a bigger number overflows the
# driver instead of finding nothing); JSON nested no deeper than any request of ours needs.
# (Text a database cannot keep is refused by the engine itself: shared.db.)
MAX_ID = 2**31 - 1
MAX_JSON_DEPTH = 32


def as_id(value: object) -> int | None:
    """A whole number that can be a row id (1 to MAX_ID), else None; text of digits counts."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        return None
    return value


def json_depth_problem(value: object, *, max_depth: int = MAX_JSON_DEPTH) -> Problem | None:
    """Why a parsed JSON value is refused (nested deeper than max_depth), else None. Walks
    iteratively: a hostile body cannot exhaust the stack."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return problem("json_too_deep", deepest=max_depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return None
