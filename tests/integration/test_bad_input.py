"""Each bad input the fault experiments found answering 500 (issue 17, part 4), one test each:
now a 4xx with the usual error shape, and nothing written. On SQLite and PostgreSQL, through
the Flask app; tests/faults/ sends the same and more over raw sockets to gunicorn."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from sqlmodel import select

from booking_web.services.accounts import create_api_key, key_for_token
from booking_web.services.booking import book_appointment
from booking_web.services.checkin import check_in
from shared.models import Appointment, KeyKind, StaffAudit
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_partner_key, make_patient, make_staff, slots_of
from tests.integration.test_staff import csrf, post, sign_in
from tests.rows import rows_by_table

DAY = dt.date(2026, 11, 25)
TODAY = dt.date(2026, 11, 23)  # NOW's London day


@pytest.fixture
def partner(session) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_partner_key(session)}"}


@pytest.fixture
def slot_id(session) -> int:
    return slots_of(session, make_clinic(session, day=DAY))[0].id


@pytest.fixture
def print_job(session, settings) -> tuple[dict[str, str], int, str]:
    """A kiosk's headers, and a pending kiosk print job at its site with one label."""
    clinic = make_clinic(session, day=TODAY, start=dt.time(8), end=dt.time(9))
    patient = make_patient(1)
    appt = book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id, type_code="adult",
                            patient=patient, now=NOW,
                            settings=dataclasses.replace(settings, min_notice_minutes=0)).appointment
    token = create_api_key(session=session, actor=SETUP,
                           name="kiosk", kind=KeyKind.KIOSK, site_id=clinic.site_id, now=NOW)
    done = check_in(session=session, site_id=clinic.site_id, api_key_id=key_for_token(session=session, token=token).id,
                    reference=appt.reference, date_of_birth=patient.date_of_birth,
                    request_id="3f0e8a52-5b1c-4c1e-9a51-0a6e2b1c7d10", now=NOW, settings=settings)
    return {"Authorization": f"Bearer {token}"}, done.job_id, done.labels[0].specimen_id


