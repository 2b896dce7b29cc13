"""Property-based input on every field of the patient forms, through the Flask test client with the
CSRF token read from each page (as a browser sends it), on the live server's app and database:
no answer makes a 5xx; a refused answer changes nothing (database or the journey kept in the
session cookie) and says what is wrong; names in any script are accepted; absurd lengths and
control characters are refused with a clear message."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from shared.models import Appointment, OutboxMessage, Patient, Slot
from tests.browser.pages import Patient as Answers
from tests.integration.public_pages import get, parse, submit

FUZZ = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
CONTROL = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)] if not chr(c).isspace()]

# (page, the field fuzzed, the other fields sent with it, the journey it needs)
TEXT_FIELDS: list[tuple[str, str, dict[str, str], str]] = [
    ("/book/postcode", "postcode", {}, "nhs"),
    ("/book/nhs-number", "nhs_number", {}, "nhs"),
    ("/book/home-postcode", "home_postcode", {}, "no-nhs"),
    ("/book/name", "given_name", {"family_name": "Lee"}, "nhs"),
    ("/book/name", "family_name", {"given_name": "Ann"}, "nhs"),
    ("/book/date-of-birth", "dob-day", {"dob-month": "5", "dob-year": "1970"}, "nhs"),
    ("/book/date-of-birth", "dob-month", {"dob-day": "17", "dob-year": "1970"}, "nhs"),
    ("/book/date-of-birth", "dob-year", {"dob-day": "17", "dob-month": "5"}, "nhs"),
    ("/book/contact", "mobile", {"email": ""}, "nhs"),
    ("/book/contact", "email", {"mobile": ""}, "nhs"),
    ("/book/test-request-number", "request_number", {}, "nhs"),
    ("/manage", "reference", {"dob-day": "17", "dob-month": "5", "dob-year": "1970"}, "none"),
    ("/manage", "dob-year", {"reference": "ABC-DEF-GHJ", "dob-day": "1", "dob-month": "1"}, "none"),
]
CHOICE_FIELDS = [("/book/type", "type"), ("/book/place", "site_id"), ("/book/date", "date"),
                 ("/book/time", "slot_id"), ("/book/nhs-number-known", "nhs_known")]
TEXT_IDS = [f"{url}:{name}" for url, name, _o, _j in TEXT_FIELDS]


@pytest.fixture(scope="module")
def app(live_server):  # type: ignore[no-untyped-def]
    """The live server's app (its seeded database), for the test client."""
    return live_server.app


