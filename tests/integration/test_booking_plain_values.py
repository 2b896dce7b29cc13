"""A booking builds no ORM entity: its message and its API answer are made from the plain values
its statements read and wrote (bench/HISTORY.md item 20). These prove they are the same as the
entity-based path gives for the same booking (appointment_details and appointment_json on the
Appointment, its Site and Patient read from the database), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Mapper
from sqlmodel import Session, select

from booking_web.api.appointments import appointment_json
from booking_web.notify.outbox import appointment_details, recipients
from booking_web.services.booking import book_appointment
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import create_request
from shared.models import Appointment, OutboxMessage, Patient, Slot

from tests.conftest import NOW
from tests.factories import make_clinic, make_partner_key, make_patient, make_site, slots_of

DAY = dt.date(2026, 11, 25)


def _messages(session: Session, appointment_id: int) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.exec(select(OutboxMessage).where(OutboxMessage.appointment_id == appointment_id)
                             .order_by(OutboxMessage.channel)))


def _entity_messages(session: Session, appointment: Appointment) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """What the entity-based path queues for a booking: to whom, and its personalisation."""
    patient = session.get(Patient, appointment.patient_id)
    assert patient is not None
    return sorted(recipients(patient)), appointment_details(session, appointment)


def test_the_api_answer_and_message_are_the_entity_paths(app, client, session):
    """POST /appointments: its body is appointment_json of the Appointment entity (site and type
    looked up), and each outbox message's recipient and personalisation are what the entity path
    gives; an Idempotency-Key replay answers the same bytes."""
    site = make_site(session, name="Chapel Allerton Hub", address="Harrogate Road, Leeds", postcode="LS7 4RT",
                     access_notes="Lift to the first floor")
    slot = slots_of(session, make_clinic(session, site=site, day=DAY))[4]
    auth = {"Authorization": f"Bearer {make_partner_key(session)}", "Idempotency-Key": "plain-values-1"}
    nhs_number = make_patient(7).nhs_number
    seed_catalogue(session=session)
    req = create_request(session=session, nhs_number=nhs_number, tests=["FBC", "GLU"], requester="Dr Test",
                         api_key_id=None, now=NOW)
    body = {"slot_id": slot.id, "appointment_type": "fasting", "request_number": req.request_number,
            "patient": {"nhs_number": nhs_number, "given_name": "Siân", "family_name": "Ó Briain",
                        "date_of_birth": "1958-03-09", "mobile": "07700 900 456",
                        "email": "sian@example.org"}}
    resp = client.post("/api/v1/appointments", json=body, headers=auth)
    assert resp.status_code == 201, resp.json
    again = client.post("/api/v1/appointments", json=body, headers=auth)
    assert again.status_code == 201 and again.data == resp.data

    session.expire_all()
    appt = session.exec(select(Appointment).where(Appointment.reference == resp.json["reference"])).one()
    with app.app_context():
        expected = appointment_json(appt)
    answer = dict(resp.json)
    assert answer.pop("nhs_number") is not None
    assert answer == expected
    assert answer["appointment_type_name"] not in ("", "fasting")  # the type's name, not its code
    assert answer["site"]["access_notes"] == "Lift to the first floor" and answer["request_number"] == req.request_number

    to, details = _entity_messages(session, appt)
    sent = _messages(session, appt.id)  # type: ignore[arg-type]
    assert sorted((m.channel, m.recipient) for m in sent) == to and len(to) == 2
    for message in sent:
        assert message.personalisation == details
        assert message.dedup_key == f"booked:{appt.id}:v1:{message.channel}" and message.template == "booked"
        assert message.language == "" and message.appointment_id == appt.id
    assert details["site"] == "Chapel Allerton Hub" and details["address"] == "Harrogate Road, Leeds, LS7 4RT"


def test_a_welsh_booking_is_personalised_as_the_entity_path_does(session, settings):
    """A booking in Welsh (the public site's language): the message's date, time and preparation
    words are those appointment_details gives for the entity."""
    slot = slots_of(session, make_clinic(session, day=DAY))[2]
    booked = book_appointment(session=session, slot_id=slot.id, type_code="fasting",  # type: ignore[arg-type]
                              patient=make_patient(3, email="c@example.org"), now=NOW, settings=settings,
                              language="cy")
    appt = booked.appointment
    assert appt.language == "cy"
    to, details = _entity_messages(session, appt)
    sent = _messages(session, booked.booking.id)
    assert sorted((m.channel, m.recipient) for m in sent) == to
    assert all(m.personalisation == details and m.language == "cy" for m in sent)


def test_the_plain_values_are_the_rows(session, settings):
    """Booked's plain values are the appointment, site and patient rows as stored."""
    site = make_site(session, paediatric=True)
    slot = slots_of(session, make_clinic(session, site=site, day=DAY))[1]
    booked = book_appointment(session=session, slot_id=slot.id, type_code="adult",  # type: ignore[arg-type]
                              patient=make_patient(4), now=NOW, settings=settings, channel="phone")
    session.expire_all()
    appt = session.get(Appointment, booked.booking.id)
    assert appt is not None
    made = booked.booking
    assert (made.reference, made.slot_id, made.site_id, made.patient_id, made.type_code, made.status,
            made.request_number, made.starts_at, made.version, made.language, made.channel) == (
        appt.reference, appt.slot_id, appt.site_id, appt.patient_id, appt.type_code, appt.status,
        appt.request_number, appt.starts_at, appt.version, appt.language, appt.channel)
    assert (booked.site.id, booked.site.name, booked.site.paediatric, booked.site.active) == (
        site.id, site.name, True, True)
    patient = session.get(Patient, made.patient_id)
    assert patient is not None
    assert (booked.patient.nhs_number, booked.patient.given_name, booked.patient.family_name,
            booked.patient.date_of_birth, booked.patient.mobile, booked.patient.email) == (
        patient.nhs_number, patient.given_name, patient.family_name, patient.date_of_birth, patient.mobile,
        patient.email)
    assert booked.appointment.id == made.id and booked.atype.duration_minutes > 0


def test_a_returning_patient_who_gives_no_mobile_is_messaged_on_the_one_on_record(session, settings):
    """The patient's contact details are those after the upsert (an empty mobile keeps the one on
    record), so the message goes where the entity path would send it."""
    slots = slots_of(session, make_clinic(session, day=DAY))
    book_appointment(session=session, slot_id=slots[0].id, type_code="adult",  # type: ignore[arg-type]
                     patient=make_patient(5, mobile="07700900777"), now=NOW, settings=settings)
    again = book_appointment(session=session, slot_id=slots[6].id, type_code="adult",  # type: ignore[arg-type]
                             patient=make_patient(5, mobile="", email="new@example.org"), now=NOW,
                             settings=settings)
    assert (again.patient.mobile, again.patient.email) == ("07700900777", "new@example.org")
    sent = _messages(session, again.booking.id)
    assert sorted((m.channel, m.recipient) for m in sent) == [("email", "new@example.org"), ("sms", "07700900777")]


def test_entities_the_session_already_holds_read_the_booking_s_changes(session, settings):
    """A caller that read the slot and the patient before booking in the same session (which does
    not expire on commit) sees the chair taken and the new contact details afterwards, as when the
    booking loaded them as entities."""
    slots = slots_of(session, make_clinic(session, day=DAY))
    first = book_appointment(session=session, slot_id=slots[0].id, type_code="adult",  # type: ignore[arg-type]
                             patient=make_patient(6, mobile="07700900111"), now=NOW, settings=settings)
    patient = session.get(Patient, first.booking.patient_id)
    slot = session.get(Slot, slots[3].id)
    assert patient is not None and slot is not None and slot.booked == 0
    book_appointment(session=session, slot_id=slot.id, type_code="adult",  # type: ignore[arg-type]
                     patient=make_patient(6, mobile="07700900222"), now=NOW, settings=settings)
    assert slot.booked == 1 and patient.mobile == "07700900222"


@contextmanager
def _entities_built() -> Iterator[list[str]]:
    """The ORM entities built inside the block, loaded from rows or constructed (every mapper)."""
    built: list[str] = []

    def loaded(target: object, *_args: object) -> None:
        built.append(type(target).__name__)

    events = ("load", "init")
    for name in events:
        event.listen(Mapper, name, loaded)
    try:
        yield built
    finally:
        for name in events:
            event.remove(Mapper, name, loaded)


def test_a_booking_and_its_409_through_the_api_build_no_orm_entity(client, session):
    """The rush's POST /appointments, booked and refused (slot taken), with an Idempotency-Key:
    no entity is loaded or made on the way (the key was seen by an earlier request, as in the
    rush). Fails on the entity-based path (AppointmentType, Slot, Site, Patient, Appointment)."""
    slot = slots_of(session, make_clinic(session, day=DAY, chairs=1))[2]
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    assert client.get("/api/v1/sites", headers=auth).status_code == 200
    body = {"slot_id": slot.id, "appointment_type": "adult", "patient": {
        "nhs_number": make_patient(8).nhs_number, "given_name": "Amara", "family_name": "Okoye",
        "date_of_birth": "1982-12-01", "mobile": "07700 900 321"}}
    with _entities_built() as built:
        made = client.post("/api/v1/appointments", json=body, headers={**auth, "Idempotency-Key": "no-orm-1"})
        body["patient"]["nhs_number"] = make_patient(9).nhs_number
        taken = client.post("/api/v1/appointments", json=body, headers=auth)
    assert (made.status_code, taken.status_code) == (201, 409), (made.json, taken.json)
    assert built == []
