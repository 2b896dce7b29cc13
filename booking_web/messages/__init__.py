"""The site's words for every problem code: the patient pages, the staff pages, the JSON API's
`message` and the command line all take them from here (patients.py, staff.py, api.py, requests.py), so a
translation has one place to look. Services name a problem and its values; nothing else in the
site writes the words of a refusal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import has_app_context

from booking_web.booking_line import booking_line
from booking_web.messages.api import API
from booking_web.messages.patients import PATIENTS
from booking_web.messages.requests import REQUESTS
from booking_web.messages.staff import STAFF
from shared.errors import BookingError, Problem
from shared.locales import gettext
from shared.wording import Words, fill


def _catalogue(*parts: Mapping[str, Words]) -> dict[str, Words]:
    merged: dict[str, Words] = {}
    for part in parts:
        twice = merged.keys() & part.keys()
        assert not twice, f"codes given words twice: {sorted(twice)}"
        merged.update(part)
    return merged


MESSAGES: dict[str, Words] = _catalogue(PATIENTS, STAFF, API, REQUESTS)


def _site_values() -> dict[str, Any]:
    """Values every message may use that come from the site, not the problem."""
    if has_app_context():
        from booking_web.context import settings

        return {"booking_line": booking_line(settings()).words()}
    return {"booking_line": "the booking line"}


def _shipped_values(params: Mapping[str, Any]) -> dict[str, Any]:
    """A problem's values, with the names that came with Phlebo (a built-in type of test) in
    the language being written in; what staff typed stays as typed."""
    return {name: gettext(value) if name in _SHIPPED_NAMES and isinstance(value, str) else value
            for name, value in params.items()}


_SHIPPED_NAMES = {"type_name"}


def words(what: Problem | BookingError) -> str:
    """The words for a problem (or for an error's problem), in the language being written in:
    a patient page's, English for staff pages and the API (shared.locales)."""
    found = what.problem if isinstance(what, BookingError) else what
    return fill(MESSAGES[found.code], {**_site_values(), **_shipped_values(found.params)}, nested=words)


def field_words(error: BookingError) -> dict[str, str]:
    """The words for each field's problem, by field name."""
    return {name: words(found) for name, found in error.fields.items()}


def error_words(error: BookingError) -> dict[str, str]:
    """A refusal as a form shows it: each field's problem, or the whole refusal under
    `_problem` when it names no field."""
    return field_words(error) or {"_problem": words(error)}
