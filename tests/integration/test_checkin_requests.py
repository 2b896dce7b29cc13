"""Test requests from partners (POST /api/v1/requests) and their use at check-in."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import request_exists
from shared.models import LabRequest, LabRequestTest
from shared.nhs_number import make_test_number
from tests.factories import make_partner_key, make_patient


def test_a_partner_posts_a_request_and_gets_its_number(client, session):
    seed_catalogue(session=session)
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    resp = client.post(
        "/api/v1/requests",
        headers=auth,
        json={
            "nhs_number": make_test_number(7),
            "tests": ["fbc", "UE", "FBC"],
            "requester": "Dr A Example, Park Surgery",
        },
    )
    assert resp.status_code == 201, resp.json
    number = resp.json["request_number"]
    assert number.startswith("RQ") and request_exists(session=session, request_number=number)
    row = session.exec(select(LabRequest)).one()
    codes = [
        t.test_code for t in session.exec(select(LabRequestTest).order_by(LabRequestTest.position))
    ]
    assert row.requester == "Dr A Example, Park Surgery" and codes == ["FBC", "UE"]


def test_bad_requests_are_422_with_every_field_named_and_store_nothing(client, session):
    seed_catalogue(session=session)
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    resp = client.post(
        "/api/v1/requests",
        headers=auth,
        json={"nhs_number": "999 123 4560", "tests": ["FBC", "NOPE"], "requester": ""},
    )
    assert resp.status_code == 422 and resp.json["error"] == "invalid"
    assert set(resp.json["fields"]) == {"nhs_number", "tests", "requester"}
    assert "NOPE" in resp.json["fields"]["tests"]
    for body in (
        {},
        {"nhs_number": 9990000018, "tests": "FBC", "requester": 5},
        {"tests": []},
        {"nhs_number": make_test_number(1), "tests": ["FB\x00C"], "requester": "Dr\x00"},
    ):
        resp = client.post("/api/v1/requests", headers=auth, json=body)
        assert resp.status_code == 422 and "tests" in resp.json["fields"], body
    assert session.exec(select(LabRequest)).all() == []


def test_a_request_for_another_nhs_number_is_refused_at_booking_and_never_used_for_labels(
    client, app, session, settings
):
    from tests.factories import make_clinic, make_site
    from tests.integration.test_checkin import at, book, checkin, kiosk_key, six_test_request

    site = make_site(session)
    clinic = make_clinic(session, site=site, day=dt.date(2026, 11, 23))
    other_patients_request = six_test_request(session, n=5)
    appt = book(session, settings, clinic, n=0)
    # Booking refuses another patient's request (test_public_request_numbers.py); should one be
    # on a booking all the same, check-in still never labels tubes with its tests.
    appt.request_number = other_patients_request
    session.add(appt)
    session.commit()
    at(app, 8, 55)
    body = checkin(client, kiosk_key(session, site), appt.reference).json
    assert [lab["container"] for lab in body["labels"]] == ["Patient ID", "Patient ID"]
    assert make_patient(5).nhs_number != make_patient(0).nhs_number
