"""The demo's test requests: two practices, and a request in every state, made through the real
services on SQLite and PostgreSQL (so `make demo` shows each step a requester can see)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlmodel import select

from booking_web.demo_data import seed_demo
from booking_web.demo_requests import demo_walk_in, seed_demo_requests, seed_organisations
from booking_web.services.accounts import create_api_key, key_for_token
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.walk_ins import WalkInIdentity, walk_in
from shared.models import (
    Appointment,
    ClinicSession,
    KeyKind,
    LabRequest,
    OutboxMessage,
    RequestStatus,
    Site,
    TubeOutcome,
)
from shared.timeutil import local_to_utc, to_local
from tests.conftest import NOW
from tests.factories import SETUP


def test_the_demo_has_a_request_in_every_state(session, settings):
    seed_demo(session=session, now=NOW)
    seed_catalogue(session=session)
    assert len(seed_organisations(session=session, now=NOW)) == 2
    assert len(seed_organisations(session=session, now=NOW)) == 2  # again: nothing new
    site = session.exec(select(Site).order_by(Site.id)).first()
    token = create_api_key(session=session, actor=SETUP, name="kiosk", kind=KeyKind.KIOSK, site_id=site.id, now=NOW)
    made = seed_demo_requests(session=session, settings=settings, now=NOW, site_id=site.id,
                              kiosk_key_id=key_for_token(session=session, token=token).id)
    session.expire_all()
    statuses = {r.status for r in session.exec(select(LabRequest))}
    assert statuses == {s.value for s in RequestStatus}, statuses
    assert len(made) == 8
    assert {o.result for o in session.exec(select(TubeOutcome))} == {"collected", "not_taken"}
    # The invited request asks for Welsh: its invitation is queued in Welsh, its link opens Welsh pages.
    [welsh] = session.exec(select(LabRequest).where(LabRequest.language != "")).all()
    invites = session.exec(select(OutboxMessage).where(OutboxMessage.lab_request_id == welsh.id,
                                                       OutboxMessage.template == "invite")).all()
    assert (welsh.language, welsh.status) == ("cy", RequestStatus.INVITED) and invites
    assert all(m.language == "cy" and m.personalisation["invite_url"].endswith("?lang=cy") for m in invites)


def test_the_demo_site_takes_walk_ins_and_its_waiting_patient_can_walk_in(session, settings):
    """What the demo's banner offers: the waiting request's patient walks in by name, postcode and
    date of birth (her record got the postcode from the request) and gets a number."""
    seed_demo(session=session, now=NOW)
    seed_catalogue(session=session)
    seed_organisations(session=session, now=NOW)
    site = session.exec(select(Site).order_by(Site.id)).first()
    token = create_api_key(session=session, actor=SETUP, name="kiosk", kind=KeyKind.KIOSK, site_id=site.id, now=NOW)
    key_id = key_for_token(session=session, token=token).id
    seed_demo_requests(session=session, settings=settings, now=NOW, site_id=site.id, kiosk_key_id=key_id)
    who = demo_walk_in()
    done = walk_in(session=session, site_id=site.id, api_key_id=key_id,
                   who=WalkInIdentity(who.date_of_birth, given_name=who.given_name, family_name=who.family_name,
                                      postcode=who.postcode.lower().replace(" ", "")),
                   request_id=str(uuid.uuid4()), now=NOW, settings=settings)
    assert done.queue_number >= 1
    session.expire_all()
    walked = session.exec(select(Appointment).where(Appointment.walk_in == True)).one()  # noqa: E712
    assert walked.site_id == site.id and walked.checked_in_at is not None


@pytest.mark.parametrize("clock", [dt.time(8, 5), dt.time(21, 14), dt.time(23, 20)])
def test_the_demo_has_a_clinic_running_now_morning_or_evening(session, clock):
    """The banner says a clinic runs now: at 21:14 a clinic of four hours would cross midnight,
    so it ends at 23:50 instead of not being made at all."""
    now = local_to_utc(dt.date(2026, 11, 26), clock)
    site = seed_demo(session=session, now=now)[0]
    local = to_local(now)
    running = [c for c in session.exec(select(ClinicSession).where(ClinicSession.site_id == site.id))
               if c.date == local.date() and c.start_time <= local.time() < c.end_time]
    assert len(running) == 1
