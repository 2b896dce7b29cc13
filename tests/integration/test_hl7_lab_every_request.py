"""The laboratory hears of every collected request, the requester's system only of its own, on
SQLite and PostgreSQL: a request from the staff pages, the JSON API, FHIR, HL7 or a walk-in is
booked (or walks in), checked in and collected; with PHLEBO_LIMS_MLLP set the laboratory (a test
MLLP server on loopback) gets one OML^O21, valid v2.5.1 to hl7apy (strict), whose ORC-2/OBR-2
is the requester's placer number (their ODS code as namespace) or, with none, Phlebo's request
number under PHLEBO, with ORC-3 left to the laboratory; order-status messages go to the
requester's system only for HL7 and FHIR requests. Without PHLEBO_LIMS_MLLP nothing is queued
for a laboratory."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlmodel import select

from booking_web.notify import send_due_messages
from booking_web.notify.senders import make_sender
from booking_web.services import booking, checkin, staff_queue
from booking_web.services.accounts import create_api_key, key_for_token
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import submit_request
from booking_web.services.staff_audit import Actor
from booking_web.services.walk_ins import WalkInIdentity, set_walk_ins, walk_in
from shared.models import KeyKind, LabRequest, OutboxMessage, Specimen
from tests.conftest import NOW
from tests.factories import SETUP, SETUP_AT, make_clinic, make_organisation, make_patient, make_site, slots_of
from tests.integration.test_hl7_outbound import FakeLab, strict

TODAY = dt.date(2026, 11, 23)
AT_NINE = dt.datetime(2026, 11, 23, 9, 5, tzinfo=dt.UTC)
DOB = dt.date(1970, 5, 17)
PAT = Actor(None, "pat", "Pat Phlebotomist")
# (source, placer number, told the requester's system)
SOURCES = [("web", "", False), ("api", "API-77", False), ("fhir", "", True), ("hl7", "ICE0009", True)]


def _request(session, source: str, placer: str) -> LabRequest:  # type: ignore[no-untyped-def]
    seed_catalogue(session=session)
    make_organisation(session)
    patient = make_patient(0, family_name="Walker")
    return submit_request(
        session=session, nhs_number=patient.nhs_number, tests=["FBC", "UE"], requester="Dr Example",
        organisation="B86001", given_name=patient.given_name, family_name=patient.family_name, date_of_birth=DOB,
        placer_number=placer or None, source=source, now=NOW,
    ).request


def _booked_and_checked_in(session, settings, req: LabRequest):  # type: ignore[no-untyped-def]
    site = make_site(session)
    clinic = make_clinic(session, site=site, day=TODAY, start=dt.time(9), end=dt.time(10))
    patient = make_patient(0, family_name="Walker")
    appt = booking.book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id, type_code="adult",
                                    patient=patient, now=NOW, request_number=req.request_number,
                                    settings=dataclasses.replace(settings, min_notice_minutes=0)).appointment
    token = create_api_key(session=session, actor=SETUP, name="kiosk", kind=KeyKind.KIOSK, site_id=site.id, now=NOW)
    checkin.check_in(session=session, site_id=site.id, api_key_id=key_for_token(session=session, token=token).id,
                     reference=appt.reference, date_of_birth=DOB, request_id="6f1c2f7e-2b7a-4b8e-9a59-6f7d3b0c1d2e",
                     now=AT_NINE, settings=settings)
    return appt, site


def _deliver(engine, settings, lab: FakeLab) -> None:  # type: ignore[no-untyped-def]
    wired = dataclasses.replace(settings, lims_mllp=f"127.0.0.1:{lab.port}", order_status_mllp=f"127.0.0.1:{lab.port}")
    for minutes in range(1, 5):  # the next message about a request goes once the one before it is delivered
        report = send_due_messages(engine=engine, settings=wired, sender=make_sender(wired),
                                   now=AT_NINE + dt.timedelta(minutes=10 + minutes))
        assert report.failed == 0


def _fields(message: str, name: str) -> list[list[str]]:
    return [s.split("|") for s in message.split("\r") if s.startswith(name + "|")]


@pytest.mark.parametrize(("source", "placer", "told"), SOURCES)
def test_every_collected_request_goes_to_the_lab_and_only_hl7_and_fhir_ones_to_the_requester(
        engine, settings, session, source, placer, told):
    lims = dataclasses.replace(settings, lims_mllp="127.0.0.1:2575")  # configured; where is read when sending
    req = _request(session, source, placer)
    appt, site = _booked_and_checked_in(session, settings, req)
    staff_queue.mark_collected(session=session, appointment_id=appt.id, site_id=site.id, actor=PAT,
                               now=AT_NINE + dt.timedelta(minutes=7), settings=lims)
    lab = FakeLab()
    try:
        _deliver(engine, settings, lab)
    finally:
        lab.close()
    to_lab = [m for m in lab.received if "|LIMS|" in m.split("\r")[0]]
    to_requester = [m for m in lab.received if "|ORDERCOMMS|" in m.split("\r")[0]]
    assert len(to_lab) == 1
    message = strict(to_lab[0])
    assert message.msh.msh_9.to_er7() == "OML^O21^OML_O21"
    expected_placer = f"{placer}^B86001" if placer else f"{req.request_number}^PHLEBO"
    orcs, obrs = _fields(to_lab[0], "ORC"), _fields(to_lab[0], "OBR")
    assert [o[2] for o in orcs] == [expected_placer] * 2 and all(len(o) < 4 or o[3] == "" for o in orcs)
    assert [o[2] for o in obrs] == [expected_placer] * 2 and [o[18] for o in obrs] == [req.request_number] * 2
    assert [o[4] for o in obrs] == ["FBC", "UE"] and all("Pat Phlebotomist" in o[10] for o in obrs)
    tubes = session.exec(select(Specimen.specimen_id).where(Specimen.appointment_id == appt.id, Specimen.tests != "")
                         ).all()
    assert sorted(s[2] for s in _fields(to_lab[0], "SPM")) == sorted(tubes) and tubes
    if told:
        # Booked then collected, each with Phlebo's number as the filler's (ORC-3) and theirs, if any, in ORC-2.
        assert [_fields(m, "ORC")[0][5] for m in to_requester] == ["SC", "IP"]
        for m in to_requester:
            strict(m)
            assert {(o[2], o[3]) for o in _fields(m, "ORC")} == {(placer, req.request_number)}
    else:
        assert to_requester == []
    session.expire_all()
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.channel == "hl7")).all()
    assert {r.status for r in rows} == {"sent"} and len(rows) == 1 + (2 if told else 0)


def test_a_walk_in_collected_goes_to_the_lab(engine, settings, session):
    req = _request(session, "web", "")
    site = make_site(session)
    make_clinic(session, site=site, day=TODAY, start=dt.time(9), end=dt.time(12))
    set_walk_ins(session=session, actor=SETUP, now=SETUP_AT, site_id=site.id, cap=4)
    token = create_api_key(session=session, actor=SETUP, name="kiosk", kind=KeyKind.KIOSK, site_id=site.id, now=NOW)
    patient = make_patient(0, family_name="Walker")
    walk_in(session=session, site_id=site.id, api_key_id=key_for_token(session=session, token=token).id,
            who=WalkInIdentity(nhs_number=patient.nhs_number, date_of_birth=DOB),
            request_id="0b6b5f4e-1c55-4c3e-9d1c-3c2f5e7a9b10", now=AT_NINE, settings=settings)
    session.expire_all()
    [appt_id] = session.exec(select(Specimen.appointment_id).distinct()).all()
    staff_queue.mark_collected(session=session, appointment_id=appt_id, site_id=site.id, actor=PAT,
                               now=AT_NINE + dt.timedelta(minutes=7),
                               settings=dataclasses.replace(settings, lims_mllp="127.0.0.1:2575"))
    lab = FakeLab()
    try:
        _deliver(engine, settings, lab)
    finally:
        lab.close()
    [to_lab] = lab.received
    strict(to_lab)
    assert {o[2] for o in _fields(to_lab, "ORC")} == {f"{req.request_number}^PHLEBO"}
    assert _fields(to_lab, "SPM")


def test_without_a_laboratory_configured_nothing_is_queued_for_one(engine, settings, session):
    req = _request(session, "hl7", "ICE0010")
    appt, site = _booked_and_checked_in(session, settings, req)
    staff_queue.mark_collected(session=session, appointment_id=appt.id, site_id=site.id, actor=PAT,
                               now=AT_NINE + dt.timedelta(minutes=7), settings=settings)
    session.expire_all()
    rows = session.exec(select(OutboxMessage).where(OutboxMessage.channel == "hl7")).all()
    assert sorted(r.recipient for r in rows) == ["status", "status"]  # booked, collected: to the requester only
    assert session.get(LabRequest, req.id).status == "collected"
