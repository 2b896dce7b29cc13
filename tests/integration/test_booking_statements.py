"""How many SQL statements a booking costs through the partner API, on SQLite and PostgreSQL.

The 8 a.m. rush is CPU-bound in the web workers (bench/RESULTS.md), and each statement costs a
round trip plus SQLAlchemy's work; an N+1 or a re-read creeping back into the booking path shows
up here before it shows up as a slower rush."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from shared.models import Appointment, OutboxMessage, Patient
from shared.nhs_number import make_test_number

from tests.factories import make_clinic, make_partner_key, slots_of
from tests.sql_log import statements

DAY = dt.date(2026, 11, 25)
# Type+slot+site read (with the API key check in it), claim, patient upsert, the patient's active
# bookings (overlap and cap, one read), appointment insert, outbox insert.
BOOKING_STATEMENTS = 6
# With an Idempotency-Key the answer is stored in the same transaction: one INSERT more, and no
# read of the key first (a resend is found out by the key's unique constraint).
KEYED_BOOKING_STATEMENTS = BOOKING_STATEMENTS + 1


def _book(client, auth, slot_id: int, n: int, **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/appointments", headers={**auth, **headers}, json={
        "slot_id": slot_id, "appointment_type": "adult",
        "patient": {"nhs_number": make_test_number(7000 + n), "given_name": "Ada", "family_name": "Okafor",
                    "date_of_birth": "1950-01-02", "mobile": "07700 900 456"},
    })


def _seen_key(client, session) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A partner key this app has already read once (as after its first request)."""
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    assert client.get("/api/v1/sites", headers=auth).status_code == 200
    return auth


def test_a_booking_costs_a_fixed_handful_of_statements(client, session, engine):
    auth = _seen_key(client, session)
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(10), chairs=2)
    slots = slots_of(session, clinic)
    with statements(engine) as seen:
        resp = _book(client, auth, slots[0].id, 1)
    assert resp.status_code == 201, resp.json
    assert len(seen) == BOOKING_STATEMENTS, "\n".join(seen)
    # The key is proven live inside the first statement, before anything is written.
    assert "FROM api_key" in seen[0] and seen[0].startswith("SELECT"), seen[0]
    # The response still carries what it did before: site and type name from the same read.
    assert resp.json["site"]["id"] == clinic.site_id and resp.json["appointment_type_name"]
    session.expire_all()
    appt = session.exec(select(Appointment).where(Appointment.reference == resp.json["reference"])).one()
    assert appt.slot_id == slots[0].id
    assert session.exec(select(OutboxMessage).where(OutboxMessage.appointment_id == appt.id)).first()


def test_an_idempotency_key_costs_one_insert(client, session, engine):
    auth = _seen_key(client, session)
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(10), chairs=2)
    slot_id = slots_of(session, clinic)[0].id
    with statements(engine) as seen:
        resp = _book(client, auth, slot_id, 5, **{"Idempotency-Key": "pin-1"})
    assert resp.status_code == 201, resp.json
    assert len(seen) == KEYED_BOOKING_STATEMENTS, "\n".join(seen)
    assert seen[-1].split()[:3] == ["INSERT", "INTO", "idempotency_key"], seen[-1]


def test_a_returning_patient_is_updated_in_the_same_statement(client, session, engine):
    auth = _seen_key(client, session)
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(10), chairs=2)
    slots = slots_of(session, clinic)
    assert _book(client, auth, slots[0].id, 2).status_code == 201
    with statements(engine) as seen:
        resp = client.post("/api/v1/appointments", headers=auth, json={
            "slot_id": slots[1].id, "appointment_type": "adult",
            "patient": {"nhs_number": make_test_number(7002), "given_name": "ADA", "family_name": "okafor",
                        "date_of_birth": "1950-01-02", "email": "ada@example.invalid"},
        })
    assert resp.status_code == 201, resp.json
    # One more than a first booking: the second message (SMS kept from before, plus the new email).
    assert len(seen) == BOOKING_STATEMENTS + 1, "\n".join(seen)
    session.expire_all()
    patient = session.exec(select(Patient).where(Patient.nhs_number == make_test_number(7002))).one()
    # Contact details are updated; the name is compared (same name, another case) but never rewritten.
    assert (patient.given_name, patient.family_name, patient.mobile, patient.email) == (
        "Ada", "Okafor", "07700900456", "ada@example.invalid")


def test_a_full_slot_is_refused_without_writing(client, session, engine):
    auth = _seen_key(client, session)
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(9, 10), chairs=1)
    slot_id = slots_of(session, clinic)[0].id
    assert _book(client, auth, slot_id, 3).status_code == 201
    with statements(engine) as seen:
        resp = _book(client, auth, slot_id, 4)
    assert resp.status_code == 409
    # One read (the key's check in it), no write.
    assert [s.split()[0].upper() for s in seen] == ["SELECT"], "\n".join(seen)


def test_a_key_not_seen_before_is_read_in_a_statement_of_its_own(client, session, engine):
    """The first request with a key (in this process) reads the key alone; from then on the
    key's check rides in the first statement of each partner request."""
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(10), chairs=2)
    slots = f"/api/v1/slots?site_id={clinic.site_id}&date={DAY}&appointment_type=adult"
    assert client.get(slots, headers=_seen_key(client, session)).status_code == 200  # the type is known
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    with statements(engine) as first:
        assert client.get(slots, headers=auth).status_code == 200
    with statements(engine) as then:
        assert client.get(slots, headers=auth).status_code == 200
        assert client.get("/api/v1/sites", headers=auth).status_code == 200
    assert len(first) == 2 and "FROM api_key" in first[0] and "FROM slot" in first[1], "\n".join(first)
    assert len(then) == 2 and all("FROM api_key" in s for s in then), "\n".join(then)
