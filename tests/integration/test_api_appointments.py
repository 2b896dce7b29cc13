"""The partner JSON API over the Flask test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func
from sqlmodel import select

from shared.models import ApiKey, Appointment, AppointmentType, Patient, Slot
from shared.nhs_number import make_test_number
from tests.factories import audit_log, make_clinic, make_partner_key, make_site, slots_of

DAY = dt.date(2026, 11, 25)


@pytest.fixture
def auth(session):
    return {"Authorization": f"Bearer {make_partner_key(session)}"}


def patient_body(n: int = 0, **overrides):
    body = {"nhs_number": make_test_number(5000 + n), "given_name": "Seán", "family_name": "O'Connor-Smith",
            "date_of_birth": "1961-02-03", "mobile": "07700 900 123"}
    body.update(overrides)
    return body


def counts(session):
    session.expire_all()
    return (session.exec(select(func.count()).select_from(Appointment)).one(),
            session.exec(select(func.count()).select_from(Patient)).one(),
            sum(s.booked for s in session.exec(select(Slot))))


def test_without_a_key_is_401_json(client):
    resp = client.get("/api/v1/sites")
    assert resp.status_code == 401 and resp.json["error"] == "unauthorised"


def test_slots_list_free_times_with_offsets(client, session, auth):
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(9, 30), chairs=3)
    resp = client.get(f"/api/v1/slots?site_id={clinic.site_id}&date={DAY}&appointment_type=adult", headers=auth)
    assert resp.status_code == 200
    assert [s["start"] for s in resp.json["slots"]] == [
        "2026-11-25T09:00:00+00:00", "2026-11-25T09:10:00+00:00", "2026-11-25T09:20:00+00:00"]
    assert {s["remaining"] for s in resp.json["slots"]} == {3}


def test_summer_slot_has_bst_offset(client, session, auth, app):
    day = dt.date(2027, 6, 2)
    app.extensions["phlebo"].clock = lambda: dt.datetime(2027, 5, 31, 8, tzinfo=dt.UTC)
    clinic = make_clinic(session, day=day, start=dt.time(9), end=dt.time(9, 10))
    resp = client.get(f"/api/v1/slots?site_id={clinic.site_id}&date={day}&appointment_type=adult", headers=auth)
    assert resp.json["slots"][0]["start"] == "2027-06-02T09:00:00+01:00"


def test_book_get_reschedule_cancel_round_trip(client, session, auth):
    clinic = make_clinic(session, day=DAY, chairs=1)
    other = make_clinic(session, site=make_site(session, name="Other"), day=DAY + dt.timedelta(days=1))
    s0, s1 = slots_of(session, clinic)[0], slots_of(session, other)[3]
    resp = client.post("/api/v1/appointments", json={"slot_id": s0.id, "appointment_type": "adult",
                                                     "patient": patient_body()}, headers=auth)
    assert resp.status_code == 201, resp.json
    ref = resp.json["reference"]
    assert resp.json["start"] == "2026-11-25T09:00:00+00:00" and resp.json["nhs_number"].count(" ") == 2
    got = client.get(f"/api/v1/appointments/{ref}?date_of_birth=1961-02-03", headers=auth)
    assert got.status_code == 200 and got.json["status"] == "booked"
    moved = client.post(f"/api/v1/appointments/{ref}/reschedule", json={"slot_id": s1.id, "date_of_birth": "1961-02-03"},
                        headers=auth)
    assert moved.status_code == 200 and moved.json["reference"] == ref and moved.json["site"]["name"] == "Other"
    gone = client.post(f"/api/v1/appointments/{ref}/cancel", json={"date_of_birth": "1961-02-03"}, headers=auth)
    assert gone.status_code == 200 and gone.json["status"] == "cancelled"
    assert counts(session)[2] == 0


def test_full_slot_is_409_and_changes_nothing(client, session, auth):
    slot = slots_of(session, make_clinic(session, day=DAY, chairs=1))[0]
    first = client.post("/api/v1/appointments", json={"slot_id": slot.id, "appointment_type": "adult",
                                                      "patient": patient_body(1)}, headers=auth)
    assert first.status_code == 201
    before = counts(session)
    resp = client.post("/api/v1/appointments", json={"slot_id": slot.id, "appointment_type": "adult",
                                                     "patient": patient_body(2)}, headers=auth)
    assert resp.status_code == 409 and resp.json["error"] == "slot_full" and resp.json["message"]
    assert counts(session) == before


@pytest.mark.parametrize("body,field", [
    ({"slot_id": "x", "appointment_type": "adult", "patient": patient_body()}, "slot_id"),
    ({"slot_id": 1, "appointment_type": "adult", "patient": "me"}, "patient"),
    ({"slot_id": 1, "appointment_type": "adult", "patient": patient_body(nhs_number="9991234567")}, "nhs_number"),
    ({"slot_id": 1, "appointment_type": "adult", "patient": patient_body(date_of_birth="2099-01-01")}, "date_of_birth"),
    ({"slot_id": 1, "appointment_type": "adult", "patient": patient_body(given_name="\u0000")}, "given_name"),
    ({"slot_id": 1, "appointment_type": "nope", "patient": patient_body()}, "appointment_type"),
    ({"slot_id": 1, "appointment_type": "adult", "patient": patient_body(family_name="x" * 5000)}, "family_name"),
])
def test_bad_input_is_422_with_field_errors_and_changes_nothing(client, session, auth, body, field):
    make_clinic(session, day=DAY)
    before = counts(session)
    resp = client.post("/api/v1/appointments", json=body, headers=auth)
    assert resp.status_code == 422, resp.json
    assert field in resp.json["fields"] and resp.json["error"] == "invalid"
    assert counts(session) == before


def test_a_refusal_gives_its_problem_and_values_for_machines_beside_the_words(client, session, auth):
    """Partners keep `error` and `message`; `problem` and `params` let them choose their own
    words (a date in ISO 8601 with the UK offset), and each field's problem is in
    `field_problems`."""
    slot = slots_of(session, make_clinic(session, day=DAY))[0]
    ref = client.post("/api/v1/appointments", json={"slot_id": slot.id, "appointment_type": "adult",
                                                    "patient": patient_body()}, headers=auth).json["reference"]
    client.post(f"/api/v1/appointments/{ref}/cancel", json={"date_of_birth": "1961-02-03"}, headers=auth)
    other = slots_of(session, make_clinic(session, day=DAY + dt.timedelta(days=1)))[0]
    moved = client.post(f"/api/v1/appointments/{ref}/reschedule", headers=auth,
                        json={"date_of_birth": "1961-02-03", "slot_id": other.id})
    assert moved.status_code == 422
    assert moved.json == {
        "error": "already_cancelled",
        "message": "This booking has been cancelled. You can make a new booking.",
        "fields": {}, "problem": "booking_cancelled", "params": {}, "field_problems": {},
    }
    bad = client.post("/api/v1/appointments", headers=auth, json={
        "slot_id": slot.id, "appointment_type": "adult",
        "patient": patient_body(nhs_number="9991234567", date_of_birth="2099-01-01")})
    assert (bad.json["error"], bad.json["problem"]) == ("invalid", "details_invalid")
    assert bad.json["field_problems"] == {
        "nhs_number": {"code": "nhs_number_check_digit", "params": {}},
        "date_of_birth": {"code": "dob_iso_future", "params": {}},
    }
    assert bad.json["fields"]["date_of_birth"] == "The date of birth must be in the past"


@pytest.mark.parametrize("payload", [b"not json", b"[1,2]", b"null", b'{"slot_id": 1e400}'])
def test_malformed_bodies_never_500(client, session, auth, payload):
    resp = client.post("/api/v1/appointments", data=payload, headers={**auth, "Content-Type": "application/json"})
    assert resp.status_code == 422 and resp.is_json


def test_wrong_date_of_birth_answers_exactly_like_unknown_reference(client, session, auth):
    slot = slots_of(session, make_clinic(session, day=DAY))[0]
    ref = client.post("/api/v1/appointments", json={"slot_id": slot.id, "appointment_type": "adult",
                                                    "patient": patient_body()}, headers=auth).json["reference"]
    wrong = client.get(f"/api/v1/appointments/{ref}?date_of_birth=1961-02-04", headers=auth)
    unknown = client.get("/api/v1/appointments/ABCABCABC?date_of_birth=1961-02-03", headers=auth)
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json == unknown.json


def test_lookups_of_one_reference_are_rate_limited(client, session, auth):
    slot = slots_of(session, make_clinic(session, day=DAY))[0]
    ref = client.post("/api/v1/appointments", json={"slot_id": slot.id, "appointment_type": "adult",
                                                    "patient": patient_body()}, headers=auth).json["reference"]
    codes = [client.get(f"/api/v1/appointments/{ref}?date_of_birth=1961-01-{d:02d}", headers=auth).status_code
             for d in range(1, 14)]
    assert codes[:10] == [404] * 10 and codes[10:] == [429] * 3
    # even the right date of birth is refused until the window passes
    assert client.get(f"/api/v1/appointments/{ref}?date_of_birth=1961-02-03", headers=auth).status_code == 429


def test_a_booking_under_another_name_is_refused_and_changes_nothing(client, session, auth):
    """Issue 11 item 1 through the API: Margaret Brown, then 'Peggy' with the same NHS number and
    date of birth."""
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(9, 30), chairs=2)
    slots = slots_of(session, clinic)
    margaret = {"nhs_number": "999 001 0005", "given_name": "Margaret", "family_name": "Brown",
                "date_of_birth": "1948-02-03", "mobile": "07700 900 123"}
    first = client.post("/api/v1/appointments", headers=auth, json={
        "slot_id": slots[0].id, "appointment_type": "adult", "patient": margaret})
    assert first.status_code == 201
    before = counts(session)
    resp = client.post("/api/v1/appointments", headers=auth, json={
        "slot_id": slots[1].id, "appointment_type": "adult",
        "patient": {**margaret, "given_name": "Peggy", "email": "peggy@example.com"}})
    assert resp.status_code == 422
    assert resp.json["error"] == "identity_mismatch"
    assert "do not match what we hold for this NHS number" in resp.json["message"]
    assert counts(session) == before
    patient = session.exec(select(Patient).where(Patient.nhs_number == "9990010005")).one()
    assert (patient.given_name, patient.email) == ("Margaret", "")
    [entry] = audit_log(session)
    assert (entry.action, entry.patient_id, entry.username) == ("booking_refused", patient.id, "API key: partner")
    # The same name in capitals books, and the record keeps its spelling.
    again = client.post("/api/v1/appointments", headers=auth, json={
        "slot_id": slots[1].id, "appointment_type": "adult",
        "patient": {**margaret, "given_name": "MARGARET", "family_name": "BROWN"}})
    assert again.status_code == 201, again.json
    session.expire_all()
    assert session.get(Patient, patient.id).given_name == "Margaret"


def test_a_partner_booking_is_recorded_as_made_through_the_api(client, session, auth, settings):
    """The reports count bookings by channel: the API's are 'api', the public site's 'web'."""
    from booking_web.services import booking
    from tests.factories import make_patient

    clinic = make_clinic(session, day=DAY, chairs=2)
    first, second = slots_of(session, clinic)[:2]
    resp = client.post("/api/v1/appointments", json={"slot_id": first.id, "appointment_type": "adult",
                                                     "patient": patient_body()}, headers=auth)
    assert resp.status_code == 201, resp.json
    web = booking.book_appointment(session=session, slot_id=second.id, type_code="adult",
                                   patient=make_patient(3), now=dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC),
                                   settings=settings).appointment
    session.expire_all()
    made = {a.reference: a.channel for a in session.exec(select(Appointment))}
    assert made == {resp.json["reference"]: "api", web.reference: "web"}


def test_a_revoked_key_is_refused_on_the_very_next_request(client, session, auth):
    """A key seen before is remembered per process, but proven live in every request (inside its
    first statement): a key revoked between two requests of the same worker is refused on the
    second (other processes: test_api_key_revocation.py)."""
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(9, 30))
    slots = f"/api/v1/slots?site_id={clinic.site_id}&date={DAY}&appointment_type=adult"
    assert client.get("/api/v1/sites", headers=auth).status_code == 200
    assert client.get(slots, headers=auth).status_code == 200
    key = session.exec(select(ApiKey)).one()
    key.revoked_at = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    session.commit()
    for url in ("/api/v1/sites", slots):
        resp = client.get(url, headers=auth)
        assert resp.status_code == 401 and resp.json["error"] == "unauthorised", url


def test_slots_know_an_appointment_type_added_while_running(client, session, auth):
    """Type codes found are kept per process (no read a request), but a code not yet known is
    looked up every time, so a type added since the last request is found at once, and an
    unknown one is still refused."""
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(9, 30))
    url = f"/api/v1/slots?site_id={clinic.site_id}&date={DAY}&appointment_type="
    assert client.get(url + "adult", headers=auth).status_code == 200
    assert client.get(url + "antenatal", headers=auth).status_code == 422
    session.add(AppointmentType(code="antenatal", name="Antenatal blood test", duration_minutes=10))
    session.commit()
    resp = client.get(url + "antenatal", headers=auth)
    assert resp.status_code == 200 and resp.json["slots"] == []  # no clinic takes it yet
    resp = client.get(url + "nonsense", headers=auth)
    assert resp.status_code == 422 and "appointment_type" in resp.json["fields"]
