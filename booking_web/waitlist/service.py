"""Join or leave the waiting list for an earlier time (reached by reference + date of birth)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from booking_web.services.availability import list_sites
from booking_web.services.booking import find_appointment
from shared.db import transaction
from shared.errors import NotFound, RuleViolation, ValidationFailed, problem
from shared.models import (
    Appointment,
    AppointmentStatus,
    OfferStatus,
    Site,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistSite,
    WaitlistStatus,
)
from shared.references import normalise_reference
from shared.timeutil import to_local


def places_for(*, session: Session, appointment: Appointment, now: dt.datetime) -> list[Site]:
    """The places this booking could move to, A to Z: active sites that run clinics for its
    type from today on (a glucose tolerance test only where glucose tolerance tests are done;
    a child's test only at children's clinics)."""
    sites, _found = list_sites(
        session=session, type_code=appointment.type_code, from_day=to_local(now).date()
    )
    return [sd.site for sd in sites]


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
        known = {s.id for s in places_for(session=session, appointment=appt, now=now)}
        if not wanted or not wanted <= known:
            raise ValidationFailed("places_missing", fields={"sites": problem("places_missing")})
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
    *,
    session: Session,
    now: dt.datetime,
    reference: str | None = None,
    date_of_birth: dt.date | None = None,
    entry_id: int | None = None,
) -> None:
    """Stop offers for this booking (by reference and date of birth, or by the entry a leave link
    names); commits. Leaving when not on the list is harmless. NotFound for an unknown booking
    or entry."""
    with transaction(session):
        if entry_id is not None:
            entry = session.exec(
                select(WaitlistEntry).where(WaitlistEntry.id == entry_id).with_for_update()
            ).first()
            if entry is None:
                raise NotFound("waiting_place_not_found", code="not_waiting")
        else:
            appt = find_appointment(
                session=session,
                reference=reference or "",
                date_of_birth=date_of_birth,
                for_update=True,
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
            # Offers still open for this entry can no longer be taken.
            session.exec(  # type: ignore[call-overload]
                update(WaitlistOffer)
                .where(
                    col(WaitlistOffer.entry_id) == entry.id,
                    col(WaitlistOffer.status) == OfferStatus.OPEN,
                )
                .values(status=OfferStatus.EXPIRED, decided_at=now)
                .execution_options(synchronize_session=False)
            )


def waiting_places(*, session: Session, reference: str) -> list[str]:
    """The names of the places a booking is waiting for an earlier time at (empty when it is
    not on the waiting list)."""
    rows = session.exec(
        select(Site.name)
        .join(WaitlistSite, col(WaitlistSite.site_id) == col(Site.id))
        .join(WaitlistEntry, col(WaitlistEntry.id) == col(WaitlistSite.entry_id))
        .join(Appointment, col(Appointment.id) == col(WaitlistEntry.appointment_id))
        .where(
            Appointment.reference == normalise_reference(reference),
            WaitlistEntry.status == WaitlistStatus.WAITING,
        )
        .order_by(col(Site.name))
    )
    return list(rows)


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
        raise RuleViolation("not_waitable")
