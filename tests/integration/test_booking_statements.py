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
# Key lookup, type+slot+site read, claim, patient upsert, the patient's active bookings (overlap and
# cap, one read), appointment insert, outbox insert.
BOOKING_STATEMENTS = 7
# With an Idempotency-Key the answer is stored in the same transaction: one INSERT more, and no
# read of the key first (a resend is found out by the key's unique constraint).
KEYED_BOOKING_STATEMENTS = BOOKING_STATEMENTS + 1


def _book(client, auth, slot_id: int, n: int, **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/appointments", headers={**auth, **headers}, json={
        "slot_id": slot_id, "appointment_type": "adult",
        "patient": {"nhs_number": make_test_number(7000 + n), "given_name": "Ada", "family_name": "Okafor",
                    "date_of_birth": "1950-01-02", "mobile": "07700 900 456"},
    })


def test_a_booking_costs_a_fixed_handful_of_statements(client, session, engine):
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(10), chairs=2)
    slots = slots_of(session, clinic)
    with statements(engine) as seen:
        resp = _book(client, auth, slots[0].id, 1)
    assert resp.status_code == 201, resp.json
    assert len(seen) == BOOKING_STATEMENTS, "\n".join(seen)
    # The response still carries what it did before: site and type name from the same read.
    assert resp.json["site"]["id"] == clinic.site_id and resp.json["appointment_type_name"]
    session.expire_all()
    appt = session.exec(select(Appointment).where(Appointment.reference == resp.json["reference"])).one()
    assert appt.slot_id == slots[0].id
    assert session.exec(select(OutboxMessage).where(OutboxMessage.appointment_id == appt.id)).first()


def test_an_idempotency_key_costs_one_insert(client, session, engine):
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(10), chairs=2)
    slot_id = slots_of(session, clinic)[0].id
    with statements(engine) as seen:
        resp = _book(client, auth, slot_id, 5, **{"Idempotency-Key": "pin-1"})
    assert resp.status_code == 201, resp.json
    assert len(seen) == KEYED_BOOKING_STATEMENTS, "\n".join(seen)
    assert seen[-1].split()[:3] == ["INSERT", "INTO", "idempotency_key"], seen[-1]


def test_a_returning_patient_is_updated_in_the_same_statement(client, session, engine):
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
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
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(9, 10), chairs=1)
    slot_id = slots_of(session, clinic)[0].id
    assert _book(client, auth, slot_id, 3).status_code == 201
    with statements(engine) as seen:
        resp = _book(client, auth, slot_id, 4)
    assert resp.status_code == 409
    assert [s.split()[0].upper() for s in seen] == ["SELECT", "SELECT"], "\n".join(seen)
