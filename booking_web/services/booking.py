"""Book, find, reschedule and cancel appointments. Capacity is enforced by the database:
a conditional UPDATE claims a chair in the same transaction as the booking."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from shared.config import Settings
from shared.db import is_postgres
from shared.errors import NotFound, RuleViolation, SlotFull, ValidationFailed
from shared.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ClinicSession,
    ClinicSessionType,
    Patient,
    Site,
    Slot,
)
from shared.references import looks_like_reference, new_reference, normalise_reference
from shared.rules import TypeRule, age_problem, booking_window, slot_allowed_for_type
from shared.timeutil import format_date, format_time, to_local
from shared.validation import PatientDetails

from booking_web.notify.outbox import queue_appointment_message

NOT_FOUND_MESSAGE = (
    "We could not find a booking with that reference and date of birth. "
    "Check both and try again, or call the booking line."
)


def type_rule(atype: AppointmentType) -> TypeRule:
    """The rule view of an appointment type."""
    return TypeRule(
        code=atype.code,
        name=atype.name,
        min_age_years=atype.min_age_years,
        max_age_years=atype.max_age_years,
        paediatric_site_only=atype.paediatric_site_only,
        latest_start=atype.latest_start,
    )


def get_type(session: Session, code: str) -> AppointmentType:
    """The appointment type with this code, or ValidationFailed."""
    atype = session.get(AppointmentType, code) if isinstance(code, str) else None
    if atype is None:
        raise ValidationFailed(
            "Choose a type of appointment", fields={"appointment_type": "Choose a type of appointment"}
        )
    return atype


def check_slot_bookable(
    session: Session, *, slot: Slot, atype: AppointmentType, date_of_birth: dt.date, now: dt.datetime,
    settings: Settings,
) -> None:
    """Raise RuleViolation if this slot cannot be booked for this type and patient now."""
    clinic = session.get(ClinicSession, slot.session_id)
    site = session.get(Site, slot.site_id)
    assert clinic is not None and site is not None
    if clinic.closed_at is not None or not site.active:
        raise RuleViolation("That clinic is closed. Choose another time or place.", code="clinic_closed")
    offered = session.get(ClinicSessionType, (clinic.id, atype.code))
    rule = type_rule(atype)
    if offered is None or not slot_allowed_for_type(rule, slot.starts_at, site.paediatric):
        why = ""
        if atype.latest_start is not None:
            why = f" {atype.name} appointments must start before {atype.latest_start:%H:%M}."
        raise RuleViolation(f"That time is not available for a {atype.name.lower()}.{why} Choose another time.",
                            code="wrong_type")
    problem = age_problem(rule, date_of_birth, to_local(slot.starts_at).date())
    if problem:
        raise RuleViolation(problem, fields={"date_of_birth": problem}, code="age")
    earliest, latest = booking_window(
        now, min_notice_minutes=settings.min_notice_minutes, horizon_days=settings.booking_horizon_days
    )
    if slot.starts_at < earliest:
        hours = settings.min_notice_minutes / 60
        notice = f"{hours:g} hours" if hours >= 1 else f"{settings.min_notice_minutes} minutes"
        raise RuleViolation(
            f"Appointments must be booked at least {notice} ahead. Choose a later time.", code="too_soon"
        )
    if slot.starts_at > latest:
        weeks = settings.booking_horizon_days // 7
        raise RuleViolation(
            f"You can only book up to {weeks} weeks ahead. Choose an earlier date.", code="too_far"
        )


def _claim_chair(session: Session, slot_id: int) -> None:
    """Take one chair in a slot, atomically; SlotFull when none is left."""
    result = session.exec(  # type: ignore[call-overload]
        update(Slot).where(Slot.id == slot_id, Slot.booked < Slot.capacity).values(booked=Slot.booked + 1)
    )
    if result.rowcount != 1:
        raise SlotFull("Sorry, that time has just been taken. Choose another time.")


def _release_chair(session: Session, slot_id: int) -> None:
    session.exec(  # type: ignore[call-overload]
        update(Slot).where(Slot.id == slot_id, Slot.booked > 0).values(booked=Slot.booked - 1)
    )


def _patient_for_booking(session: Session, details: PatientDetails, now: dt.datetime) -> Patient:
    """The patient row for these details, locked for the rest of the transaction."""
    values = dict(given_name=details.given_name, family_name=details.family_name,
                  date_of_birth=details.date_of_birth, postcode=details.postcode, mobile=details.mobile,
                  email=details.email, created_at=now)
    if details.nhs_number is None:
        patient = Patient(nhs_number=None, **values)
        session.add(patient)
        session.flush()
        return patient
    # Insert-if-absent, then lock: safe when two first bookings for one NHS number race, and it
    # opens the write transaction on SQLite (as FOR UPDATE locks the row on PostgreSQL), so the
    # per-patient count that follows cannot be raced either.
    insert = pg_insert if is_postgres(session.get_bind()) else sqlite_insert
    session.exec(insert(Patient).values(nhs_number=details.nhs_number, **values)  # type: ignore[call-overload]
                 .on_conflict_do_nothing(index_elements=["nhs_number"]))
    patient = session.exec(
        select(Patient).where(Patient.nhs_number == details.nhs_number).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    # Never match on NHS number alone: the date of birth must agree too.
    if patient.date_of_birth != details.date_of_birth:
        raise RuleViolation(
            "The NHS number and date of birth do not match our records. Check both, "
            "or book without your NHS number.",
            fields={"nhs_number": "Check your NHS number and date of birth"},
            code="identity_mismatch",
        )
    patient.given_name, patient.family_name = details.given_name, details.family_name
    patient.mobile = details.mobile or patient.mobile
    patient.email = details.email or patient.email
    return patient


def _check_patient_cap(session: Session, patient: Patient, now: dt.datetime, cap: int) -> None:
    active = session.exec(
        select(func.count()).select_from(Appointment).where(
            Appointment.patient_id == patient.id,
            Appointment.status.in_(ACTIVE_STATUSES),  # type: ignore[attr-defined]
            Appointment.starts_at > now,
        )
    ).one()
    if active >= cap:
        raise RuleViolation(
            f"You already have {active} blood tests booked, the most you can have at once. "
            "Change or cancel one of them instead.",
            code="too_many_bookings",
        )


def book_appointment(
    *, session: Session, slot_id: int, type_code: str, patient: PatientDetails, now: dt.datetime,
    settings: Settings, request_number: str | None = None,
) -> Appointment:
    """Book one chair in a slot for a patient; commits. Raises SlotFull, RuleViolation, NotFound."""
    atype = get_type(session, type_code)
    slot = session.get(Slot, slot_id) if isinstance(slot_id, int) else None
    if slot is None:
        raise NotFound("That time is no longer available. Choose another time.", code="slot_not_found")
    check_slot_bookable(session, slot=slot, atype=atype, date_of_birth=patient.date_of_birth, now=now,
                        settings=settings)
    if slot.booked >= slot.capacity:
        # A quick refusal from what was just read; the conditional UPDATE below stays the authority.
        raise SlotFull("Sorry, that time has just been taken. Choose another time.")
    try:
        # Claim the chair first: when it is gone, nothing else is written (and on SQLite the
        # write lock is let go at once).
        _claim_chair(session, slot.id)  # type: ignore[arg-type]
        row = _patient_for_booking(session, patient, now)
        if row.nhs_number is not None:
            _check_patient_cap(session, row, now, settings.max_active_bookings)
        appointment = Appointment(
            reference=_unused_reference(session), slot_id=slot.id, site_id=slot.site_id,  # type: ignore[arg-type]
            patient_id=row.id, type_code=atype.code, status=AppointmentStatus.BOOKED,  # type: ignore[arg-type]
            request_number=request_number, starts_at=slot.starts_at, created_at=now, updated_at=now,
        )
        session.add(appointment)
        queue_appointment_message(session=session, appointment=appointment, kind="booked", now=now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return appointment


def _unused_reference(session: Session) -> str:
    while True:  # 43 bits of randomness: a clash is vanishingly rare, but check anyway
        ref = new_reference()
        if session.exec(select(Appointment.id).where(Appointment.reference == ref)).first() is None:
            return ref


def find_appointment(*, session: Session, reference: str, date_of_birth: dt.date | None,
                     for_update: bool = False) -> Appointment:
    """The appointment with this reference whose patient has this date of birth. A wrong date
    of birth raises exactly the same NotFound as an unknown reference."""
    ref = normalise_reference(reference) if isinstance(reference, str) else ""
    query = select(Appointment, Patient).join(Patient, Patient.id == Appointment.patient_id).where(
        Appointment.reference == ref
    )
    if for_update:
        query = query.with_for_update(of=Appointment)  # type: ignore[call-arg]
    row = session.exec(query).first() if looks_like_reference(ref) else None
    if row is None or date_of_birth is None or row[1].date_of_birth != date_of_birth:
        raise NotFound(NOT_FOUND_MESSAGE)
    return row[0]


def reschedule_appointment(
    *, session: Session, reference: str, date_of_birth: dt.date | None, new_slot_id: int,
    now: dt.datetime, settings: Settings, type_code: str | None = None,
) -> Appointment:
    """Move a booking to another slot (any site), keeping its reference: one transaction that
    claims the new chair before it releases the old one."""
    try:
        appt = find_appointment(session=session, reference=reference, date_of_birth=date_of_birth,
                                for_update=True)
        if appt.status != AppointmentStatus.BOOKED:
            raise RuleViolation(_status_message(appt), code=f"already_{appt.status}")
        atype = get_type(session, type_code or appt.type_code)
        new_slot = session.get(Slot, new_slot_id) if isinstance(new_slot_id, int) else None
        if new_slot is None:
            raise NotFound("That time is no longer available. Choose another time.", code="slot_not_found")
        if new_slot.id == appt.slot_id:
            raise RuleViolation("That is the time you already have. Choose a different time.",
                                code="same_slot")
        patient = session.get(Patient, appt.patient_id)
        assert patient is not None
        check_slot_bookable(session, slot=new_slot, atype=atype, date_of_birth=patient.date_of_birth,
                            now=now, settings=settings)
        old_slot_id = appt.slot_id  # read before the UPDATE, which syncs the object to the new slot
        # Lock both slots in id order, so two reschedules swapping slots cannot deadlock.
        session.exec(select(Slot.id).where(col(Slot.id).in_(sorted({old_slot_id, new_slot.id})))
                     .order_by(Slot.id).with_for_update())
        # Guard against a concurrent change of the same booking (stale reads on SQLite/PG alike).
        moved = session.exec(  # type: ignore[call-overload]
            update(Appointment)
            .where(Appointment.id == appt.id, Appointment.version == appt.version,
                   Appointment.status == AppointmentStatus.BOOKED)
            .values(slot_id=new_slot.id, site_id=new_slot.site_id, starts_at=new_slot.starts_at,
                    type_code=atype.code, updated_at=now, version=Appointment.version + 1)
        )
        if moved.rowcount != 1:
            raise RuleViolation("Your booking was changed a moment ago. Look it up again.", code="conflict")
        _claim_chair(session, new_slot.id)  # type: ignore[arg-type]
        _release_chair(session, old_slot_id)
        queue_appointment_message(session=session, appointment=appt, kind="changed", now=now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(appt)
    return appt


def cancel_appointment(
    *, session: Session, reference: str, date_of_birth: dt.date | None, now: dt.datetime,
    reason: str = "Cancelled by patient",
) -> Appointment:
    """Cancel a booking; its chair is free at once. Cancelling twice is harmless."""
    try:
        appt = find_appointment(session=session, reference=reference, date_of_birth=date_of_birth,
                                for_update=True)
        if appt.status == AppointmentStatus.CANCELLED:
            session.rollback()
            return appt
        slot_id = appt.slot_id
        if appt.status != AppointmentStatus.BOOKED:
            raise RuleViolation(_status_message(appt), code=f"already_{appt.status}")
        done = session.exec(  # type: ignore[call-overload]
            update(Appointment)
            .where(Appointment.id == appt.id, Appointment.version == appt.version,
                   Appointment.status == AppointmentStatus.BOOKED)
            .values(status=AppointmentStatus.CANCELLED, cancelled_at=now, cancel_reason=reason[:300],
                    updated_at=now, version=Appointment.version + 1)
        )
        if done.rowcount != 1:
            raise RuleViolation("Your booking was changed a moment ago. Look it up again.", code="conflict")
        _release_chair(session, slot_id)
        queue_appointment_message(session=session, appointment=appt, kind="cancelled", now=now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(appt)
    return appt


def _status_message(appt: Appointment) -> str:
    when = f"{format_time(appt.starts_at)} on {format_date(to_local(appt.starts_at).date())}"
    return {
        AppointmentStatus.CANCELLED: "This booking has been cancelled. You can make a new booking.",
        AppointmentStatus.CHECKED_IN: f"You have already checked in for your appointment at {when}.",
        AppointmentStatus.COLLECTED: "This blood test has already taken place.",
        AppointmentStatus.DNA: f"This appointment at {when} has passed. Please make a new booking.",
    }.get(AppointmentStatus(appt.status), "This booking cannot be changed.")
