"""The demo's test requests: two practices, and a request in every state, made through the real
services on SQLite and PostgreSQL (so `make demo` shows each step a requester can see)."""

from __future__ import annotations

from sqlmodel import select

from booking_web.demo_data import seed_demo
from booking_web.demo_requests import seed_demo_requests, seed_organisations
from booking_web.services.accounts import create_api_key, key_for_token
from booking_web.services.catalogue import seed_catalogue
from shared.models import KeyKind, LabRequest, RequestStatus, Site, TubeOutcome
from tests.conftest import NOW


def test_the_demo_has_a_request_in_every_state(session, settings):
    seed_demo(session=session, now=NOW)
    seed_catalogue(session=session)
    assert len(seed_organisations(session=session, now=NOW)) == 2
    assert len(seed_organisations(session=session, now=NOW)) == 2  # again: nothing new
    site = session.exec(select(Site).order_by(Site.id)).first()
    token = create_api_key(session=session, name="kiosk", kind=KeyKind.KIOSK, site_id=site.id, now=NOW)
    made = seed_demo_requests(session=session, settings=settings, now=NOW, site_id=site.id,
                              kiosk_key_id=key_for_token(session=session, token=token).id)
    session.expire_all()
    statuses = {r.status for r in session.exec(select(LabRequest))}
    assert statuses == {s.value for s in RequestStatus}, statuses
    assert len(made) == 8
    assert {o.result for o in session.exec(select(TubeOutcome))} == {"collected", "not_taken"}
