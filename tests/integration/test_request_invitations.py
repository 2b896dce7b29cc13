"""The invitation link's services on SQLite and PostgreSQL: what a link opens, the date of birth
as the only proof (three tries), the appointment type that follows from the patient and the
tests, and only dates inside the request's window offered."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from booking_web.messages import words
from booking_web.services import availability
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import Scope, cancel_request, submit_request
from booking_web.services.request_invitations import invited, open_invitation, prove_invitation
from booking_web.services.request_links import make_invite_token
from booking_web.services.staff_audit import Actor
from shared.errors import BookingError, ValidationFailed
from shared.models import LabRequest, OutboxMessage
from shared.request_rules import window_ends_at
from tests.conftest import NOW
from tests.factories import make_clinic, make_organisation, make_site

DOB = dt.date(1948, 3, 4)


def _request(session, settings, *, tests=("FBC", "GLU"), dob=DOB, earliest=dt.date(2026, 11, 25),  # type: ignore[no-untyped-def]
             latest=dt.date(2026, 11, 27)) -> str:
    seed_catalogue(session=session)
    if not session.exec(select(LabRequest)).first():
        make_organisation(session)
    return submit_request(
        session=session, nhs_number="9990000026", tests=list(tests), requester="Dr A", organisation="B86001",
        given_name="Margaret", family_name="O'Brien", date_of_birth=dob.isoformat(), mobile="07700900123",
        earliest=earliest.isoformat(), latest=latest.isoformat(), settings=settings, now=NOW,
    ).request.request_number


def _token(session, settings) -> str:  # type: ignore[no-untyped-def]
    message = session.exec(select(OutboxMessage).where(OutboxMessage.template == "invite")).first()
    return message.personalisation["invite_url"].rsplit("/r/", 1)[1]


def test_the_link_opens_its_request_and_the_date_of_birth_proves_the_patient(session, settings):
    _request(session, settings)
    opened = open_invitation(session=session, token=_token(session, settings), secret=settings.secret_key, now=NOW)
    assert (opened.earliest, opened.latest) == (dt.date(2026, 11, 25), dt.date(2026, 11, 27))
    got = prove_invitation(session=session, request_id=opened.request_id, date_of_birth=DOB, now=NOW)
    assert got.patient.nhs_number == "9990000026" and got.patient.mobile == "07700900123"
    assert got.fasting and got.type_for(dt.date(2026, 11, 25)) == "fasting" and not got.child
    assert got.tests == ("Full blood count", "Glucose (fasting)")


def test_three_wrong_dates_of_birth_and_the_link_reads_as_unknown(session, settings):
    _request(session, settings)
    request_id = open_invitation(session=session, token=_token(session, settings), secret=settings.secret_key,
                                 now=NOW).request_id
    for _ in range(2):
        with pytest.raises(ValidationFailed) as wrong:
            prove_invitation(session=session, request_id=request_id, date_of_birth=dt.date(1948, 4, 3), now=NOW)
        assert "does not match" in words(wrong.value)
    with pytest.raises(BookingError) as dead:
        prove_invitation(session=session, request_id=request_id, date_of_birth=dt.date(1948, 4, 3), now=NOW)
    assert dead.value.code == "invalid_invitation"
    # Even the right date of birth no longer opens it; the link itself answers as unknown.
    for attempt in (lambda: prove_invitation(session=session, request_id=request_id, date_of_birth=DOB, now=NOW),
                    lambda: open_invitation(session=session, token=_token(session, settings),
                                            secret=settings.secret_key, now=NOW)):
        with pytest.raises(BookingError) as again:
            attempt()
        assert again.value.code == "invalid_invitation" and again.value.problem == dead.value.problem


def test_forged_expired_cancelled_and_unknown_links_all_read_the_same(session, settings):
    number = _request(session, settings)
    token = _token(session, settings)
    req_id = session.exec(select(LabRequest.id)).one()
    messages = set()
    for token_used, now in (
        (token[:-2] + "xx", NOW),
        (token, window_ends_at(dt.date(2026, 11, 27))),
        (make_invite_token(secret="another secret", request_id=req_id, expires_at=NOW + dt.timedelta(days=9)), NOW),
        (make_invite_token(secret=settings.secret_key, request_id=999, expires_at=NOW + dt.timedelta(days=9)), NOW),
        ("", NOW),
        ("x" * 500, NOW),
    ):
        with pytest.raises(BookingError) as refused:
            open_invitation(session=session, token=token_used, secret=settings.secret_key, now=now)
        messages.add((refused.value.code, refused.value.problem.code))
    cancel_request(session=session, request_number=number, scope=Scope(), reason="Not needed",
                   actor=Actor(None, "gp", "Dr A"), now=NOW)
    with pytest.raises(BookingError) as cancelled:
        invited(session=session, request_id=req_id, now=NOW)
    messages.add((cancelled.value.code, cancelled.value.problem.code))
    assert len(messages) == 1 and next(iter(messages))[0] == "invalid_invitation"


def test_a_child_books_a_child_test_and_only_dates_in_the_window_are_offered(session, settings):
    _request(session, settings, tests=("FBC",), dob=dt.date(2015, 6, 1), earliest=dt.date(2026, 11, 25),
             latest=dt.date(2026, 11, 26))
    request_id = session.exec(select(LabRequest.id)).one()
    got = prove_invitation(session=session, request_id=request_id, date_of_birth=dt.date(2015, 6, 1), now=NOW)
    assert got.child and got.type_for(dt.date(2026, 11, 25)) == "child"
    site = make_site(session, paediatric=True)
    for day in (dt.date(2026, 11, 24), dt.date(2026, 11, 25), dt.date(2026, 11, 26), dt.date(2026, 11, 27)):
        make_clinic(session, site=site, day=day, types=("child", "adult"), slot_minutes=15)
    window = (got.earliest, got.latest)
    dates = availability.free_dates(session=session, site_id=site.id, type_code="child", now=NOW, settings=settings,
                                    window=window)
    assert dates == [dt.date(2026, 11, 25), dt.date(2026, 11, 26)]
    everything = availability.free_dates(session=session, site_id=site.id, type_code="child", now=NOW,
                                         settings=settings)
    assert len(everything) == 4
    outside = availability.free_slots(session=session, site_id=site.id, day=dt.date(2026, 11, 27), type_code="child",
                                      now=NOW, settings=settings, window=window)
    assert outside == []
    firsts = availability.first_free_slots(session=session, postcode=None, type_code="child", now=NOW,
                                           settings=settings, window=(dt.date(2026, 11, 26), dt.date(2026, 11, 26)))
    assert {s.starts_at.date() for f in firsts for s in f.slots} == {dt.date(2026, 11, 26)}
