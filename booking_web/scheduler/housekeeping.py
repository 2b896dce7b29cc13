"""The day's housekeeping: bookings still 'booked' when their clinic session has ended are DNA."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlmodel import Session, col, select

from booking_web.services.request_status import on_booking_ended
from shared.models import Appointment, AppointmentStatus, ClinicSession, Slot
from shared.timeutil import local_to_utc


def mark_no_shows(*, session: Session, now: dt.datetime) -> int:
    """Mark as DNA every booked appointment whose clinic session ended by `now`; commits.
    A patient checked in, collected or cancelled is never touched (conditional UPDATE). A test
    request the booking carried waits for a new booking again."""
    rows = session.exec(
        select(col(Appointment.id), col(ClinicSession.date), col(ClinicSession.end_time))
        .join(Slot, col(Slot.id) == Appointment.slot_id)
        .join(ClinicSession, col(ClinicSession.id) == Slot.session_id)
        .where(Appointment.status == AppointmentStatus.BOOKED, col(Appointment.starts_at) < now)
    ).all()
    marked = 0
    for appointment_id, day, end_time in rows:
        if local_to_utc(day, end_time) > now:
            continue  # the session is still running: they may yet arrive
        done = session.exec(  # type: ignore[call-overload]
            update(Appointment)
            .where(
                col(Appointment.id) == appointment_id,
                col(Appointment.status) == AppointmentStatus.BOOKED,
            )
            .values(status=AppointmentStatus.DNA, updated_at=now, version=Appointment.version + 1)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount == 1:
            appointment = session.get(Appointment, appointment_id)
            assert appointment is not None
            on_booking_ended(session, appointment=appointment, now=now, why="did not attend")
        marked += done.rowcount
    session.commit()
    return marked
