"""A patient's blood tests as NHS login (identity checked, P9) lets us show them: their bookings,
found by NHS number, and only when our record of that NHS number is the same person (the same
date of birth and name, as a booking checks): a record someone else made with a mistyped NHS
number is never shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from booking_web.services.appointment_summary import AppointmentSummary, summarise
from booking_web.services.nhs_login import Identity
from shared.errors import NotFound
from shared.models import ACTIVE_STATUSES, Appointment, Patient
from shared.names import same_name
from shared.references import normalise_reference

EARLIER_SHOWN = 10  # past and cancelled bookings listed, newest first
STILL_UPCOMING = dt.timedelta(hours=2)  # a booking this far past its start is still 'upcoming'


@dataclass(frozen=True)
class BloodTests:
    """What "Your blood tests" lists."""

    upcoming: list[AppointmentSummary]
    earlier: list[AppointmentSummary]
    record_differs: bool  # we hold another name or date of birth for this NHS number


def _patient(session: Session, identity: Identity) -> tuple[Patient | None, bool]:
    """Our record for this identity, and whether a record for its NHS number is someone else's."""
    if identity.level != "P9" or not identity.nhs_number:
        return None, False
    patient = session.exec(select(Patient).where(Patient.nhs_number == identity.nhs_number)).first()
    if patient is None:
        return None, False
    if patient.date_of_birth != identity.date_of_birth or not same_name(
            identity.given_name, identity.family_name,
            recorded_given=patient.given_name, recorded_family=patient.family_name):
        return None, True
    return patient, False


def blood_tests_for(*, session: Session, identity: Identity, now: dt.datetime,
                    secret: str) -> BloodTests:
    """The bookings of the person NHS login checked (P9): coming up first, then earlier ones."""
    patient, differs = _patient(session, identity)
    if patient is None:
        return BloodTests([], [], differs)
    rows = session.exec(select(Appointment).where(Appointment.patient_id == patient.id)
                        .order_by(col(Appointment.starts_at))).all()
    upcoming = [a for a in rows
                if a.status in ACTIVE_STATUSES and a.starts_at > now - STILL_UPCOMING]
    earlier = [a for a in reversed(rows) if a not in upcoming][:EARLIER_SHOWN]
    return BloodTests(
        upcoming=[summarise(session=session, appointment=a, secret=secret) for a in upcoming],
        earlier=[summarise(session=session, appointment=a, secret=secret) for a in earlier],
        record_differs=False,
    )


def own_appointment(*, session: Session, identity: Identity, reference: str) -> Appointment:
    """The booking with this reference if it is this person's; NotFound otherwise (the same
    answer for someone else's booking and for no booking)."""
    patient, _ = _patient(session, identity)
    ref = normalise_reference(reference)
    appointment = session.exec(select(Appointment).where(Appointment.reference == ref)).first()
    if patient is None or appointment is None or appointment.patient_id != patient.id:
        raise NotFound("not_found")
    return appointment
