"""Join or leave the waiting list for an earlier time (reached by reference + date of birth)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlmodel import Session, col, select

from booking_web.services.booking import find_appointment
from shared.db import transaction
from shared.errors import RuleViolation, ValidationFailed
from shared.models import (
    Appointment,
    AppointmentStatus,
    Site,
    WaitlistEntry,
    WaitlistSite,
    WaitlistStatus,
)


def active_sites(*, session: Session) -> list[Site]:
    """Sites a patient can choose, by name."""
    return list(
        session.exec(select(Site).where(col(Site.active).is_(True)).order_by(col(Site.name)))
    )


def join_waiting_list(
    *,
    session: Session,
    reference: str,
    date_of_birth: dt.date | None,
    site_ids: list[int],
    now: dt.datetime,
) -> WaitlistEntry:
    """Ask to be offered an earlier time at these sites; commits. Joining again changes the sites
    and keeps the place in the queue. Raises NotFound, RuleViolation, ValidationFailed."""
    with transaction(session):
        appt = find_appointment(
            session=session, reference=reference, date_of_birth=date_of_birth, for_update=True
        )  # serialises two joins for the same booking
        _check_can_wait(appt, now)
        wanted = set(site_ids)
        known = {s.id for s in active_sites(session=session)}
        if not wanted or not wanted <= known:
            raise ValidationFailed(
                "Choose at least one place", fields={"sites": "Choose at least one place"}
            )
        entry = session.exec(
            select(WaitlistEntry).where(WaitlistEntry.appointment_id == appt.id)
        ).first()
        if entry is None:
            entry = WaitlistEntry(appointment_id=appt.id, joined_at=now, updated_at=now)  # type: ignore[arg-type]
            session.add(entry)
            session.flush()
        else:
            if entry.status != WaitlistStatus.WAITING:
                entry.joined_at = now  # back of the queue after it had ended
            entry.status, entry.updated_at, entry.ended_reason = WaitlistStatus.WAITING, now, ""
            session.exec(delete(WaitlistSite).where(col(WaitlistSite.entry_id) == entry.id))  # type: ignore[call-overload]
        assert entry.id is not None
        session.add_all(
            WaitlistSite(entry_id=entry.id, site_id=site_id) for site_id in sorted(wanted)
        )
    return entry


def leave_waiting_list(
    *, session: Session, reference: str, date_of_birth: dt.date | None, now: dt.datetime
) -> None:
    """Stop offers for this booking; commits. Leaving when not on the list is harmless."""
    with transaction(session):
        appt = find_appointment(
            session=session, reference=reference, date_of_birth=date_of_birth, for_update=True
        )
        entry = session.exec(
            select(WaitlistEntry).where(WaitlistEntry.appointment_id == appt.id)
        ).first()
        if entry is not None and entry.status == WaitlistStatus.WAITING:
            entry.status, entry.updated_at, entry.ended_reason = (
                WaitlistStatus.ENDED,
                now,
                "left the list",
            )


def waiting_sites(*, session: Session, appointment_id: int) -> list[int]:
    """The site ids a booking is waiting for (empty when not waiting)."""
    entry = session.exec(
        select(WaitlistEntry).where(
            WaitlistEntry.appointment_id == appointment_id,
            WaitlistEntry.status == WaitlistStatus.WAITING,
        )
    ).first()
    if entry is None:
        return []
    return list(session.exec(select(WaitlistSite.site_id).where(WaitlistSite.entry_id == entry.id)))


def _check_can_wait(appt: Appointment, now: dt.datetime) -> None:
    if appt.status != AppointmentStatus.BOOKED or appt.starts_at <= now:
        raise RuleViolation(
            "Only a booking that has not happened yet can go on the waiting list.",
            code="not_waitable",
        )
