"""Parsing what people type: names, dates of birth, phone numbers, emails, postcodes."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from shared import nhs_number
from shared.errors import ValidationFailed

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


def clean_name(raw: str | None, label: str, *, whose: str = "your") -> tuple[str, str | None]:
    """A name trimmed and NFC-normalised, with an error message if unusable ("Enter your first
    name"; staff pages say whose="the patient's"). Letters in any script, spaces, apostrophes,
    hyphens and full stops are accepted."""
    text = unicodedata.normalize("NFC", (raw or "").strip())
    text = re.sub(r"\s+", " ", text).replace("\u2019", "'")
    subject = f"{whose[:1].upper()}{whose[1:]} {label}"
    if not text:
        return "", f"Enter {whose} {label}"
    if len(text) > NAME_MAX:
        return text, f"{subject} must be {NAME_MAX} characters or fewer"
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in ("L", "M") or ch in " '-.":
            continue
        if cat[0] == "C":
            return text, f"{subject} contains a character that cannot be used"
        return text, f"{subject} must only include letters, spaces, hyphens and apostrophes"
    if not any(unicodedata.category(ch)[0] == "L" for ch in text):
        return text, f"{subject} must include at least one letter"
    return text, None


def one_line_problem(text: str, what: str) -> str | None:
    """Why `text` cannot be a one-line name that goes on labels and pages (a site, a test, a
    tube, a chair, a member of staff): a line break, a tab, a control or hidden format
    character, or a broken character; None when it can. `what` names it: "The site name"."""
    for ch in text:
        if ch in "\u200c\u200d":  # joiners: some scripts need them to write a name
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):  # CR, LF, tab, NUL ...
            return f"{what} must be on one line, with no tabs or hidden characters"
    return None


def parse_date_parts(day: str | None, month: str | None, year: str | None, *, today: dt.date,
                     label: str = "date of birth", future: bool = False) -> tuple[dt.date | None, str | None]:
    """A date of birth from three fields, with the GOV.UK-style message when it is wrong (with
    `future`, any real date: the caller says which are too early or too late)."""
    parts = [(day or "").strip(), (month or "").strip(), (year or "").strip()]
    if not any(parts):
        return None, f"Enter your {label}"
    missing = [name for name, v in zip(("day", "month", "year"), parts, strict=True) if not v]
    if missing:
        return None, f"Your {label} must include a {' and '.join(missing)}"
    parts[1] = _month_number(parts[1])
    if not all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
        return None, f"Your {label} must be a real date, using numbers only"
    d, m, y = (int(p) for p in parts)
    if len(parts[2]) != 4:
        return None, "Year must include 4 numbers"
    try:
        value = dt.date(y, m, d)
    except ValueError:
        return None, f"Your {label} must be a real date"
    if future:
        return value, None
    if value > today:
        return None, f"Your {label} must be in the past"
    if value.year < today.year - 130:
        return None, f"Your {label} must be after {today.year - 130}"
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


def parse_iso_date(raw: object, *, today: dt.date, label: str = "date of birth") -> tuple[dt.date | None, str | None]:
    """A date of birth given as YYYY-MM-DD (the API and kiosk form)."""
    if not isinstance(raw, str) or not raw.strip():
        return None, f"Enter the {label} as YYYY-MM-DD"
    try:
        value = dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None, f"The {label} must be a real date written as YYYY-MM-DD"
    if value > today:
        return None, f"The {label} must be in the past"
    if value.year < today.year - 130:
        return None, f"The {label} must be after {today.year - 130}"
    return value, None


def clean_mobile(raw: str | None) -> tuple[str, str | None]:
    """A UK mobile number as 07xxxxxxxxx, or an error."""
    text = re.sub(r"[\s\-()]", "", raw or "")
    if not text:
        return "", None
    if not _MOBILE.match(text):
        return text, "Enter a UK mobile phone number, like 07700 900 982"
    return "0" + text[-10:], None


def clean_email(raw: str | None) -> tuple[str, str | None]:
    """An email address, or an error."""
    text = (raw or "").strip()
    if not text:
        return "", None
    if len(text) > 254 or not _EMAIL.match(text) or any(unicodedata.category(c)[0] == "C" for c in text):
        return text, "Enter an email address in the correct format, like name@example.com"
    return text, None


def clean_postcode(raw: str | None) -> tuple[str, str | None]:
    """A full UK postcode in 'LS1 4AB' form, or an outward code alone ('LS1'), or an error."""
    text = re.sub(r"\s+", "", (raw or "").upper())
    if not text:
        return "", "Enter a postcode"
    match = _POSTCODE.match(text)
    if match:
        return f"{match.group(1)} {match.group(2)}", None
    if _OUTWARD.match(text):
        return text, None
    return text, "Enter a real postcode, like LS1 4AB"


def patient_from_fields(data: dict[str, object], *, today: dt.date, dob: dt.date | None = None) -> PatientDetails:
    """Validate patient fields (API body or form); raise ValidationFailed with every problem."""
    errors: dict[str, str] = {}
    raw_nhs = data.get("nhs_number")
    nhs: str | None = None
    if raw_nhs not in (None, ""):
        if not isinstance(raw_nhs, str):
            errors["nhs_number"] = "Enter the NHS number as text, like 999 123 4567"
        else:
            message = nhs_number.validation_message(raw_nhs)
            if message:
                errors["nhs_number"] = message
            else:
                nhs = nhs_number.normalise(raw_nhs)
    given, err = clean_name(_text(data.get("given_name")), "first name")
    if err:
        errors["given_name"] = err
    family, err = clean_name(_text(data.get("family_name")), "last name")
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
        errors["postcode"] = "Enter your postcode, so we can find your records without an NHS number"
    if not mobile and not email and "mobile" not in errors and "email" not in errors:
        errors["mobile"] = "Enter a mobile number or an email address, so we can send your confirmation"
    if errors:
        raise ValidationFailed("There is a problem with the details entered", fields=errors)
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


def json_depth_problem(value: object, *, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why a parsed JSON value is refused (nested deeper than max_depth), else None. Walks
    iteratively: a hostile body cannot exhaust the stack."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                return f"JSON must not be nested more than {max_depth} levels deep"
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return None
