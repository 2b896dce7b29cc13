"""A test request carries the patient's language, on SQLite and PostgreSQL: from HL7 v2 PID-15
(the Welsh OML^O21 in tests/data/hl7, read by hl7apy too), FHIR Patient.communication (the
Arabic transaction Bundle in tests/data/fhir, read by fhir.resources too), the JSON API's
`language` and the requester's pages; the invitation and reminder queued in it (the Notify
template for it), the link opening the pages in it, and the booking made from it keeping it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from babel.dates import format_date
from fhir.resources.R4B.bundle import Bundle
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message as hl7apy_parse
from sqlalchemy import func
from sqlmodel import select

from booking_web.hl7.message import parse_message
from booking_web.hl7.orders import read_order
from booking_web.notify.senders import Outgoing, template_for
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import submit_request
from booking_web.services.request_followup import follow_up_requests
from shared.locales import LANGUAGES
from shared.models import Appointment, LabRequest, OutboxMessage, Patient, RequestEvent
from tests.conftest import NOW
from tests.factories import make_clinic, make_organisation, make_partner_key, make_requester, make_site
from tests.integration.hl7_helpers import example, listener, read_ack, send
from tests.integration.public_pages import get, submit
from tests.integration.test_fhir import post as fhir_post
from tests.integration.test_staff import post, sign_in

DATA = Path(__file__).resolve().parents[1] / "data"
WELSH_ORDER = "ice_oml_o21_welsh.hl7"
ARABIC_BUNDLE = DATA / "fhir" / "transaction-bundle-arabic.json"


def _bundle() -> dict:  # type: ignore[type-arg]
    return json.loads(ARABIC_BUNDLE.read_text())


def _invites(session) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.exec(select(OutboxMessage).where(OutboxMessage.template == "invite")
                        .order_by(OutboxMessage.id)).all()


def _counts(session):  # type: ignore[no-untyped-def]
    session.expire_all()
    return tuple(session.exec(select(func.count()).select_from(m)).one()
                 for m in (LabRequest, RequestEvent, OutboxMessage, Patient))


def _outgoing(message: OutboxMessage) -> Outgoing:
    return Outgoing(message.id, message.channel, message.recipient, message.template,  # type: ignore[arg-type]
                    message.personalisation, "k", language=message.language)


def _assert_invited_in(session, code: str, latest: dt.date) -> None:  # type: ignore[no-untyped-def]
    """Every invitation queued in `code`, its date written in it, its link opening the pages in
    it, and Notify given the template for it."""
    invites = _invites(session)
    assert invites, "no invitation was queued"
    for invite in invites:
        assert invite.language == code
        assert invite.personalisation["book_by"] == format_date(latest, "EEEE d MMMM y",
                                                                locale=LANGUAGES[code].babel_locale)
        assert invite.personalisation["invite_url"].endswith(f"?lang={code}")
        key = f"invite_{invite.channel}"
        assert template_for({key: "en", f"{key}_{code}": code}, _outgoing(invite)) == code


# ---- HL7 v2: PID-15 -------------------------------------------------------------------------

def test_the_welsh_example_is_a_v2_5_1_oml_o21_with_pid_15_to_hl7apy():
    message = hl7apy_parse(example(WELSH_ORDER).decode(), validation_level=VALIDATION_LEVEL.STRICT,
                           find_groups=True)
    language = message.oml_o21_patient.pid.pid_15
    assert (language.ce_1.to_er7(), language.ce_3.to_er7(), language.ce_4.to_er7()) == ("cym", "HL70296", "cy")


def test_a_welsh_order_over_mllp_invites_the_patient_in_welsh(engine, settings, session):
    seed_catalogue(session=session)
    make_organisation(session, "W97016", "Canton Medical Centre")
    with listener(engine, settings) as port:
        answer = send(port, example(WELSH_ORDER))
    ack = read_ack(answer)
    assert ack.msa.msa_1.to_er7() == "AA" and "ERR" not in answer, answer
    req = session.exec(select(LabRequest)).one()
    assert (req.language, req.source, req.status) == ("cy", "hl7", "invited")
    _assert_invited_in(session, "cy", dt.date(2026, 12, 11))
    assert {m.channel for m in _invites(session)} == {"sms", "email"}


def _read_pid_15(value: str):  # type: ignore[no-untyped-def]
    """The order our reader makes of the Welsh example with PID-15 set to `value`."""
    text = example(WELSH_ORDER).decode().replace("cym^Welsh^HL70296^cy^Cymraeg^ISO639-1", value)
    [order] = read_order(*parse_message(text.encode()))
    return order


@pytest.mark.parametrize(("value", "code"), [
    ("cym^Welsh^HL70296", "cy"), ("WEL^Welsh^HL70296", "cy"), ("cy", "cy"), ("CY-GB", "cy"),
    ("pol^Polish^HL70296", "pl"), ("PL", "pl"), ("ara^Arabic^HL70296", "ar"), ("ar", "ar"),
    ("^Polish^^pol^Polish^ISO639-2", "pl"),  # only the alternate identifier
    ("X1^Polish^99LOCAL^pl^Polish^ISO639-1", "pl"),  # a local code first, ISO 639 as the alternate
    ("eng^English^HL70296", ""), ("EN", ""), ("", ""),
])
def test_pid_15_in_iso_639_1_or_2_any_case_from_either_identifier(value, code):
    order = _read_pid_15(value)
    assert order.language == code and not order.problems and not order.warnings


@pytest.mark.parametrize("value", ["fra^French^HL70296", "ur", "klingon^Klingon^99LOCAL"])
def test_a_language_we_do_not_offer_is_english_with_a_warning_never_a_refusal(value):
    order = _read_pid_15(value)
    assert order.language == "" and not order.problems
    [warning] = order.warnings
    assert (warning.segment, warning.field, warning.severity, warning.code) == ("PID", 15, "W", "103")
    assert "English" in warning.text


def test_an_order_in_a_language_we_do_not_offer_is_taken_in_english(engine, settings, session):
    seed_catalogue(session=session)
    make_organisation(session, "W97016", "Canton Medical Centre")
    french = example(WELSH_ORDER).replace(b"cym^Welsh^HL70296^cy^Cymraeg^ISO639-1", b"fre^French^HL70296")
    with listener(engine, settings) as port:
        answer = send(port, french)
    ack = read_ack(answer)
    assert ack.msa.msa_1.to_er7() == "AA"
    err = ack.err  # one warning, located at PID-15, severity W
    assert err.err_2.to_er7().startswith("PID^1^15") and err.err_4.to_er7() == "W"
    req = session.exec(select(LabRequest)).one()
    assert req.language == "" and req.status == "invited"
    invites = _invites(session)
    assert invites and all(m.language == "" and "?lang=" not in m.personalisation["invite_url"] for m in invites)


# ---- FHIR: Patient.communication ------------------------------------------------------------

@pytest.fixture
def partner(session):  # type: ignore[no-untyped-def]
    seed_catalogue(session=session)
    make_organisation(session, "C88038", "Crookes Valley Practice")
    return {"Authorization": f"Bearer {make_partner_key(session)}"}


def test_the_arabic_example_is_a_valid_r4_transaction_to_fhir_resources():
    bundle = Bundle.model_validate(_bundle())
    patient = bundle.entry[0].resource
    preferred = [c for c in patient.communication if c.preferred]
    assert [c.language.coding[0].code for c in preferred] == ["ar"]
    assert preferred[0].language.coding[0].system == "urn:ietf:bcp:47"


def test_a_fhir_patient_who_prefers_arabic_is_invited_in_arabic(client, session, partner):
    resp = fhir_post(client, "", _bundle(), partner)
    assert resp.status_code == 200, resp.data[:500]
    req = session.exec(select(LabRequest)).one()
    assert (req.language, req.source, req.status) == ("ar", "fhir", "invited")
    _assert_invited_in(session, "ar", dt.date(2026, 12, 11))


def _communication(*entries: tuple[str, bool | None]) -> dict:  # type: ignore[type-arg]
    body = _bundle()
    body["entry"][0]["resource"]["communication"] = [
        {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": code}]},
         **({} if preferred is None else {"preferred": preferred})} for code, preferred in entries]
    return body


@pytest.mark.parametrize(("entries", "code"), [
    ((("pl", None), ("ar", None)), "pl"),  # none preferred: the first
    ((("en", None), ("cy-GB", True)), "cy"),  # the preferred one, a tag with a region
    ((("ur", True), ("ar", None)), ""),  # preferred Urdu, which we do not offer: English
    ((), ""),
])
def test_the_preferred_communication_wins_else_the_first(client, session, partner, entries, code):
    resp = fhir_post(client, "", _communication(*entries), partner)
    assert resp.status_code == 200, resp.data[:500]
    assert session.exec(select(LabRequest)).one().language == code
    assert {m.language for m in _invites(session)} == {code}


# ---- The JSON API: language -----------------------------------------------------------------

def _api_body(**overrides):  # type: ignore[no-untyped-def]
    body = {"nhs_number": "9990000026", "tests": ["FBC"], "requester": "Dr Ada Example", "organisation": "C88038",
            "given_name": "Margaret", "family_name": "O'Brien", "date_of_birth": "1948-03-04",
            "mobile": "07700 900123", "email": "margaret@example.com", "earliest": "2026-11-30",
            "latest": "2026-12-06"}
    body.update(overrides)
    return body


@pytest.mark.parametrize(("tag", "code"), [("cy", "cy"), ("cy-GB", "cy"), ("PL", "pl"), ("ar-Arab-EG", "ar")])
def test_the_api_takes_a_bcp_47_tag_and_invites_in_it(client, session, partner, tag, code):
    resp = client.post("/api/v1/requests", json=_api_body(language=tag), headers=partner)
    assert resp.status_code == 201, resp.json
    assert resp.json["language"] == code
    assert session.exec(select(LabRequest)).one().language == code
    _assert_invited_in(session, code, dt.date(2026, 12, 6))
    again = client.get(f"/api/v1/requests/{resp.json['request_number']}", headers=partner)
    assert again.json["language"] == code


@pytest.mark.parametrize("tag", ["en", "en-GB", "fr", "zh-Hant-TW", None, ""])
def test_english_a_language_we_do_not_offer_or_none_is_english(client, session, partner, tag):
    resp = client.post("/api/v1/requests", json=_api_body(language=tag), headers=partner)
    assert resp.status_code == 201, resp.json
    assert resp.json["language"] == "en" and session.exec(select(LabRequest)).one().language == ""
    assert {m.language for m in _invites(session)} == {""}


@pytest.mark.parametrize("tag", ["cy_GB", "Welsh language", "c", "cy-", "12", 44, True, ["cy"], {"tag": "cy"},
                                 "cy-" + "a" * 40])
def test_a_malformed_language_is_a_clear_422_that_changes_nothing(client, session, partner, tag):
    before = _counts(session)
    resp = client.post("/api/v1/requests", json=_api_body(language=tag), headers=partner)
    assert resp.status_code == 422, resp.json
    assert resp.json["error"] == "invalid"
    assert resp.json["fields"]["language"] == "Give the patient's language as a BCP 47 language tag, like cy or cy-GB"
    assert _counts(session) == before


# ---- What the language does after the request -----------------------------------------------

def _request(session, settings, language: str, *, earliest=dt.date(2026, 11, 25),  # type: ignore[no-untyped-def]
             latest=dt.date(2026, 11, 26)) -> LabRequest:
    seed_catalogue(session=session)
    make_organisation(session)
    return submit_request(
        session=session, nhs_number="9990000026", tests=["FBC"], requester="Dr A", organisation="B86001",
        given_name="Margaret", family_name="O'Brien", date_of_birth="1948-03-04", mobile="07700900123",
        earliest=earliest.isoformat(), latest=latest.isoformat(), language=language, settings=settings, now=NOW,
    ).request


def test_the_reminder_is_in_the_requests_language(session, settings):
    _request(session, settings, "pl", earliest=dt.date(2026, 11, 30), latest=dt.date(2026, 12, 11))
    report = follow_up_requests(session=session, settings=settings, now=NOW + dt.timedelta(days=14))
    assert report.reminded == 1
    [reminder] = session.exec(select(OutboxMessage).where(OutboxMessage.template == "request_reminder")).all()
    assert reminder.language == "pl" and reminder.personalisation["invite_url"].endswith("?lang=pl")


def test_the_requests_language_wins_over_the_one_last_booked_in(session, settings):
    from tests.integration.test_language_journeys_more import _booked_before_in

    _booked_before_in(session, settings, "cy")
    _request(session, settings, "ar")
    assert {m.language for m in _invites(session)} == {"ar"}


def test_the_booking_made_through_a_welsh_invitation_is_welsh(client, session, settings):
    _request(session, settings, "cy")
    site = make_site(session, name="Northgate Health Centre", postcode="LS7 3AB")
    make_clinic(session, site=site, day=dt.date(2026, 11, 25), start=dt.time(8, 0), end=dt.time(12, 0),
                slot_minutes=30)
    [invite] = _invites(session)
    link = "/r/" + invite.personalisation["invite_url"].rsplit("/r/", 1)[1]
    assert link.endswith("?lang=cy")
    opened = client.get(link, follow_redirects=True)  # ?lang=cy chooses Welsh, then the link opens
    assert opened.request.path == "/book/invitation/date-of-birth" and '<html lang="cy"' in opened.text
    assert submit(client, "/book/invitation/date-of-birth",
                  {"dob-day": "4", "dob-month": "3", "dob-year": "1948"}).status_code == 302
    submit(client, "/book/invitation/postcode", {"postcode": "LS7 3AB"})
    submit(client, "/book/invitation/place", {"site_id": str(site.id)})
    submit(client, "/book/invitation/date", {"date": "2026-11-25"})
    times = get(client, "/book/invitation/time")
    submit(client, "/book/invitation/time", {"slot_id": times.radios["slot_id"][0][0]})
    check = get(client, "/book/invitation/check")
    assert '<html lang="cy"' in check.html
    assert submit(client, "/book/invitation/check", page=check).status_code == 302
    appt = session.exec(select(Appointment)).one()
    assert appt.language == "cy" and appt.request_number == session.exec(select(LabRequest)).one().request_number
    booked = session.exec(select(OutboxMessage).where(OutboxMessage.appointment_id == appt.id)).all()
    assert booked and {m.language for m in booked} == {"cy"}


# ---- The requester's pages ------------------------------------------------------------------

@pytest.fixture
def requester(session):  # type: ignore[no-untyped-def]
    seed_catalogue(session=session)
    make_organisation(session, "B86001", "Park Surgery")
    return make_requester(session, "B86001", username="drlang")


def _order(client, language: str | None):  # type: ignore[no-untyped-def]
    client.get("/staff/requests/new")
    patient = {"nhs_number": "999 000 0026", "given_name": "Margaret", "family_name": "O'Brien",
               "dob-day": "4", "dob-month": "3", "dob-year": "1948", "mobile": "07700 900123", "email": ""}
    if language is not None:
        patient["language"] = language
    resp = post(client, "/staff/requests/new/patient", patient)
    if resp.status_code != 302:
        return resp
    post(client, "/staff/requests/new/tests", {"tests": ["FBC"]})
    post(client, "/staff/requests/new/details", {"urgency": "routine", "when": "asap", "clinical_details": ""})
    return client.get("/staff/requests/new/check")


def test_the_requester_asks_the_language_shows_it_on_the_check_page_and_sends_it(client, session, requester):
    sign_in(client, "drlang")
    page = client.get("/staff/requests/new/patient").text
    assert "Language for messages to the patient" in page
    for code, lang in LANGUAGES.items():  # each language in its own name, marked as written in it
        assert f'lang="{"en-GB" if code == "en" else code}" dir="{lang.direction}">{lang.name}</label>' in page
    assert 'value="en" checked' in page  # English unless the requester says otherwise
    check = _order(client, "ar")
    assert check.status_code == 200
    assert 'Arabic (<span lang="ar" dir="rtl">العربية</span>)' in check.text
    done = post(client, "/staff/requests/new/check", {})
    assert done.status_code == 302
    req = session.exec(select(LabRequest)).one()
    assert req.language == "ar" and {m.language for m in _invites(session)} == {"ar"}
    detail = client.get(f"/staff/requests/{req.request_number}").text
    assert 'Arabic (<span lang="ar" dir="rtl">العربية</span>)' in detail
    assert "Invitation to book by text message in Arabic" in detail


def test_the_requesters_answer_is_kept_when_they_come_back_to_the_page(client, session, requester):
    sign_in(client, "drlang")
    _order(client, "pl")
    again = client.get("/staff/requests/new/patient?from=check").text
    assert 'value="pl" checked' in again and 'value="en" checked' not in again


@pytest.mark.parametrize("language", ["fr", "", "cy-GB"])
def test_a_language_not_on_the_list_is_asked_again_and_nothing_is_sent(client, session, requester, language):
    sign_in(client, "drlang")
    resp = _order(client, language)
    assert resp.status_code == 400 and "Choose the language for messages to the patient" in resp.text
    assert session.exec(select(func.count()).select_from(LabRequest)).one() == 0


def test_english_is_shown_for_a_request_without_a_language(client, session, requester, settings):
    sign_in(client, "drlang")
    _order(client, "en")
    post(client, "/staff/requests/new/check", {})
    req = session.exec(select(LabRequest)).one()
    assert req.language == ""
    detail = client.get(f"/staff/requests/{req.request_number}").text
    assert "Language for messages</dt><dd class=\"nhsuk-summary-list__value\">English</dd>" in detail



def test_the_local_outbox_writes_the_requests_welsh_invitation(engine, session, settings):
    """No booking before: the Welsh comes from the request alone, through the same texts as a
    booking's messages."""
    from booking_web.notify import LocalFileSender, send_due_messages

    _request(session, settings, "cy")
    session.commit()
    sender = LocalFileSender(settings.outbox_dir, "http://127.0.0.1:5000")
    assert send_due_messages(engine=engine, settings=settings, sender=sender, now=NOW).sent == 1
    [path] = settings.outbox_dir.glob("*.txt")
    text = path.read_text()
    assert "GIG: Mae eich meddygfa wedi gofyn am brawf gwaed. Archebwch erbyn Dydd Iau 26 Tachwedd 2026" in text
    assert "?lang=cy" in text
