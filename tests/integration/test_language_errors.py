"""Every error a patient can meet on the main forms, in Welsh, Polish and Arabic: each form is
sent wrong (empty, badly typed, a slot taken meanwhile, an overlapping booking, too many
bookings, details that do not match, a booking not found, too many tries, an invitation's
wrong date of birth) and each text in the error summary and beside the fields must be one of
the language's catalogue translations and no English message. The catalogues are the reference
(read with Babel, their placeholders standing for any value), not a list kept in this test, so
an error that was never marked for translation (still English) fails here too."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections.abc import Callable
from html import unescape

import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po
from sqlmodel import select

from booking_web.services import booking
from shared.locales import LANGUAGES, SHIPPED, TRANSLATIONS_DIR, translations
from shared.models import Slot
from shared.validation import NAME_MAX
from tests.conftest import NOW
from tests.factories import make_partner_key, make_patient
from tests.integration.public_pages import Page, get, parse, submit
from tests.integration.test_invitation_journey import _dob as invited_dob
from tests.integration.test_invitation_journey import _link, _order
from tests.integration.test_public_booking import (  # noqa: F401 (fixture)
    DAY,
    NHS,
    _slot,
    _to,
    sites,
    walk_to_check,
)

# gettext's %(x)s and the problem messages' {x} / {x:date}: any value stands in their place
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|(?<!\{)\{[a-z_]+(?::[^{}]*)?\}(?!\})")
ZOE = {"nhs_number": NHS, "given_name": "Zoë", "family_name": "O'Brien",
       "date_of_birth": dt.date(1970, 5, 17)}


def _pattern(message: str) -> re.Pattern[str] | None:
    """A catalogue message as a pattern for a whole error text; None for one with too few
    words of its own to tell it apart ('%(time)s, %(date)s')."""
    if len(re.findall(r"\w", PLACEHOLDER.sub("", message))) < 8:
        return None
    parts = [re.escape(_flat(part)) for part in PLACEHOLDER.split(message)]
    return re.compile(".+?".join(parts), re.S)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", unescape(text)).strip() if text.strip() else text


@functools.cache
def _catalogue(code: str) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
    """(patterns of the language's translations, patterns of the English message ids)."""
    with open(TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po", "rb") as po:
        messages = [m for m in read_po(po) if m.id and isinstance(m.id, str)]
    translated = [p for p in map(_pattern, (m.string for m in messages)) if p]
    return translated, [p for p in map(_pattern, (m.id for m in messages)) if p]


def speak(client, code: str) -> None:  # type: ignore[no-untyped-def]
    """Choose the language with the link every page has (the journey's answers are kept)."""
    client.get(f"/?lang={code}")


def errors_on(page: Page, code: str) -> list[str]:
    """The error summary's items and each field's error (without the hidden 'Error:')."""
    hidden = translations(code).ugettext("Error:")
    return [_flat(text.removeprefix(hidden)) for text in [*page.summary_texts, *page.field_errors.values()]]


# Each state: sent in English up to the form, then in `code`; gives the page with the errors.
State = Callable[..., Page]


def _question(step: str, url: str, data: dict[str, str]) -> State:
    def state(client, code, **_):  # type: ignore[no-untyped-def]
        _to(client, step)
        speak(client, code)
        response = submit(client, url, data)
        assert response.status_code == 400, response.status_code
        return parse(response.data)
    return state


def _dob(day: str, month: str, year: str) -> dict[str, str]:
    return {"dob-day": day, "dob-month": month, "dob-year": year}


QUESTIONS = {
    "type empty": ("type", "/book/type", {}),
    "postcode empty": ("postcode", "/book/postcode", {"postcode": ""}),
    "postcode not real": ("postcode", "/book/postcode", {"postcode": "NOT A CODE"}),
    "place empty": ("place", "/book/place", {}),
    "date not offered": ("date", "/book/date", {"date": "2026-11-30"}),
    "time empty": ("time", "/book/time", {}),
    "nhs known empty": ("known", "/book/nhs-number-known", {}),
    "nhs empty": ("nhs", "/book/nhs-number", {"nhs_number": ""}),
    "nhs short": ("nhs", "/book/nhs-number", {"nhs_number": "999 123 456"}),
    "nhs check digit": ("nhs", "/book/nhs-number", {"nhs_number": "999 123 4568"}),
    "nhs letters": ("nhs", "/book/nhs-number", {"nhs_number": "ABC"}),
    "names empty": ("name", "/book/name", {"given_name": "", "family_name": ""}),
    "name characters": ("name", "/book/name", {"given_name": "Ann", "family_name": "L33"}),
    "name too long": ("name", "/book/name", {"given_name": "A" * (NAME_MAX + 1), "family_name": "Lee"}),
    "name no letter": ("name", "/book/name", {"given_name": "Ann", "family_name": "--"}),
    "name control": ("name", "/book/name", {"given_name": "Ann\x07", "family_name": "Lee"}),
    "dob empty": ("dob", "/book/date-of-birth", {}),
    "dob future": ("dob", "/book/date-of-birth", _dob("1", "1", "2027")),
    "dob not real": ("dob", "/book/date-of-birth", _dob("31", "2", "1970")),
    "dob no month": ("dob", "/book/date-of-birth", _dob("1", "", "1970")),
    "dob only year": ("dob", "/book/date-of-birth", _dob("", "", "1970")),
    "dob not numbers": ("dob", "/book/date-of-birth", _dob("a", "b", "c")),
    "dob two digit year": ("dob", "/book/date-of-birth", _dob("1", "1", "70")),
    "dob too old": ("dob", "/book/date-of-birth", _dob("1", "1", "1800")),
    "dob too young": ("dob", "/book/date-of-birth", _dob("1", "1", "2015")),
    "contact empty": ("contact", "/book/contact", {"mobile": "", "email": ""}),
    "mobile landline": ("contact", "/book/contact", {"mobile": "0113 496 0000", "email": ""}),
    "email wrong": ("contact", "/book/contact", {"mobile": "", "email": "not-an-email"}),
    "request number format": ("request", "/book/test-request-number", {"request_number": "<script>"}),
    "request number unknown": ("request", "/book/test-request-number", {"request_number": "RQ00000001"}),
}
STATES: dict[str, State] = {name: _question(*spec) for name, spec in QUESTIONS.items()}


def _refused_at_check(client, code: str) -> Page:  # type: ignore[no-untyped-def]
    """Press 'Book appointment' in `code`: the check page's errors, or the page it sends to."""
    speak(client, code)
    response = submit(client, "/book/check")
    if response.status_code == 302:
        return get(client, response.headers["Location"])
    assert response.status_code == 400, response.status_code
    return parse(response.data)


def _state(name: str) -> Callable[[State], State]:
    def register(state: State) -> State:
        STATES[name] = state
        return state
    return register


@_state("slot taken meanwhile")
def _slot_taken(client, code, session, settings, sites, **_):  # type: ignore[no-untyped-def]  # noqa: F811
    walk_to_check(client, time="9:10am")
    slot = _slot(session, sites["northgate"], dt.time(9, 10))
    for n in range(slot.capacity):
        booking.book_appointment(session=session, slot_id=slot.id, type_code="adult",
                                 patient=make_patient(70 + n), now=NOW, settings=settings)
    return _refused_at_check(client, code)


@_state("overlapping booking")
def _overlap(client, code, session, settings, sites, **_):  # type: ignore[no-untyped-def]  # noqa: F811
    slot = _slot(session, sites["northgate"], dt.time(9, 10))
    booking.book_appointment(session=session, slot_id=slot.id, type_code="adult",
                             patient=make_patient(**ZOE), now=NOW, settings=settings)
    walk_to_check(client, time="9:10am")
    return _refused_at_check(client, code)


@_state("too many bookings")
def _too_many(client, code, session, settings, sites, **_):  # type: ignore[no-untyped-def]  # noqa: F811
    for slot in session.exec(select(Slot).where(Slot.site_id == sites["westfield"].id)).all()[:3]:
        booking.book_appointment(session=session, slot_id=slot.id, type_code="adult",
                                 patient=make_patient(**ZOE), now=NOW, settings=settings)
    walk_to_check(client)
    return _refused_at_check(client, code)


@_state("details do not match")
def _mismatch(client, code, session, settings, sites, **_):  # type: ignore[no-untyped-def]  # noqa: F811
    booking.book_appointment(session=session, slot_id=_slot(session, sites["northgate"], dt.time(9, 0)).id,
                             type_code="adult", patient=make_patient(**{**ZOE, "date_of_birth": dt.date(1950, 1, 1)}),
                             now=NOW, settings=settings)
    walk_to_check(client)
    return _refused_at_check(client, code)


@_state("too many bookings from this device")
def _device_limit(client, code, settings, app, **_):  # type: ignore[no-untyped-def]
    walk_to_check(client)
    app.extensions["phlebo"].settings = dataclasses.replace(settings, booking_limit_per_hour=0)
    speak(client, code)
    response = submit(client, "/book/check")
    assert response.status_code == 429, response.status_code
    return parse(response.data)


def _lookup(data: dict[str, str], *, tries: int = 1, status: int = 400) -> State:
    def state(client, code, **_):  # type: ignore[no-untyped-def]
        speak(client, code)
        for _try in range(tries):
            response = submit(client, "/manage", data)
        assert response.status_code == status, response.status_code
        return parse(response.data)
    return state


STATES["lookup empty"] = _lookup({})
STATES["lookup reference format"] = _lookup({"reference": "ABC", **_dob("17", "5", "1970")})
STATES["lookup not found"] = _lookup({"reference": "ABC-DEF-GHJ", **_dob("17", "5", "1970")})
STATES["lookup too many tries"] = _lookup({"reference": "ABC-DEF-GHJ", **_dob("17", "5", "1970")},
                                         tries=11, status=429)


@_state("waiting list without a reference")
def _waiting_list(client, code, **_):  # type: ignore[no-untyped-def]
    speak(client, code)
    response = submit(client, "/waiting-list/join", _dob("17", "5", "1970"))
    assert response.status_code == 400, response.status_code
    return parse(response.data)


@_state("invitation wrong date of birth")
def _invitation(client, code, session, settings, **_):  # type: ignore[no-untyped-def]
    _order(session, settings)  # the sites fixture's clinics are inside the request's window
    client.get(_link(session))
    speak(client, code)
    response = invited_dob(client, 1, 1, 1950)
    assert response.status_code == 400, response.status_code
    return parse(response.data)


# The words do not depend on the database (each refusal is tested on SQLite and PostgreSQL where
# it is made: test_public_booking.py, test_public_manage.py ...): this matrix runs on SQLite.
# English is not in it: an error never marked for translation stays English and fails as one.
@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("code", SHIPPED)
def test_every_error_on_the_main_forms_is_in_the_patients_language(
    app, client, session, settings, sites, state, code  # noqa: F811
):
    page = STATES[state](client, code, session=session, settings=settings, sites=sites, app=app)
    assert page.html.count(f'lang="{"en-GB" if code == "en" else code}"') >= 1
    shown = errors_on(page, code)
    assert shown, f"{state}: no error shown"
    translated, english = _catalogue(code)
    for text in shown:
        assert any(p.fullmatch(text) for p in translated), (
            f"{state} in {code}: not a catalogue message: {text!r}")
        assert not any(p.fullmatch(text) for p in english), (
            f"{state} in {code}: English left: {text!r}")


@pytest.mark.parametrize("code", ["en", *SHIPPED])
def test_the_overlap_refusal_names_the_other_booking_in_the_language(
    client, session, settings, sites, code  # noqa: F811
):
    page = STATES["overlapping booking"](client, code, session=session, settings=settings, sites=sites,
                                         app=None)
    [text] = {t for t in errors_on(page, code) if "2026" in t}
    assert format_date(DAY, "EEEE d MMMM y", locale=LANGUAGES[code].babel_locale) in text


@pytest.mark.parametrize("code", SHIPPED)
def test_the_api_and_staff_pages_stay_english_whatever_the_patient_chose(client, session, sites, code):  # noqa: F811
    """The API's words are for machines (its codes are what partners read) and staff pages are
    the laboratory's language: the same refusal a patient reads translated is English there,
    in the same browser session."""
    _to(client, "nhs")  # a patient half way through booking (in English so far) ...
    speak(client, code)  # ... chooses their language
    slot = _slot(session, sites["northgate"], dt.time(9, 0))
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    bad = client.post("/api/v1/appointments", headers=auth, json={
        "slot_id": slot.id, "appointment_type": "adult",
        "patient": {"nhs_number": "9991234567", "given_name": "Seán", "family_name": "O'Connor",
                    "date_of_birth": "1961-02-03", "mobile": "07700 900 123"}})
    assert bad.json["field_problems"]["nhs_number"] == {"code": "nhs_number_check_digit", "params": {}}
    assert bad.json["fields"]["nhs_number"] == (
        "Check your NHS number: it is not a valid NHS number. It is 10 digits, like 999 123 4567")
    staff = client.post("/staff/login", data={"username": "nobody", "password": "wrong"})
    assert '<html lang="en-GB">' in staff.data.decode()
    # ... while the patient's own page says it in their language.
    page = parse(submit(client, "/book/nhs-number", {"nhs_number": "999 123 4568"}).data)
    assert errors_on(page, code)[0] == translations(code).ugettext(
        "Check your NHS number: it is not a valid NHS number. It is 10 digits, like 999 123 4567")
