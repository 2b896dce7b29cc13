"""Offer free chairs to waiting patients, first joined first; the first to accept gets the chair
through the ordinary reschedule (same reference, capacity enforced by the database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from booking_web.notify.outbox import queue_to_each, recipients
from booking_web.services.appointment_summary import AppointmentSummary, summarise
from booking_web.services.booking import check_slot_bookable, reschedule_appointment
from booking_web.services.request_status import booked_window
from booking_web.waitlist.tokens import (
    leave_url,
    make_leave_token,
    make_offer_token,
    offer_url,
    read_offer_token,
)
from shared.config import Settings
from shared.db import transaction
from shared.errors import BookingError, RuleViolation, SlotFull
from shared.locales import gettext, use_language
from shared.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ClinicSession,
    OfferStatus,
    Patient,
    Site,
    Slot,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistSite,
    WaitlistStatus,
)
from shared.references import format_reference
from shared.request_rules import in_window
from shared.timeutil import format_date, format_time, to_local


class OfferUnavailable(BookingError):
    """The offer cannot be taken (gone, expired, booking changed); the booking is unchanged."""


def offer_free_chairs(*, session: Session, settings: Settings, now: dt.datetime) -> int:
    """One run of the waiting-list job; commits. Expires old offers, ends entries whose booking is
    over, then offers each free chair (earliest first) to waiting patients in the order they
    joined, at most `waitlist_offer_fanout` open offers per free chair and one open offer per
    patient. Returns how many offers were made."""
    session.exec(  # type: ignore[call-overload]
        update(WaitlistOffer)
        .where(col(WaitlistOffer.status) == OfferStatus.OPEN, col(WaitlistOffer.expires_at) <= now)
        .values(status=OfferStatus.EXPIRED, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    waiting = _waiting(session, now)
    if not waiting:
        session.commit()
        return 0
    sites = _sites_by_entry(session, [w.entry.id for w in waiting])  # type: ignore[misc]
    open_rows = session.exec(
        select(WaitlistOffer.entry_id, WaitlistOffer.slot_id).where(
            WaitlistOffer.status == OfferStatus.OPEN
        )
    ).all()
    busy = {entry_id for entry_id, _ in open_rows}
    open_per_slot: dict[int, int] = {}
    for _, slot_id in open_rows:
        open_per_slot[slot_id] = open_per_slot.get(slot_id, 0) + 1
    tried = set(
        session.exec(
            select(WaitlistOffer.entry_id, WaitlistOffer.slot_id).where(
                col(WaitlistOffer.entry_id).in_([w.entry.id for w in waiting])
            )
        ).all()
    )
    # A chair is offered only if, taken at the last minute of the offer, it still leaves the
    # minimum notice: the offer then lasts its whole lifetime, and accepting never fails as
    # "too soon".
    lifetime = dt.timedelta(minutes=settings.waitlist_offer_minutes)
    earliest = now + dt.timedelta(minutes=settings.min_notice_minutes) + lifetime
    all_sites = set().union(*sites.values())
    free = session.exec(
        select(Slot)
        .join(ClinicSession, col(ClinicSession.id) == Slot.session_id)
        .where(
            col(Slot.booked) < col(Slot.capacity),
            col(Slot.site_id).in_(all_sites),
            col(Slot.starts_at) >= earliest,
            col(Slot.starts_at) < max(w.appt.starts_at for w in waiting),
            col(ClinicSession.closed_at).is_(None),
        )
        .order_by(col(Slot.starts_at), col(Slot.id))
        .limit(500)
    ).all()
    made = 0
    for slot in free:
        assert slot.id is not None
        free_chairs = slot.capacity - slot.booked
        room = free_chairs * settings.waitlist_offer_fanout - open_per_slot.get(slot.id, 0)
        for w in waiting:
            if room <= 0:
                break
            entry_id = w.entry.id
            if (
                entry_id in busy
                or slot.site_id not in sites.get(entry_id, set())  # type: ignore[arg-type]
                or slot.starts_at >= w.appt.starts_at
                or (entry_id, slot.id) in tried
                or not in_window(to_local(slot.starts_at).date(), *(w.window or (None, None)))
            ):
                continue
            try:
                check_slot_bookable(
                    session,
                    slot=slot,
                    atype=w.atype,
                    date_of_birth=w.patient.date_of_birth,
                    now=now,
                    settings=settings,
                )
            except BookingError:
                continue
            _make_offer(session, settings, w, slot, now + lifetime, now)
            busy.add(entry_id)  # type: ignore[arg-type]
            room -= 1
            made += 1
    session.commit()
    return made


@dataclass
class _Waiter:
    entry: WaitlistEntry
    appt: Appointment
    patient: Patient
    atype: AppointmentType
    window: tuple[dt.date, dt.date] | None = None  # a GP request's window: offers stay inside it


def _waiting(session: Session, now: dt.datetime) -> list[_Waiter]:
    """Waiting entries in queue order; entries whose booking is over are ended on the way."""
    rows = session.exec(
        select(WaitlistEntry, Appointment, Patient, AppointmentType)
        .join(Appointment, col(Appointment.id) == WaitlistEntry.appointment_id)
        .join(Patient, col(Patient.id) == Appointment.patient_id)
        .join(AppointmentType, col(AppointmentType.code) == Appointment.type_code)
        .where(WaitlistEntry.status == WaitlistStatus.WAITING)
        .order_by(col(WaitlistEntry.joined_at), col(WaitlistEntry.id))
    ).all()
    waiting = []
    for entry, appt, patient, atype in rows:
        if appt.status != AppointmentStatus.BOOKED or appt.starts_at <= now:
            entry.status, entry.updated_at, entry.ended_reason = (
                WaitlistStatus.ENDED,
                now,
                f"booking {appt.status}",
            )
        else:
            waiting.append(_Waiter(entry, appt, patient, atype, booked_window(session, appt)))
    return waiting


def _sites_by_entry(session: Session, entry_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    for entry_id, site_id in session.exec(
        select(WaitlistSite.entry_id, WaitlistSite.site_id).where(
            col(WaitlistSite.entry_id).in_(entry_ids)
        )
    ):
        found.setdefault(entry_id, set()).add(site_id)
    return found


def _make_offer(
    session: Session,
    settings: Settings,
    w: _Waiter,
    slot: Slot,
    expires: dt.datetime,
    now: dt.datetime,
) -> None:
    offer = WaitlistOffer(entry_id=w.entry.id, slot_id=slot.id, created_at=now, expires_at=expires)  # type: ignore[arg-type]
    session.add(offer)
    session.flush()
    assert offer.id is not None
    site = session.get(Site, slot.site_id)
    assert site is not None
    token = make_offer_token(secret=settings.secret_key, offer_id=offer.id, expires_at=expires)
    leave = make_leave_token(secret=settings.secret_key, entry_id=w.entry.id)  # type: ignore[arg-type]
    with use_language(w.appt.language):  # the language the patient booked in
        details = {
            "reference": format_reference(w.appt.reference),
            "date": format_date(to_local(slot.starts_at).date()),
            "day": on_day(slot.starts_at, now=now),
            "time": format_time(slot.starts_at),
            "site": site.name,
            "offer_url": offer_url(public_url=settings.public_url, token=token, language=w.appt.language),
            "offer_expires": when(expires, now=now),
            "leave_url": leave_url(public_url=settings.public_url, token=leave, language=w.appt.language),
        }
    queue_to_each(session=session, to=recipients(w.patient), key=f"waitlist-offer:{offer.id}",
                  template="waitlist_offer", personalisation=details, now=now, appointment_id=w.appt.id,
                  only_if_version=w.appt.version, expires_at=expires, language=w.appt.language)


def on_day(instant: dt.datetime, *, now: dt.datetime) -> str:
    """'today (Thursday 26 November 2026)', 'tomorrow (...)' or 'on Friday 27 November 2026':
    an offer for a time today must say so, or a patient reading it at once may miss it."""
    day, today = to_local(instant).date(), to_local(now).date()
    date = {"date": format_date(day)}
    if day == today:
        return gettext("today (%(date)s)") % date
    if day == today + dt.timedelta(days=1):
        return gettext("tomorrow (%(date)s)") % date
    return gettext("on %(date)s") % date


def when(instant: dt.datetime, *, now: dt.datetime) -> str:
    """'9:00am today (Thursday 26 November 2026)', or '9:00am on Friday 27 November 2026'."""
    return gettext("%(time)s %(day)s") % {"time": format_time(instant), "day": on_day(instant, now=now)}


@dataclass(frozen=True)
class OfferView:
    """What the offer page shows: the offered time and the booking it would replace."""

    offer_id: int
    entry_id: int
    status: str  # open, accepted, expired, gone
    reference: str
    starts_at: dt.datetime
    site_name: str
    site_address: str
    current_starts_at: dt.datetime
    expires_at: dt.datetime


def get_offer(*, session: Session, settings: Settings, token: str, now: dt.datetime) -> OfferView:
    """The offer a link names, with its status as of now (read-only)."""
    offer_id, _ = read_offer_token(secret=settings.secret_key, token=token)
    offer, slot, site, appt = _load(session, offer_id)
    status = offer.status
    if status == OfferStatus.OPEN:
        if offer.expires_at <= now:
            status = OfferStatus.EXPIRED
        elif slot.booked >= slot.capacity or appt.status != AppointmentStatus.BOOKED:
            status = OfferStatus.GONE
    return OfferView(
        offer_id=offer_id,
        entry_id=offer.entry_id,
        status=status,
        reference=appt.reference,
        starts_at=slot.starts_at,
        site_name=site.name,
        site_address=f"{site.address}, {site.postcode}",
        current_starts_at=appt.starts_at,
        expires_at=offer.expires_at,
    )


def _load(session: Session, offer_id: int) -> tuple[WaitlistOffer, Slot, Site, Appointment]:
    row = session.exec(
        select(WaitlistOffer, Slot, Site, Appointment)
        .join(Slot, col(Slot.id) == WaitlistOffer.slot_id)
        .join(Site, col(Site.id) == Slot.site_id)
        .join(WaitlistEntry, col(WaitlistEntry.id) == WaitlistOffer.entry_id)
        .join(Appointment, col(Appointment.id) == WaitlistEntry.appointment_id)
        .where(WaitlistOffer.id == offer_id)
    ).first()
    if row is None:
        raise OfferUnavailable("offer_expired")
    return row


def accept_offer(
    *, session: Session, settings: Settings, token: str, now: dt.datetime, language: str | None = None
) -> Appointment:
    """Take the offered chair: one transaction marks the offer accepted and moves the booking
    (claim new chair, release old, queue the 'changed' message). Raises OfferUnavailable when
    it has gone, expired or the booking changed; accepting twice returns the booking. The
    booking takes `language` (the one the patient accepted in), as a change on Manage does."""
    offer_id, signed_expiry = read_offer_token(secret=settings.secret_key, token=token)
    try:
        # One transaction: the offer, the entry and the move commit together or not at all.
        with transaction(session):
            offer, slot, _site, appt = _load(session, offer_id)
            if offer.status == OfferStatus.ACCEPTED and appt.slot_id == offer.slot_id:
                return appt
            if offer.status == OfferStatus.GONE:
                raise OfferUnavailable("offer_gone")
            if offer.status != OfferStatus.OPEN or min(offer.expires_at, signed_expiry) <= now:
                raise OfferUnavailable("offer_expired")
            if appt.status != AppointmentStatus.BOOKED or appt.starts_at <= slot.starts_at:
                raise OfferUnavailable("offer_stale")
            taken = session.exec(  # type: ignore[call-overload]
                update(WaitlistOffer)
                .where(
                    col(WaitlistOffer.id) == offer_id, col(WaitlistOffer.status) == OfferStatus.OPEN
                )
                .values(status=OfferStatus.ACCEPTED, decided_at=now)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # a double click: the other request decided it
                raise OfferUnavailable("offer_gone")
            session.exec(  # type: ignore[call-overload]
                update(WaitlistEntry)
                .where(col(WaitlistEntry.id) == offer.entry_id)
                .values(
                    status=WaitlistStatus.MOVED,
                    updated_at=now,
                    ended_reason="accepted an earlier time",
                )
                .execution_options(synchronize_session=False)
            )
            patient = session.get(Patient, appt.patient_id)
            assert patient is not None
            return reschedule_appointment(
                session=session,
                reference=appt.reference,
                date_of_birth=patient.date_of_birth,
                new_slot_id=int(slot.id),  # type: ignore[arg-type]
                now=now,
                settings=settings,
                language=language,
            )
    except SlotFull as exc:
        _mark(session, offer_id, OfferStatus.GONE, now)
        raise OfferUnavailable("offer_gone") from exc
    except RuleViolation as exc:
        _mark(session, offer_id, OfferStatus.EXPIRED, now)
        raise OfferUnavailable("offer_refused", code="offer_stale", reason=exc.problem) from exc


def _mark(session: Session, offer_id: int, status: OfferStatus, now: dt.datetime) -> None:
    session.exec(  # type: ignore[call-overload]
        update(WaitlistOffer)
        .where(col(WaitlistOffer.id) == offer_id, col(WaitlistOffer.status) == OfferStatus.OPEN)
        .values(status=status, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def moved_booking(*, session: Session, settings: Settings, token: str) -> AppointmentSummary:
    """The booking an accepted offer moved, as the patient sees it (the new QR code, letter and
    calendar file); OfferUnavailable unless the offer was accepted."""
    offer_id, _ = read_offer_token(secret=settings.secret_key, token=token)
    offer, _slot, _site, appt = _load(session, offer_id)
    if offer.status != OfferStatus.ACCEPTED or appt.slot_id != offer.slot_id:
        raise OfferUnavailable("offer_expired")
    return summarise(session=session, appointment=appt, secret=settings.secret_key)


def open_offer_count(*, session: Session) -> int:
    """How many offers are open (for staff figures)."""
    return session.exec(
        select(func.count())
        .select_from(WaitlistOffer)
        .where(WaitlistOffer.status == OfferStatus.OPEN)
    ).one()