@pytest.fixture(scope="module")
def journeys(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Session cookies of journeys answered up to 'Check your answers', with and without an NHS
    number (every question page can be shown with them), and of a fresh visitor."""
    cookies = {}
    for name, nhs in (("nhs", Answers().nhs), ("no-nhs", None)):
        client = app.test_client()
        client.get("/book")
        for url, field in (("/book/type", "type"), ("/book/place", "site_id"),
                           ("/book/date", "date"), ("/book/time", "slot_id")):
            if url == "/book/place":
                _ok(submit(client, "/book/postcode", {"postcode": "LS7 1AA"}))
            page = get(client, url)
            _ok(submit(client, url, {field: page.radios[field][0][0]}, page=page))
        _ok(submit(client, "/book/nhs-number-known", {"nhs_known": "yes" if nhs else "no"}))
        if nhs:
            _ok(submit(client, "/book/nhs-number", {"nhs_number": nhs}))
        else:
            _ok(submit(client, "/book/home-postcode", {"home_postcode": "LS6 2AB"}))
        _ok(submit(client, "/book/name", {"given_name": "Ann", "family_name": "Lee"}))
        _ok(submit(client, "/book/date-of-birth",
                   {"dob-day": "17", "dob-month": "5", "dob-year": "1970"}))
        _ok(submit(client, "/book/contact", {"mobile": "07700900982", "email": ""}))
        _ok(submit(client, "/book/test-request-number", {"request_number": ""}))
        assert get(client, "/book/check").h1 == "Check your answers before booking"
        cookies[name] = client.get_cookie("session").value
    client = app.test_client()
    get(client, "/manage")
    cookies["none"] = client.get_cookie("session").value
    return cookies


def _ok(response: Any) -> None:
    assert response.status_code == 302, parse(response.data).summary_texts


def _client(app, journeys: dict[str, str], journey: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.set_cookie("session", journeys[journey], domain="localhost")
    return client


def _database(app) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    """What a patient's answer could change (rate-limit counters aside: they count refusals)."""
    from sqlmodel import Session

    with Session(app.extensions["phlebo"].engine) as session:
        return tuple(session.exec(q).one() for q in (
            select(func.count()).select_from(Appointment),
            select(func.count()).select_from(Patient),
            select(func.coalesce(func.sum(Slot.booked), 0)),
            select(func.count()).select_from(OutboxMessage),
        ))


def _post(app, journeys, url: str, data: dict[str, str], journey: str):  # type: ignore[no-untyped-def]
    """Post one answer; check no 5xx and, when refused, that nothing changed and it says why."""
    client = _client(app, journeys, journey)
    before = _database(app)
    response = submit(client, url, data)
    assert response.status_code < 500, (url, data, response.status_code)
    if response.status_code != 302:
        assert response.status_code == 400, (url, data, response.status_code)
        page = parse(response.data)
        assert page.title.startswith("Error: ") and page.summary_texts, (url, data)
        assert all(len(text) > 10 for text in page.summary_texts), page.summary_texts
        assert "Set-Cookie" not in response.headers  # the journey's answers are as they were
        assert _database(app) == before
    return response


@pytest.mark.parametrize("url,name,others,journey", TEXT_FIELDS, ids=TEXT_IDS)
@FUZZ
@given(value=st.text(max_size=60))
@example(value="²³")  # digits to str.isdigit(), but not to int()
@example(value="٣")
@example(value="²" * 10)  # ten "digits": past the length check of an NHS number
def test_any_text_in_any_field_is_answered_without_a_server_error(
        app, journeys, url, name, others, journey, value):
    _post(app, journeys, url, {**others, name: value}, journey)


@pytest.mark.parametrize("url,name", CHOICE_FIELDS, ids=[n for _u, n in CHOICE_FIELDS])
@FUZZ
@given(value=st.one_of(st.text(max_size=30), st.integers().map(str)))
@example(value="²")
@example(value="99999999999999999999")
def test_any_value_for_a_choice_is_refused_or_one_of_the_choices(app, journeys, url, name, value):
    client = _client(app, journeys, "nhs")
    offered = {v for v, _label, _checked in get(client, url).radios[name]}
    response = _post(app, journeys, url, {name: value}, "nhs")
    if value in offered:
        assert response.status_code == 302, value
    if response.status_code == 302:  # "07" may stand for 7; nothing else is accepted
        assert value in offered or (value.isascii() and value.isdigit()
                                    and str(int(value)) in offered), value


LETTERS = st.characters(categories=["Lu", "Ll", "Lo", "Lt"], exclude_characters="ªº")
NAMES = st.builds(
    lambda first, rest: first + rest,
    LETTERS,
    st.text(st.one_of(LETTERS, st.sampled_from(["'", "-", " ", "\u2019", "\u0301"])), max_size=30),
).map(lambda s: unicodedata.normalize("NFC", s)).filter(lambda s: "  " not in s and s.strip() == s)


@FUZZ
@given(given_name=NAMES, family_name=NAMES)
@example(given_name="Siân", family_name="O'Neill-Ó Briain")
@example(given_name="Nguyễn Thị", family_name="Minh Khai")
@example(given_name="小明", family_name="王")
@example(given_name="محمد", family_name="الأحمد")
@example(given_name="Владимир", family_name="Д'Арк")
@example(given_name="Łukasz", family_name="Żółć")
def test_names_in_any_script_are_accepted_and_shown_back(app, journeys, given_name, family_name):
    client = _client(app, journeys, "nhs")
    response = submit(client, "/book/name", {"given_name": given_name, "family_name": family_name})
    assert response.status_code == 302, parse(response.data).summary_texts
    shown = get(client, "/book/check").text
    expected = f"{given_name} {family_name}".replace("\u2019", "'")
    assert expected in shown, (expected, shown[:300])


@pytest.mark.parametrize("url,name,others,journey", TEXT_FIELDS, ids=TEXT_IDS)
@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_absurd_lengths_and_control_characters_are_refused_with_a_message(
        app, journeys, url, name, others, journey, data):
    good = {"postcode": "LS7 1AA", "nhs_number": Answers().nhs, "home_postcode": "LS6 2AB",
            "given_name": "Ann", "family_name": "Lee", "dob-day": "17", "dob-month": "5",
            "dob-year": "1970", "mobile": "07700900982", "email": "ann@example.com",
            "request_number": "GP-1", "reference": "ABC-DEF-GHJ"}[name]
    control = data.draw(st.sampled_from(CONTROL), label="control")
    where = data.draw(st.integers(0, len(good)), label="where")
    long = data.draw(st.integers(260, 20_000), label="length")
    for value in (good[:where] + control + good[where:], (good * long)[:long]):
        response = _post(app, journeys, url, {**others, name: value}, journey)
        assert response.status_code == 400, (name, value[:40], response.status_code)
        page = parse(response.data)
        field = name if name in page.field_errors else name.split("-")[0]
        assert page.field_errors.get(field), (name, page.field_errors, page.summary_texts)
