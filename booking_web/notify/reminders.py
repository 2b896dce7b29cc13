"""Reminders before an appointment (by default 2 days and 2 hours before). Whole days are
counted on the London calendar, so a 9am appointment is reminded at 9am two days earlier even
across a clock change; what is left over (e.g. 2h) is real elapsed time."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from booking_web.notify.outbox import appointment_details, queue_to_each, recipients
from shared.config import Settings
from shared.models import Appointment, AppointmentStatus, Patient
from shared.timeutil import local_to_utc, to_local

DAY = dt.timedelta(days=1)


def reminder_due_at(starts_at: dt.datetime, offset: dt.timedelta) -> dt.datetime:
    """When the reminder `offset` before an appointment is due (aware UTC)."""
    days, rest = divmod(offset, DAY)
    wall = to_local(starts_at).replace(tzinfo=None) - dt.timedelta(days=days)
    return local_to_utc(wall.date(), wall.time()) - rest


def offset_label(offset: dt.timedelta) -> str:
    """'48h', '2h' or '90m': part of the reminder's dedup key."""
    minutes = int(offset.total_seconds() // 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 else f"{minutes}m"


def reminder_key(appointment: Appointment, offset: dt.timedelta) -> str:
    """One key per booking time and version (each channel adds its own to it): a reschedule
    makes new reminders due, a rerun none."""
    return (
        f"reminder-{offset_label(offset)}:{appointment.id}:{appointment.starts_at.isoformat()}"
        f":v{appointment.version}"
    )


def queue_reminders(*, session: Session, settings: Settings, now: dt.datetime) -> int:
    """Queue every reminder that is due now; commits. Only booked appointments get one; a
    reminder whose time passed before the booking was made (or changed) is not sent, and when
    the job was down long enough for two to be due, only the nearer one goes. Returns how many
    messages were added (0 on a rerun)."""
    offsets = settings.reminder_offsets
    if not offsets:
        return 0
    horizon = now + max(offsets) + DAY  # calendar days can be an hour longer than 24h
    rows = session.exec(
        select(Appointment, Patient)
        .join(Patient, col(Patient.id) == Appointment.patient_id)
        .where(
            Appointment.status == AppointmentStatus.BOOKED,
            col(Appointment.starts_at) > now,
            col(Appointment.starts_at) <= horizon,
        )
        .order_by(col(Appointment.starts_at))
    ).all()
    added = 0
    for appt, patient in rows:
        due = [
            (offset, at)
            for offset in offsets
            if (at := reminder_due_at(appt.starts_at, offset)) <= now and appt.updated_at < at
        ]
        if not due:
            continue
        offset = min(o for o, _ in due)
        added += queue_to_each(session=session, to=recipients(patient), key=reminder_key(appt, offset),
                               template="reminder", personalisation=appointment_details(session, appt), now=now,
                               appointment_id=appt.id, only_if_version=appt.version, expires_at=appt.starts_at,
                               language=appt.language)
    session.commit()
    return added
