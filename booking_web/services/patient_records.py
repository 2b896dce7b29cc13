"""Staff changes to a patient's record. A booking never changes who a patient is (booking.py
refuses details that do not match); only staff, having checked, correct a name here."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from booking_web.services.staff_audit import Actor, record
from shared.errors import NotFound, Problem, ValidationFailed, problem
from shared.models import Appointment, Patient
from shared.validation import clean_name

REASON_MAX = 300


def _label_name(given: str, family: str) -> str:
    """A name as the labels and the staff pages print it: 'BROWN, Margaret'."""
    return f"{family.upper()}, {given}"


def correct_patient_name(
    *,
    session: Session,
    appointment_id: int,
    site_id: int | None,
    given_name: str,
    family_name: str,
    reason: str,
    actor: Actor,
    now: dt.datetime,
) -> Patient:
    """Correct the name on the record of the patient a booking is for (every booking of theirs
    and every label printed from now on shows it); audited with the old and the new name and the
    reason. Staff at a site reach only that site's bookings (site_id None: any). Commits."""
    appt = session.get(Appointment, appointment_id)
    if appt is None or (site_id is not None and appt.site_id != site_id):
        raise NotFound("booking_not_at_site")
    errors: dict[str, Problem] = {}
    given, wrong = clean_name(given_name, "given", whose="patient")
    if wrong:
        errors["given_name"] = wrong
    family, wrong = clean_name(family_name, "family", whose="patient")
    if wrong:
        errors["family_name"] = wrong
    why = " ".join((reason or "").split())
    if not why:
        errors["reason"] = problem("name_reason_missing")
    elif len(why) > REASON_MAX or not why.isprintable():
        errors["reason"] = problem("name_reason_invalid", longest=REASON_MAX)
    # Lock the record, so the old name written to the audit log is the one this change replaces.
    patient = session.exec(select(Patient).where(Patient.id == appt.patient_id).with_for_update()).one()
    if not errors and (given, family) == (patient.given_name, patient.family_name):
        errors["given_name"] = problem("name_unchanged")
    if errors:
        session.rollback()
        raise ValidationFailed("name_correction_invalid", fields=errors)
    old = _label_name(patient.given_name, patient.family_name)
    patient.given_name, patient.family_name = given, family
    record(session, actor=actor, action="correct_name", appointment_id=appt.id, patient_id=patient.id, now=now,
           detail=f"Name corrected from {old} to {_label_name(given, family)}. Reason: {why}")
    session.commit()
    return patient
