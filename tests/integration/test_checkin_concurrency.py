"""Simultaneous check-ins on SQLite and PostgreSQL: distinct queue numbers 1..N, one check-in per
booking, and a retry racing its original gets the original's answer."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import event
from sqlmodel import Session

from booking_web.services.accounts import key_for_token
from booking_web.services.booking import find_appointment
from booking_web.services.checkin import check_in
from shared.errors import BookingError
from shared.timeutil import local_to_utc
from tests.factories import make_clinic, make_site
from tests.integration.test_checkin import DAY, book, kiosk_key
from tests.threads import race

WHEN = local_to_utc(DAY, dt.time(8, 55))
DOB = dt.date(1970, 5, 17)


def setup(session: Session, settings, patients: int):  # type: ignore[no-untyped-def]
    site = make_site(session)
    clinic = make_clinic(session, site=site, day=DAY, start=dt.time(9), end=dt.time(10), chairs=4)
    appts = [book(session, settings, clinic, slot=i // 4, n=i) for i in range(patients)]
    token = kiosk_key(session, site)["Authorization"][7:]
    key = key_for_token(session=session, token=token)
    return site, appts, key.id


def checkin_on_own_session(engine, settings, site_id, key_id, reference, request_id):  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as own:
        return check_in(
            session=own,
            site_id=site_id,
            api_key_id=key_id,
            reference=reference,
            date_of_birth=DOB,
            request_id=request_id,
            now=WHEN,
            settings=settings,
        )


def test_simultaneous_check_ins_get_distinct_numbers_one_to_n(engine, session, settings):
    n = 16
    site, appts, key_id = setup(session, settings, n)
    results = race(
        n,
        lambda i: checkin_on_own_session(
            engine, settings, site.id, key_id, appts[i].reference, str(uuid.uuid4())
        ),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert sorted(r.queue_number for r in results) == list(range(1, n + 1))


def test_one_booking_checked_in_at_once_from_two_kiosks_succeeds_once(engine, session, settings):
    site, [appt], key_id = setup(session, settings, 1)
    results = race(
        8,
        lambda i: checkin_on_own_session(
            engine, settings, site.id, key_id, appt.reference, str(uuid.uuid4())
        ),
    )
    wins = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, BookingError)]
    assert len(wins) == 1 and wins[0].queue_number == 1
    assert len(refused) == 7 and {r.code for r in refused} == {"already_checked_in"}


def test_a_retry_racing_its_original_gets_the_same_answer(engine, session, settings):
    site, [appt], key_id = setup(session, settings, 1)
    rid = str(uuid.uuid4())
    results = race(
        6, lambda i: checkin_on_own_session(engine, settings, site.id, key_id, appt.reference, rid)
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    assert {r.queue_number for r in results} == {1}
    assert len({tuple(label.specimen_id for label in r.labels) for r in results}) == 1


def test_a_retry_that_read_the_booking_before_its_original_committed_gets_the_same_answer(
    engine, session, settings
):
    """The interleaving behind a rare failure of the race above (1 run in ~25 on PostgreSQL): the
    retry reads the booking, then the original commits, then the retry finds the original's
    attempt and must answer with the booking as it is now, not as it first read it."""
    site, [appt], key_id = setup(session, settings, 1)
    rid = str(uuid.uuid4())
    with Session(engine, expire_on_commit=False) as retry:
        # Held: the session's identity map is weak, so an object nobody holds is read afresh.
        read_first = find_appointment(session=retry, reference=appt.reference, date_of_birth=DOB)
        retry.commit()  # the booking as read (not yet checked in) stays in this session
        first = checkin_on_own_session(engine, settings, site.id, key_id, appt.reference, rid)
        again = check_in(session=retry, site_id=site.id, api_key_id=key_id, reference=appt.reference,
                         date_of_birth=DOB, request_id=rid, now=WHEN, settings=settings)
    assert first.queue_number == again.queue_number == read_first.queue_number == 1
    assert [label.specimen_id for label in again.labels] == [label.specimen_id for label in first.labels]


def test_a_retry_whose_original_commits_just_after_its_key_lookup_gets_the_same_answer(
    engine, session, settings
):
    """The interleaving behind a rare failure of the race above on SQLite (one clean-clone run in
    a few): the retry finds no key, the original commits, and the retry then reads the booking
    afresh (the lookup's rollback expired it) as checked in. It must answer with the original's
    number, not 'already checked in'."""
    site, [appt], key_id = setup(session, settings, 1)
    rid = str(uuid.uuid4())
    firsts = []

    def original_commits_now(_session) -> None:  # type: ignore[no-untyped-def]
        firsts.append(checkin_on_own_session(engine, settings, site.id, key_id, appt.reference, rid))

    with Session(engine, expire_on_commit=False) as retry:
        # The retry's first rollback is the key lookup's (the rate limit commits): run the
        # original to its commit right there.
        event.listen(retry, "after_rollback", original_commits_now, once=True)
        again = check_in(session=retry, site_id=site.id, api_key_id=key_id, reference=appt.reference,
                         date_of_birth=DOB, request_id=rid, now=WHEN, settings=settings)
    [first] = firsts
    assert first.queue_number == again.queue_number == 1
    assert [label.specimen_id for label in again.labels] == [label.specimen_id for label in first.labels]
