"""The waiting list: a freed chair is offered to the first waiter by a signed, expiring link,
and goes to the first to accept (one winner under concurrent accepts, on both databases)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

import pytest
from sqlmodel import Session, select

from booking_web.services import booking, closures
from booking_web.services.staff_audit import Actor
from booking_web.waitlist.offers import OfferUnavailable, accept_offer, offer_free_chairs
from booking_web.waitlist.service import join_waiting_list, leave_waiting_list
from shared.errors import RuleViolation, ValidationFailed
from shared.models import (
    Appointment,
    OfferStatus,
    OutboxMessage,
    OutboxStatus,
    Slot,
    WaitlistEntry,
    WaitlistOffer,
)
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, make_site, slots_of
from tests.integration.test_concurrency import run_together

WED = dt.date(2026, 11, 25)
FRI = dt.date(2026, 11, 27)
DOB = dt.date(1970, 5, 17)


@dataclasses.dataclass
class World:
    site_id: int
    early: Slot  # one chair on Wednesday, held by the filler until they cancel
    filler: Appointment
    waiters: list[Appointment]


def world(session, settings, waiters: int = 2) -> World:  # type: ignore[no-untyped-def]
    site = make_site(session)
    early = slots_of(
        session,
        make_clinic(session, site=site, day=WED, start=dt.time(9, 0), end=dt.time(9, 10), chairs=1),
    )[0]
    friday = slots_of(session, make_clinic(session, site=site, day=FRI, chairs=3))
    filler = booking.book_appointment(
        session=session,
        slot_id=early.id,
        type_code="adult",
        patient=make_patient(90),
        now=NOW,
        settings=settings,
    ).appointment
    booked = []
    for i in range(waiters):
        appt = booking.book_appointment(
            session=session,
            slot_id=friday[i // 3].id,
            type_code="adult",
            patient=make_patient(i),
            now=NOW,
            settings=settings,
        ).appointment
        join_waiting_list(
            session=session,
            reference=appt.reference,
            date_of_birth=DOB,
            site_ids=[site.id],
            now=NOW + dt.timedelta(minutes=i),
        )
        booked.append(appt)
    return World(site.id, early, filler, booked)  # type: ignore[arg-type]


def offers_to(session: Session, appt: Appointment) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.exec(
            select(OutboxMessage).where(
                OutboxMessage.template == "waitlist_offer", OutboxMessage.appointment_id == appt.id
            )
        )
    )


def token_of(message: OutboxMessage) -> str:
    return message.personalisation["offer_url"].rsplit("/", 1)[1]


def test_freed_chair_goes_to_the_first_waiter_and_accepting_moves_the_booking(session, settings):
    w = world(session, settings)
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 0  # nothing free yet
    booking.cancel_appointment(
        session=session, reference=w.filler.reference, date_of_birth=DOB, now=NOW
    )
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 1
    [message] = offers_to(session, w.waiters[0])
    assert not offers_to(session, w.waiters[1])
    assert message.personalisation["time"] == "9:00am" and message.expires_at == NOW + dt.timedelta(
        hours=2
    )
    assert message.personalisation["offer_url"].startswith(
        settings.public_url + "/waiting-list/offer/"
    )
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 0  # no second offer

    moved = accept_offer(session=session, settings=settings, token=token_of(message), now=NOW)
    assert moved.reference == w.waiters[0].reference and moved.slot_id == w.early.id
    session.refresh(w.early)
    assert w.early.booked == 1
    changed = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.template == "changed", OutboxMessage.appointment_id == moved.id
        )
    ).all()
    assert len(changed) == 1 and changed[0].personalisation["time"] == "9:00am"
    entry = session.exec(
        select(WaitlistEntry).where(WaitlistEntry.appointment_id == moved.id)
    ).one()
    assert entry.status == "moved"
    assert (
        accept_offer(session=session, settings=settings, token=token_of(message), now=NOW).id
        == moved.id
    )
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 0


def test_an_unanswered_offer_expires_and_passes_to_the_next_waiter(session, settings):
    w = world(session, settings)
    booking.cancel_appointment(
        session=session, reference=w.filler.reference, date_of_birth=DOB, now=NOW
    )
    offer_free_chairs(session=session, settings=settings, now=NOW)
    [first] = offers_to(session, w.waiters[0])
    later = NOW + dt.timedelta(hours=2)
    assert offer_free_chairs(session=session, settings=settings, now=later) == 1
    [second] = offers_to(session, w.waiters[1])
    with pytest.raises(OfferUnavailable) as info:
        accept_offer(session=session, settings=settings, token=token_of(first), now=later)
    assert info.value.code == "offer_expired"
    assert (
        accept_offer(session=session, settings=settings, token=token_of(second), now=later).slot_id
        == w.early.id
    )


def test_concurrent_accepts_have_exactly_one_winner(engine, session, settings):
    settings = dataclasses.replace(settings, waitlist_offer_fanout=6)
    w = world(session, settings, waiters=6)
    booking.cancel_appointment(
        session=session, reference=w.filler.reference, date_of_birth=DOB, now=NOW
    )
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 6
    tokens = [token_of(offers_to(session, appt)[0]) for appt in w.waiters]
    jobs = [
        (lambda s, t=t: accept_offer(session=s, settings=settings, token=t, now=NOW))
        for t in tokens
    ]
    results = run_together(engine, jobs, session)
    outcome = Counter(
        "won" if isinstance(r, Appointment) else getattr(r, "code", repr(r)) for r in results
    )
    assert outcome == {"won": 1, "offer_gone": 5}
    session.expire_all()
    early = session.get(Slot, w.early.id)
    assert early is not None and early.booked == 1
    on_early = session.exec(
        select(Appointment).where(Appointment.slot_id == w.early.id, Appointment.status == "booked")
    ).all()
    assert len(on_early) == 1
    statuses = Counter(o.status for o in session.exec(select(WaitlistOffer)))
    assert statuses == {"accepted": 1, "gone": 5}
    late = next(t for t, r in zip(tokens, results, strict=True) if not isinstance(r, Appointment))
    with pytest.raises(OfferUnavailable) as gone:
        accept_offer(session=session, settings=settings, token=late, now=NOW)
    assert gone.value.code == "offer_gone"


def test_forged_link_and_a_stale_offer_are_refused(session, settings):
    w = world(session, settings, waiters=1)
    booking.cancel_appointment(
        session=session, reference=w.filler.reference, date_of_birth=DOB, now=NOW
    )
    offer_free_chairs(session=session, settings=settings, now=NOW)
    token = token_of(offers_to(session, w.waiters[0])[0])
    with pytest.raises(Exception) as forged:
        accept_offer(session=session, settings=settings, token=token[:-2] + "xx", now=NOW)
    assert getattr(forged.value, "code", "") == "invalid_offer"
    booking.cancel_appointment(
        session=session, reference=w.waiters[0].reference, date_of_birth=DOB, now=NOW
    )
    with pytest.raises(OfferUnavailable) as stale:
        accept_offer(session=session, settings=settings, token=token, now=NOW)
    assert stale.value.code == "offer_stale"
    session.expire_all()
    assert session.get(Slot, w.early.id).booked == 0  # type: ignore[union-attr]


def test_joining_rules(session, settings):
    w = world(session, settings, waiters=1)
    appt = w.waiters[0]
    with pytest.raises(ValidationFailed):
        join_waiting_list(
            session=session, reference=appt.reference, date_of_birth=DOB, site_ids=[], now=NOW
        )
    leave_waiting_list(session=session, reference=appt.reference, date_of_birth=DOB, now=NOW)
    booking.cancel_appointment(
        session=session, reference=w.filler.reference, date_of_birth=DOB, now=NOW
    )
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 0  # left: no offer
    booking.cancel_appointment(
        session=session, reference=appt.reference, date_of_birth=DOB, now=NOW
    )
    with pytest.raises(RuleViolation):
        join_waiting_list(
            session=session,
            reference=appt.reference,
            date_of_birth=DOB,
            site_ids=[w.site_id],
            now=NOW,
        )


def test_pages_join_then_accept_an_offer(app, client, session, settings):
    app.config["WTF_CSRF_ENABLED"] = False
    w = world(session, settings, waiters=0)
    friday = slots_of(session, make_clinic(session, day=FRI))[0]
    appt = booking.book_appointment(
        session=session,
        slot_id=friday.id,
        type_code="adult",
        patient=make_patient(5),
        now=NOW,
        settings=settings,
    ).appointment
    page = client.get(f"/waiting-list/join?reference={appt.reference}")
    assert (
        page.status_code == 200
        and appt.reference in page.text
        and 'autocomplete="bday-day"' in page.text
    )
    wrong = client.post(
        "/waiting-list/join",
        data={"reference": appt.reference, "dob-day": "18", "dob-month": "5", "dob-year": "1970"},
    )
    assert "We could not find a booking" in wrong.text
    found = client.post(
        "/waiting-list/join",
        data={"reference": appt.reference, "dob-day": "17", "dob-month": "5", "dob-year": "1970"},
    )
    assert found.status_code == 302 and found.headers["Location"].endswith("/waiting-list/sites")
    empty = client.post("/waiting-list/sites", data={})
    assert "Select at least one place" in empty.text and "nhsuk-error-summary" in empty.text
    joined = client.post("/waiting-list/sites", data={"sites": [str(w.site_id)]})
    assert "You are on the waiting list" in joined.text
    booking.cancel_appointment(
        session=session, reference=w.filler.reference, date_of_birth=DOB, now=NOW
    )
    offer_free_chairs(session=session, settings=settings, now=NOW)
    token = token_of(offers_to(session, appt)[0])
    offer_page = client.get(f"/waiting-list/offer/{token}")
    assert (
        "An earlier time is free" in offer_page.text
        and "9:00am on Wednesday 25 November 2026" in offer_page.text
    )
    accepted = client.post(f"/waiting-list/offer/{token}")
    assert "Your appointment has moved" in accepted.text
    again = client.get(f"/waiting-list/offer/{token}")  # the link shows the moved booking again
    assert "Your appointment has moved" in again.text and "phlebo-qr" in again.text
    assert client.get("/waiting-list/offer/not-a-token").status_code == 404


def test_a_found_booking_closes_after_15_minutes_on_the_apps_clock(app, client, session, settings):
    app.config["WTF_CSRF_ENABLED"] = False
    world(session, settings, waiters=0)
    appt = booking.book_appointment(
        session=session, slot_id=slots_of(session, make_clinic(session, day=FRI))[0].id,
        type_code="adult", patient=make_patient(6), now=NOW, settings=settings,
    ).appointment
    found = client.post(
        "/waiting-list/join",
        data={"reference": appt.reference, "dob-day": "17", "dob-month": "5", "dob-year": "1970"},
    )
    assert found.headers["Location"].endswith("/waiting-list/sites")
    app.extensions["phlebo"].clock = lambda: NOW + dt.timedelta(minutes=14)
    assert client.get("/waiting-list/sites").status_code == 200
    app.extensions["phlebo"].clock = lambda: NOW + dt.timedelta(minutes=16)
    assert client.get("/waiting-list/sites").headers["Location"].endswith("/waiting-list/join")


def test_closing_the_offered_day_withdraws_the_offer_and_its_unsent_text(session, settings):
    """A clinic closed after a freed chair was offered: the offer is gone, its text is not sent
    (a patient must not be invited to a closed clinic), following its link changes nothing, and
    the closed day offers no chair again."""
    w = world(session, settings)
    booking.cancel_appointment(session=session, reference=w.filler.reference, date_of_birth=DOB, now=NOW)
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 1
    [message] = offers_to(session, w.waiters[0])
    assert message.status == "pending"

    closures.close_day(session=session, site_id=w.site_id, day=WED, reason="No heating in the building",
                       actor=Actor(None, "ada", "Ada"), now=NOW)

    [message] = offers_to(session, w.waiters[0])
    assert message.status == OutboxStatus.SKIPPED
    offer = session.exec(select(WaitlistOffer).where(WaitlistOffer.slot_id == w.early.id)).one()
    assert offer.status == OfferStatus.GONE
    with pytest.raises(OfferUnavailable) as refused:
        accept_offer(session=session, settings=settings, token=token_of(message), now=NOW)
    assert refused.value.code == "offer_gone"
    session.expire_all()
    assert session.get(Appointment, w.waiters[0].id).slot_id == w.waiters[0].slot_id  # still on Friday
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 0
