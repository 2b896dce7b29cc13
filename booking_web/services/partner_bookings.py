"""Bookings a partner system makes for the requests it sent (FHIR Appointment): the patient is
the one the request names (never another), the type follows from the patient and the tests,
and the booking carries the request. A partner sees only bookings of its own requests."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from booking_web.services.booking import Booked, book_appointment
from booking_web.services.lab_requests import Scope, scoped_request
from shared.config import Settings
from shared.errors import NotFound, RuleViolation
from shared.models import Appointment, LabRequest, Patient, Site, Slot
from shared.request_rules import appointment_type_for
from shared.timeutil import to_local
from shared.validation import PatientDetails


def book_for_request(*, session: Session, request_number: str, slot_id: int, type_code: str | None,
                     api_key_id: int, source: str, now: dt.datetime, settings: Settings,
                     channel: str) -> Booked:
    """Book a slot for the patient of a request this key sent; commits (book_appointment). The
    booking is counted in the reports under `channel` (BookingChannel.FHIR from POST Appointment)."""
    req = scoped_request(session=session, request_number=request_number, scope=Scope(api_key_id=api_key_id))
    patient = session.get(Patient, req.patient_id) if req.patient_id else None
    if patient is None:
        raise RuleViolation("request_without_patient")
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise NotFound("fhir_slot_not_found", code="slot_not_found")
    kind = type_code or appointment_type_for(date_of_birth=patient.date_of_birth,
                                             day=to_local(slot.starts_at).date(), fasting=req.fasting)
    details = PatientDetails(nhs_number=patient.nhs_number, given_name=patient.given_name,
                             family_name=patient.family_name, date_of_birth=patient.date_of_birth,
                             postcode=patient.postcode, mobile=patient.mobile, email=patient.email)
    return book_appointment(session=session, slot_id=slot_id, type_code=kind, patient=details, now=now,
                            settings=settings, request_number=req.request_number, source=source, channel=channel)


def partner_appointment(*, session: Session, reference: str, api_key_id: int) -> tuple[Appointment, Slot | None]:
    """A booking that carries one of this key's requests (NotFound otherwise), with its slot."""
    row = session.exec(
        select(Appointment).join(LabRequest, col(LabRequest.request_number) == col(Appointment.request_number))
        .where(col(Appointment.reference) == reference.strip().upper().replace("-", ""),
               col(LabRequest.api_key_id) == api_key_id)
    ).first()
    if row is None:
        raise NotFound("fhir_appointment_not_found")
    return row, session.get(Slot, row.slot_id)


def get_site(*, session: Session, site_id: int) -> Site:
    """One site (a FHIR Location), or NotFound."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("fhir_location_not_found")
    return site
