"""Defects a new user met on the patient pages (issue 11 items 5, 7, 10, 14 and 17), each shown
through the real pages on SQLite and PostgreSQL: a test's places, request numbers, Back after
booking, the words, and error pages."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from sqlmodel import select

from booking_web.services import availability, booking
from shared.models import Appointment
from shared.nhs_number import make_test_number
from shared.references import format_reference
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, make_site, slots_of
from tests.integration.public_pages import get, parse, pdf_text, submit
from tests.integration.test_public_booking import (
    DAY,
    NHS,
    _place_hints,
    answer,
    choose,
    confirm,
    six_test_request,
    walk_to_check,
)
from tests.integration.test_public_booking import sites as sites  # noqa: F401 (fixture)


def _gtt_places(client) -> list[str]:  # type: ignore[no-untyped-def]
    client.get("/book")
    choose(client, "/book/type", "type", "Glucose tolerance test")
    answer(client, "/book/postcode", {"postcode": "LS7 1AA"})
    return list(_place_hints(get(client, "/book/place")))


# Item 5: a test's places are only those that run it.


def test_a_glucose_tolerance_test_lists_only_places_that_run_one(client, session, sites):
    gtt = make_site(session, name="Glucose Centre", postcode="LS2 9JT")
    make_clinic(session, site=gtt, day=DAY, start=dt.time(8, 0), end=dt.time(10, 30),
                slot_minutes=150, types=("gtt",))
    closed = make_site(session, name="Closed Glucose Clinic", postcode="LS2 9JT")
    shut = make_clinic(session, site=closed, day=DAY, start=dt.time(8, 0), end=dt.time(10, 30),
                       slot_minutes=150, types=("gtt",))
    shut.closed_at = NOW
    session.add(shut)
    session.commit()
    assert _gtt_places(client) == ["Glucose Centre"]


def test_a_place_whose_glucose_tests_are_all_booked_is_still_listed(client, session, sites):
    gtt = make_site(session, name="Glucose Centre", postcode="LS2 9JT")
    clinic = make_clinic(session, site=gtt, day=DAY, start=dt.time(8, 0), end=dt.time(10, 30),
                         slot_minutes=150, types=("gtt",))
    for slot in slots_of(session, clinic):
        slot.booked = slot.capacity
        session.add(slot)
    session.commit()
    client.get("/book")
    choose(client, "/book/type", "type", "Glucose tolerance test")
    answer(client, "/book/postcode", {"postcode": "LS7 1AA"})
    hints = _place_hints(get(client, "/book/place"))
    assert list(hints) == ["Glucose Centre"]
    assert "No times free in the next 6 weeks" in hints["Glucose Centre"]


def test_sites_are_filtered_by_the_clinics_from_today_on(session, settings, sites):
    old = make_site(session, name="Used To Do Glucose")
    clinic = make_clinic(session, site=old, day=DAY, end=dt.time(11, 30), slot_minutes=150,
                         types=("gtt",))
    clinic.date = NOW.date() - dt.timedelta(days=7)  # a clinic it ran last week
    session.add(clinic)
    session.commit()
    firsts = availability.first_free_slots(session=session, postcode=None, type_code="gtt",
                                           now=NOW, settings=settings)
    assert firsts == []


# Item 7: request numbers typed by patients.


def _to_request_page(client, *, nhs: str | None = NHS) -> None:  # type: ignore[no-untyped-def]
    walk_to_check(client, nhs=nhs)


def test_a_request_number_is_checked_against_the_requests_held(client, session, sites):
    mine = six_test_request(session, nhs_number=NHS)
    theirs = six_test_request(session, nhs_number=make_test_number(777))
    _to_request_page(client)
    page = get(client, "/book/test-request-number")
    assert "RQ and 8 numbers, like RQ00012345" in page.text  # what one looks like
    answers = {}
    for typed in ("RQ99999999", theirs):  # unknown, and another patient's: the same answer
        response = submit(client, "/book/test-request-number", {"request_number": typed})
        assert response.status_code == 400
        answers[typed] = parse(response.data).field_errors["request_number"]
    assert len(set(answers.values())) == 1
    assert "could not find a test request with that number for you" in answers[theirs]
    spaced = f"{mine[:2]} {mine[2:6]} {mine[6:]}"
    answer(client, "/book/test-request-number", {"request_number": spaced}, "/book/check")
    page = confirm(client)
    appt = session.exec(select(Appointment)).one()
    assert appt.request_number == mine and format_reference(appt.reference) in page.text


def test_without_an_nhs_number_no_request_can_be_matched(client, session, sites):
    mine = six_test_request(session, nhs_number=NHS)
    _to_request_page(client, nhs=None)
    response = submit(client, "/book/test-request-number", {"request_number": mine})
    assert response.status_code == 400 and "leave this empty" in response.text


def test_the_booking_service_refuses_another_patients_request(session, settings):
    theirs = six_test_request(session, nhs_number=make_test_number(777))
    slot = slots_of(session, make_clinic(session, day=DAY))[0]
    from shared.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        booking.book_appointment(session=session, slot_id=slot.id, type_code="adult",
                                 patient=make_patient(1), now=NOW, settings=settings,
                                 request_number=theirs)
    assert refused.value.code == "request_not_found"
    assert session.exec(select(Appointment)).all() == []


def test_partner_api_gets_one_answer_for_unknown_and_other_patients_requests(
        client, session, settings):
    from tests.factories import make_partner_key

    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    theirs = six_test_request(session, nhs_number=make_test_number(777))
    slot = slots_of(session, make_clinic(session, day=DAY))[0]
    bodies = []
    for number in ("RQ99999999", theirs):
        resp = client.post("/api/v1/appointments", headers=auth, json={
            "slot_id": slot.id, "appointment_type": "adult", "request_number": number,
            "patient": {"nhs_number": make_patient(1).nhs_number, "given_name": "Jane",
                        "family_name": "Testperson", "date_of_birth": "1970-05-17",
                        "mobile": "07700900123"}})
        assert resp.status_code == 422, resp.json
        bodies.append(resp.json)
    assert bodies[0] == bodies[1]


# Item 10: Back after booking.


def test_back_after_booking_says_you_have_booked_with_the_reference(client, session, sites):
    walk_to_check(client)
    confirm(client)
    appt = session.exec(select(Appointment)).one()
    for url in ("/book/check", "/book/test-request-number", "/book/type", "/book/time"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/book/booked"), url
        assert response.headers["Cache-Control"] == "no-store", url  # Back asks the server
    page = get(client, "/book/booked")
    assert page.h1 == "You have booked your blood test"
    assert format_reference(appt.reference) in page.text
    assert page.link("Book another blood test") == "/book"
    assert client.get("/book").headers["Location"].endswith("/book/type")
    assert get(client, "/book/type").h1 == "What type of blood test do you need?"


# Item 14: the words.


def test_the_nhs_number_page_says_i_do_not_know_my_nhs_number(client, sites):
    client.get("/book")
    choose(client, "/book/type", "type", "Adult blood test")
    answer(client, "/book/postcode", {"postcode": "LS7 1AA"})
    choose(client, "/book/place", "site_id", "Northgate Health Centre")
    choose(client, "/book/date", "date", "Wednesday 25 November 2026")
    choose(client, "/book/time", "slot_id", "9:10am")
    answer(client, "/book/nhs-number-known", {"nhs_known": "yes"})
    page = get(client, "/book/nhs-number")
    assert page.link("I do not know my NHS number").endswith("/book/nhs-number-known")


def test_the_child_journey_speaks_of_the_child(client, sites):
    client.get("/book")
    choose(client, "/book/type", "type", "Child blood test")
    answer(client, "/book/postcode", {"postcode": "LS7 1AA"})
    place = get(client, "/book/place")
    # The children's clinic notice is under the heading, with the question's hint.
    assert "Only places with a children's clinic are shown" in unescape(place.html.split("<h1")[1])
    choose(client, "/book/place", "site_id", "Riverside Children's Clinic")
    choose(client, "/book/date", "date", "Wednesday 25 November 2026")
    choose(client, "/book/time", "slot_id", "9:15am")
    answer(client, "/book/nhs-number-known", {"nhs_known": "yes"})
    nhs = parse(submit(client, "/book/nhs-number", {"nhs_number": ""}).data)
    assert nhs.field_errors["nhs_number"] == "Enter their NHS number"
    assert nhs.link("I do not know their NHS number")
    answer(client, "/book/nhs-number", {"nhs_number": NHS})
    name = parse(submit(client, "/book/name", {"given_name": "", "family_name": ""}).data)
    assert name.field_errors["given_name"] == "Enter their first name"
    answer(client, "/book/name", {"given_name": "Amira", "family_name": "Khan"})
    future = submit(client, "/book/date-of-birth",
                    {"dob-day": "1", "dob-month": "1", "dob-year": "2030"})
    assert "Their date of birth must be in the past" in parse(future.data).summary_texts


def test_page_titles_match_their_headings(client, sites):
    client.get("/book")
    choose(client, "/book/type", "type", "Adult blood test")
    answer(client, "/book/postcode", {"postcode": "LS7 1AA"})
    for url in ("/book/place", "/book/date", "/book/time"):
        page = get(client, url)
        assert page.title.startswith(page.h1 + " – "), (page.title, page.h1)
        first = page.radios[next(iter(page.radios))][0][0]
        answer(client, url, {next(iter(page.radios)): first})


def test_months_typed_as_words_are_accepted(client, sites):
    walk_to_check(client)
    answer(client, "/book/date-of-birth?from=check",
           {"dob-day": "3", "dob-month": "feb", "dob-year": "1948"}, "/book/check")
    assert "3 February 1948" in get(client, "/book/check").text


def test_the_confirmation_says_where_it_was_sent_and_its_link_fills_the_reference(
        client, session, sites):
    walk_to_check(client)
    page = confirm(client)
    appt = session.exec(select(Appointment)).one()
    assert "We have sent a text message to 07700 900982 with these details." in page.text
    link = page.link("change or cancel your appointment")
    lookup = get(client, link)
    assert lookup.inputs["reference"]["value"] == format_reference(appt.reference)


def test_type_names_keep_their_capitals_in_sentences(client, session, settings):
    site = make_site(session)
    slot = slots_of(session, make_clinic(session, site=site, day=DAY, types=("inr",)))[0]
    appt = booking.book_appointment(session=session, slot_id=slot.id, type_code="inr",
                                    patient=make_patient(2), now=NOW, settings=settings).appointment
    submit(client, "/manage", {"reference": appt.reference, "dob-day": "17", "dob-month": "5",
                               "dob-year": "1970"})
    page = get(client, "/manage/cancel")
    submit(client, "/manage/cancel", page=page)
    cancelled = get(client, "/manage/cancelled")
    assert "Your INR (anticoagulation) test at" in cancelled.text
    from booking_web.messages import words
    from shared.errors import RuleViolation

    closed_slot = slots_of(session, make_clinic(session, site=site, day=DAY,
                                                start=dt.time(13), end=dt.time(14),
                                                types=("adult",)))[0]
    with pytest.raises(RuleViolation) as wrong:
        booking.book_appointment(session=session, slot_id=closed_slot.id, type_code="inr",
                                 patient=make_patient(3), now=NOW, settings=settings)
    assert "not available for an INR (anticoagulation) test" in words(wrong.value)


def test_a_childs_letter_speaks_of_the_child(client, session, settings, sites):
    walk_to_check(client, type_label="Child blood test", site="Riverside Children's Clinic",
                  time="9:15am", dob=("3", "4", "2018"), given="Amira", family="Khan")
    page = confirm(client)
    text = pdf_text(client.get(page.link("appointment letter")).data)
    assert b"Your child's blood test appointment" in text and b"the child's date of birth" in text
    assert b"Before the test" in text


# Item 17: error pages wear the site's layout; form errors answer 400.


def test_unknown_addresses_get_the_sites_own_not_found_page(client, app):
    public = client.get("/no-such-page")
    assert public.status_code == 404
    page = parse(public.data)
    assert page.h1 == "Page not found" and page.title == "Page not found – Book a blood test – NHS"
    assert page.link("Book a blood test") == "/"
    staff = client.get("/staff/no-such-page")
    assert staff.status_code == 404 and "Phlebo staff" in parse(staff.data).title
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json["error"] == "not_found"
    wrong_method = client.post("/manage/booking")
    assert wrong_method.status_code == 405
    assert parse(wrong_method.data).h1 == "Sorry, that did not work"


def test_a_fault_shows_the_sites_page_and_no_stack_trace(client, app, monkeypatch, sites):
    def broken(**_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database on fire: SECRET-DETAIL")

    monkeypatch.setattr(availability, "appointment_types", broken)
    app.config["TESTING"] = False  # as in production: faults are answered, not raised
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/book/type")
    assert response.status_code == 500
    page = parse(response.data)
    assert page.h1 == "Sorry, there is a problem with the service"
    assert "SECRET-DETAIL" not in response.text and "Traceback" not in response.text
    assert "NHS" in page.title


# Item 7, staff side: a request added at the chair, after check-in.


def test_staff_add_a_request_at_the_chair_after_check_in(client, app, session, settings):
    import uuid

    from tests.factories import make_staff
    from tests.integration.test_checkin import at, book, kiosk_key
    from tests.integration.test_checkin import six_test_request as request_for
    from tests.integration.test_staff import post, sign_in

    site = make_site(session, name="Leeds General")
    make_staff(session, role="phlebotomist", username="pat", site_id=site.id)
    appt = book(session, settings, make_clinic(session, site=site, day=NOW.date()))
    at(app, 8, 55)
    checked = client.post("/api/v1/kiosk/checkin", headers=kiosk_key(session, site), json={
        "reference": appt.reference, "date_of_birth": "1970-05-17",
        "request_id": str(uuid.uuid4())})
    assert checked.status_code == 200, checked.json
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    page = client.get(path).text
    assert "No test request" in page and ">None<" not in page
    number = request_for(session, n=0)
    done = post(client, f"{path}/request", {"request_number": number}, form_page=path)
    assert done.status_code == 302
    after = client.get(path).text
    assert number in after and "label them by hand" in after
    session.expire_all()
    assert session.get(Appointment, appt.id).request_number == number
