"""Orders over HL7 v2 MLLP on SQLite and PostgreSQL: the ICE-style OML^O21 and an 8859/1
ORM^O01 from tests/data/hl7 sent by python-hl7's MLLP client to a listener on loopback;
the request made through the request services; idempotent placer numbers; cancel; ACKs read
and checked against the v2.5.1 structures by hl7apy."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func
from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue
from shared.models import (
    LabRequest,
    LabRequestTest,
    OrganisationTestCode,
    OutboxMessage,
    Patient,
    RequestEvent,
)
from tests.factories import make_organisation
from tests.integration.hl7_helpers import ack_code, example, listener, read_ack, send


@pytest.fixture
def practices(session):  # type: ignore[no-untyped-def]
    seed_catalogue(session=session)
    ice = make_organisation(session)
    make_organisation(session, ods_code="B86002", name="Hill Street Surgery")
    session.add(OrganisationTestCode(organisation_id=ice.id, external_code="U&E", test_code="UE"))
    session.commit()
    return ice


def counts(session):  # type: ignore[no-untyped-def]
    session.expire_all()
    return tuple(session.exec(select(func.count()).select_from(m)).one() for m in (LabRequest, RequestEvent, OutboxMessage))


def test_an_ice_order_is_accepted_becomes_a_request_and_the_patient_is_invited(engine, settings, session, practices):
    with listener(engine, settings) as port:
        answer = send(port, example("ice_oml_o21.hl7"))
    ack = read_ack(answer)
    assert ack.msa.msa_1.to_er7() == "AA"
    assert ack.msa.msa_2.to_er7() == "ICE20261123075500001"  # MSH-10 echoed
    assert ack.msh.msh_9.to_er7() == "ACK^O21^ACK" and ack.msh.msh_18.to_er7() == "UNICODE UTF-8"
    assert ack.msh.msh_5.to_er7() == "ICE" and ack.msh.msh_6.to_er7() == "B86001"
    req = session.exec(select(LabRequest)).one()
    assert (req.placer_number, req.source, req.nhs_number, req.urgency) == ("ICE0001234", "hl7", "9990042438", "routine")
    assert (req.earliest, req.latest) == (dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    assert req.ordering_provider == "G8123456 Dr Ada Example" and req.requester == "Dr Ada Example"
    assert req.mobile == "07700900123" and req.email == "margaret@example.com" and req.fasting is True
    assert req.clinical_details == "Tired all the time; on metformin Fasting sample please: on metformin."
    tests = session.exec(select(LabRequestTest.test_code).where(LabRequestTest.request_id == req.id)
                         .order_by(LabRequestTest.position)).all()
    assert tests == ["FBC", "UE", "GLU"]  # U&E came escaped (U\T\E) and went through the code map
    assert req.status == "invited"
    assert {m.template for m in session.exec(select(OutboxMessage))} == {"invite"}


def test_the_same_placer_order_again_is_the_same_request_and_accepted(engine, settings, session, practices):
    with listener(engine, settings) as port:
        assert ack_code(send(port, example("ice_oml_o21.hl7"))) == "AA"
        before = counts(session)
        again = send(port, example("ice_oml_o21.hl7").replace(b"ICE20261123075500001", b"ICE20261123075500002"))
    assert ack_code(again) == "AA" and read_ack(again).msa.msa_2.to_er7() == "ICE20261123075500002"
    assert counts(session) == before


def test_an_8859_1_orm_o01_with_timing_in_orc_7_is_read_in_its_character_set(engine, settings, session, practices):
    with listener(engine, settings) as port:
        answer = send(port, example("tquest_orm_o01_latin1.hl7"))
    assert ack_code(answer) == "AA", answer
    assert "|8859/1" in answer  # the ACK is written in the message's character set
    req = session.exec(select(LabRequest)).one()
    assert (req.urgency, req.earliest, req.latest, req.placer_number) == (
        "urgent", dt.date(2026, 11, 23), dt.date(2026, 11, 30), "TQ-55501")
    patient = session.get(Patient, req.patient_id)
    assert patient is not None and (patient.given_name, patient.family_name) == ("Zoë", "Ng")


def test_a_cancel_cancels_the_request_once(engine, settings, session, practices):
    cancel = example("ice_oml_o21.hl7").replace(b"ORC|NW|", b"ORC|CA|").replace(b"075500001", b"075500009")
    with listener(engine, settings) as port:
        assert ack_code(send(port, example("ice_oml_o21.hl7"))) == "AA"
        assert ack_code(send(port, cancel)) == "AA"
        before = counts(session)
        assert ack_code(send(port, cancel)) == "AA"  # a repeat changes nothing
    req = session.exec(select(LabRequest)).one()
    assert req.status == "cancelled" and counts(session) == before