def refused(response, engine, before: dict[str, int], status: int | tuple[int, ...]) -> dict:  # type: ignore[no-untyped-def]
    """The answer is the expected 4xx in the API's error shape, and no table gained a row."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.data[:300])
    body = response.json
    assert isinstance(body["error"], str) and body["error"] and isinstance(body["message"], str)
    assert isinstance(body["fields"], dict)
    assert rows_by_table(engine) == before
    return body


def booking_body(slot: int) -> dict:
    return {"slot_id": slot, "appointment_type": "adult", "patient": {
        "nhs_number": "9990000026", "given_name": "Ada", "family_name": "Okafor",
        "date_of_birth": "1950-01-02", "mobile": "07700 900 456"}}


@pytest.mark.parametrize("depth", [1_000, 30_000])  # 30,000 deep still fits the 64 KB limit
def test_json_nested_deeper_than_any_request_is_422(client, engine, partner, slot_id, depth):
    before = rows_by_table(engine)
    deep = '{"slot_id": ' + "[" * depth + "]" * depth + "}"
    body = refused(client.post("/api/v1/appointments", data=deep, headers={**partner, "Content-Type": "application/json"}),
                   engine, before, 422)
    assert body["error"] == "invalid_json" and "nested" in body["message"]


def test_json_nested_a_little_too_deep_is_422_too(client, engine, partner, slot_id):
    before = rows_by_table(engine)
    body = booking_body(slot_id)
    node = body["patient"]
    for _ in range(40):
        node["x"] = {}
        node = node["x"]
    refused(client.post("/api/v1/appointments", json=body, headers=partner), engine, before, 422)


@pytest.mark.parametrize("report", [
    {"results": [], "printer_status": []},
    {"results": [{"specimen_id": {}, "outcome": "confirmed"}], "printer_status": "ok"},
    {"results": [{"specimen_id": "SID", "outcome": []}], "printer_status": "ok"},
], ids=["printer_status=[]", "specimen_id={}", "outcome=[]"])
def test_print_reports_with_wrong_json_types_are_422(client, engine, print_job, report):
    kiosk, job_id, specimen = print_job
    sent = json.loads(json.dumps(report).replace('"SID"', json.dumps(specimen)))
    before = rows_by_table(engine)
    refused(client.post(f"/api/v1/kiosk/print-jobs/{job_id}", json=sent, headers=kiosk), engine, before, 422)


@pytest.mark.parametrize("detail", ["paper jam\u0000", "paper \ud800 jam"], ids=["NUL", "lone surrogate"])
def test_text_no_database_can_keep_is_422(client, engine, print_job, detail):
    kiosk, job_id, specimen = print_job
    # json.dumps writes both as \u escapes: valid JSON text, a string no database will store.
    raw = json.dumps({"results": [{"specimen_id": specimen, "outcome": "confirmed"}], "printer_status": "ok",
                      "detail": detail})
    before = rows_by_table(engine)
    body = refused(client.post(f"/api/v1/kiosk/print-jobs/{job_id}", data=raw,
                               headers={**kiosk, "Content-Type": "application/json"}), engine, before, 422)
    assert body["error"] == "invalid_text" and "NUL character or invalid Unicode" in body["message"]


def test_a_nul_character_in_the_query_is_422(client, engine, partner):
    before = rows_by_table(engine)
    body = refused(client.get("/api/v1/slots?site_id=1&date=2026-11-25&appointment_type=adult%00",
                              headers=partner), engine, before, 422)
    assert body["error"] == "invalid_text"


def test_a_nul_character_in_a_reference_in_the_path_is_404(client, engine, partner):
    before = rows_by_table(engine)
    refused(client.post("/api/v1/appointments/ABC%00DEF/cancel", json={"date_of_birth": "1950-01-02"},
                        headers=partner), engine, before, 404)


def test_a_nul_character_in_a_staff_form_is_400_and_changes_nothing(client, engine, session, settings):
    """A free-text field no validator looks at (a cancellation reason) reached the database."""
    make_staff(session, role="admin", username="ada")
    clinic = make_clinic(session, day=TODAY)
    appt = book_appointment(session=session, slot_id=slots_of(session, clinic)[5].id, type_code="adult",
                            patient=make_patient(2), now=NOW,
                            settings=dataclasses.replace(settings, min_notice_minutes=0)).appointment
    sign_in(client, "ada")
    post(client, "/staff/today/site", {"site_id": str(clinic.site_id)}, form_page="/staff/today")
    token = csrf(client, f"/staff/today/{appt.id}")  # opening the page is audited: a write of its own
    before = rows_by_table(engine)
    answer = client.post(f"/staff/today/{appt.id}/cancel", data={"csrf_token": token, "reason": "patient\x00 unwell"})
    assert answer.status_code in (200, 400), answer.status_code
    assert b"NUL character" in answer.data
    after = rows_by_table(engine)
    # The page shown again is audited as a view (as every showing of a patient is); nothing else.
    assert {t: n for t, n in after.items() if t != "staff_audit"} == {t: n for t, n in before.items() if t != "staff_audit"}
    session.expire_all()
    assert session.get(Appointment, appt.id).status == "booked"
    assert [a.action for a in session.exec(select(StaffAudit).order_by(StaffAudit.id))][-1] == "view"


def test_a_slot_id_of_ten_to_the_thirty_is_404(client, engine, partner):
    before = rows_by_table(engine)
    body = refused(client.post("/api/v1/appointments", json=booking_body(10**30), headers=partner), engine, before, 404)
    assert body["error"] == "slot_not_found"


def test_a_site_id_of_ten_to_the_thirty_is_422(client, engine, partner):
    before = rows_by_table(engine)
    body = refused(client.get(f"/api/v1/slots?site_id={10**30}&date=2026-11-25&appointment_type=adult",
                              headers=partner), engine, before, 422)
    assert "site_id" in body["fields"]


def test_a_print_job_id_of_ten_to_the_thirty_is_404(client, engine, print_job):
    kiosk, _job_id, specimen = print_job
    before = rows_by_table(engine)
    refused(client.post(f"/api/v1/kiosk/print-jobs/{10**30}", headers=kiosk, json={
        "results": [{"specimen_id": specimen, "outcome": "confirmed"}], "printer_status": "ok"}), engine, before, 404)


def test_a_staff_form_site_id_of_ten_to_the_thirty_is_refused_kindly(client, engine, session):
    make_staff(session, role="admin", username="ada")
    make_clinic(session, day=TODAY)
    sign_in(client, "ada")
    before = rows_by_table(engine)
    answer = post(client, "/staff/today/site", {"site_id": str(10**30)}, form_page="/staff/today")
    assert answer.status_code == 400 and b"Choose a site" in answer.data  # the form sent back
    assert rows_by_table(engine) == before
