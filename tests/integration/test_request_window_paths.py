"""A GP request's window holds on every way a booking for it is made or moved, on SQLite and
PostgreSQL: the patient's own journey with the request number typed in, the partner API, and
the waiting list (a freed chair before the window is not offered to a booking that holds it)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlmodel import select

from booking_web.services import booking
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import submit_request
from booking_web.waitlist.offers import offer_free_chairs
from booking_web.waitlist.service import join_waiting_list
from shared.models import Appointment, LabRequest, OutboxMessage
from tests.conftest import NOW
from tests.factories import (
    make_clinic,
    make_organisation,
    make_partner_key,
    make_patient,
    make_site,
    slots_of,
)
from tests.integration.public_pages import parse, submit
from tests.integration.test_public_booking import NHS, confirm, sites, walk_to_check  # noqa: F401 (sites: a fixture)


def _request(session, *, nhs_number: str, given: str, family: str, dob: str, earliest: str, latest: str) -> str:  # type: ignore[no-untyped-def]
    seed_catalogue(session=session)
    make_organisation(session)
    return submit_request(
        session=session, nhs_number=nhs_number, tests=["FBC"], requester="Dr A", organisation="B86001",
        given_name=given, family_name=family, date_of_birth=dob, earliest=earliest, latest=latest, now=NOW,
    ).request.request_number


def test_the_booking_journey_with_a_request_number_keeps_to_its_window(client, session, sites):  # noqa: F811
    number = _request(session, nhs_number=NHS, given="Zoë", family="O'Brien", dob="1970-05-17",
                      earliest="2026-11-30", latest="2026-12-04")
    check = walk_to_check(client, request_number=number)  # Wednesday 25 November: before the window
    refused = submit(client, "/book/check", page=check)
    assert refused.status_code == 400
    assert parse(refused.data).summary_texts == [
        "The test was asked for between Monday 30 November 2026 and Friday 4 December 2026. Choose a date "
        "between them."]
    assert session.exec(select(Appointment)).all() == []
    assert session.exec(select(LabRequest)).one().status == "waiting"


def test_booking_without_the_link_is_linked_to_the_open_request_and_the_confirmation_lists_its_tests(
        client, session, sites):  # noqa: F811
    number = _request(session, nhs_number=NHS, given="Zoë", family="O'Brien", dob="1970-05-17",
                      earliest="2026-11-24", latest="2026-11-27")
    walk_to_check(client)  # the same NHS number and date of birth, no request number typed
    page = confirm(client)
    assert "For the tests your GP practice asked for: Full blood count" in page.text
    assert session.exec(select(Appointment)).one().request_number == number
    assert session.exec(select(LabRequest)).one().status == "booked"


def test_the_partner_api_cannot_book_a_request_outside_its_window(client, session, settings):
    number = _request(session, nhs_number="9990000026", given="Margaret", family="O'Brien", dob="1948-03-04",
                      earliest="2026-11-30", latest="2026-12-04")
    headers = {"Authorization": f"Bearer {make_partner_key(session)}"}
    early = slots_of(session, make_clinic(session, day=dt.date(2026, 11, 25)))[0]
    patient = {"nhs_number": "9990000026", "given_name": "Margaret", "family_name": "O'Brien",
               "date_of_birth": "1948-03-04", "mobile": "07700 900123"}
    answer = client.post("/api/v1/appointments", headers=headers, json={
        "slot_id": early.id, "appointment_type": "adult", "patient": patient, "request_number": number})
    assert 400 <= answer.status_code < 500, answer.status_code
    assert answer.json["error"] == "request_window" and "30 November" in answer.json["message"]
    assert session.exec(select(Appointment)).all() == []
    inside = slots_of(session, make_clinic(session, day=dt.date(2026, 11, 30)))[0]
    booked = client.post("/api/v1/appointments", headers=headers, json={
        "slot_id": inside.id, "appointment_type": "adult", "patient": patient, "request_number": number})
    assert booked.status_code == 201 and booked.json["request_number"] == number


def test_the_waiting_list_offers_a_request_booking_only_chairs_inside_its_window(session, settings):
    quick = dataclasses.replace(settings, min_notice_minutes=0)
    site = make_site(session)
    me = make_patient(1, family_name="Holloway")
    number = _request(session, nhs_number=me.nhs_number, given=me.given_name, family=me.family_name,
                      dob=me.date_of_birth.isoformat(), earliest="2026-11-26", latest="2026-12-04")
    one_chair = {"start": dt.time(9, 0), "end": dt.time(9, 10), "chairs": 1}
    before = slots_of(session, make_clinic(session, site=site, day=dt.date(2026, 11, 25), **one_chair))[0]
    inside = slots_of(session, make_clinic(session, site=site, day=dt.date(2026, 11, 27), **one_chair))[0]
    later = slots_of(session, make_clinic(session, site=site, day=dt.date(2026, 12, 3), chairs=1))[0]
    fillers = [booking.book_appointment(session=session, slot_id=slot.id, type_code="adult",
                                        patient=make_patient(90 + i), now=NOW, settings=quick).appointment
               for i, slot in enumerate((before, inside))]
    mine = booking.book_appointment(session=session, slot_id=later.id, type_code="adult", patient=me,
                                    now=NOW, settings=quick, request_number=number).appointment
    join_waiting_list(session=session, reference=mine.reference, date_of_birth=me.date_of_birth,
                      site_ids=[site.id], now=NOW)
    booking.cancel_appointment(session=session, reference=fillers[0].reference,
                               date_of_birth=make_patient(90).date_of_birth, now=NOW)
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 0  # 25 November: before the window
    booking.cancel_appointment(session=session, reference=fillers[1].reference,
                               date_of_birth=make_patient(91).date_of_birth, now=NOW)
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 1
    [offer] = session.exec(select(OutboxMessage).where(OutboxMessage.template == "waitlist_offer")).all()
    assert offer.appointment_id == mine.id and offer.personalisation["date"] == "Friday 27 November 2026"
