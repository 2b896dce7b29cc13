"""A revoked partner key is refused on its very next request, by every process, although each
process remembers the keys it has seen (the check rides in the request's first statement instead
of a statement of its own: services/accounts.py KeyProof). On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from booking_web import create_app
from shared.config import Settings
from shared.db import make_engine
from shared.models import ApiKey, Appointment, Slot
from shared.nhs_number import make_test_number
from tests.conftest import NOW
from tests.factories import make_clinic, make_partner_key, slots_of

DAY = dt.date(2026, 11, 25)


def _process(settings: Settings, engine: Engine) -> Flask:
    """An app as one gunicorn worker has it: its own engine, so its own memory of keys seen."""
    app = create_app(settings, engine=make_engine(engine.url.render_as_string(hide_password=False)))
    app.config["TESTING"] = True
    app.extensions["phlebo"].clock = lambda: NOW
    return app


@pytest.fixture
def workers(settings: Settings, engine: Engine) -> Iterator[list[Flask]]:
    apps = [_process(settings, engine), _process(settings, engine)]
    yield apps
    for app in apps:
        app.extensions["phlebo"].engine.dispose()


def _revoke(engine: Engine) -> None:
    """Revoke every key, from a connection of neither worker (an admin elsewhere)."""
    admin = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with admin.begin() as conn:
            conn.execute(update(ApiKey).values(revoked_at=NOW))
    finally:
        admin.dispose()


def _booking(slot_id: int, n: int) -> dict[str, object]:
    return {"slot_id": slot_id, "appointment_type": "adult", "patient": {
        "nhs_number": make_test_number(8800 + n), "given_name": "Ada", "family_name": "Okafor",
        "date_of_birth": "1950-01-02", "mobile": "07700 900 456"}}


def _written(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (session.exec(select(func.count()).select_from(Appointment)).one(),
            sum(s.booked for s in session.exec(select(Slot))))


def test_a_key_revoked_elsewhere_is_refused_by_every_worker_on_its_next_request(workers, session, engine):
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(10), chairs=3)
    slot_ids = [s.id for s in slots_of(session, clinic)]
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    slots = f"/api/v1/slots?site_id={clinic.site_id}&date={DAY}&appointment_type=adult"
    clients = [app.test_client() for app in workers]
    for n, client in enumerate(clients):  # each worker has now seen the key (and remembers it)
        assert client.get("/api/v1/sites", headers=auth).status_code == 200
        assert client.get(slots, headers=auth).status_code == 200
        assert client.post("/api/v1/appointments", json=_booking(slot_ids[0], n), headers=auth).status_code == 201
    before = _written(session)
    _revoke(engine)
    for n, client in enumerate(clients):
        for resp in (client.get("/api/v1/sites", headers=auth), client.get(slots, headers=auth),
                     client.post("/api/v1/appointments", json=_booking(slot_ids[1], 10 + n), headers=auth)):
            assert resp.status_code == 401 and resp.json["error"] == "unauthorised", resp.json
    assert _written(session) == before  # nothing booked, no chair taken


def test_a_revoked_key_gets_no_stored_answer_and_no_refusal_of_substance(workers, session, engine):
    """An answer kept under an Idempotency-Key goes only to a live key; a revoked key asking for a
    day with no slots, an unknown type or an unknown slot is told it is unauthorised, not why
    the request would have failed."""
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(10), chairs=3)
    slot_id = slots_of(session, clinic)[0].id
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    client = workers[0].test_client()
    keyed = {**auth, "Idempotency-Key": "revocation-1"}
    first = client.post("/api/v1/appointments", json=_booking(slot_id, 1), headers=keyed)
    assert first.status_code == 201
    assert client.post("/api/v1/appointments", json=_booking(slot_id, 1), headers=keyed).json == first.json
    _revoke(engine)
    empty_day = f"/api/v1/slots?site_id={clinic.site_id}&date={DAY + dt.timedelta(days=1)}&appointment_type=adult"
    for resp in (
        client.post("/api/v1/appointments", json=_booking(slot_id, 1), headers=keyed),
        client.get(empty_day, headers=auth),
        client.post("/api/v1/appointments", json={**_booking(slot_id, 2), "appointment_type": "nonsense"},
                    headers=auth),
        client.post("/api/v1/appointments", json=_booking(10**6, 3), headers=auth),
    ):
        assert resp.status_code == 401 and resp.json["error"] == "unauthorised", resp.json
        assert "reference" not in resp.json


def test_an_empty_answer_still_proves_the_key(workers, session):
    """A day with no slots reads no row to carry the key's check: the key is read on its own."""
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(10))
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    client = workers[1].test_client()
    empty_day = f"/api/v1/slots?site_id={clinic.site_id}&date={DAY + dt.timedelta(days=1)}&appointment_type=adult"
    assert client.get("/api/v1/sites", headers=auth).status_code == 200
    resp = client.get(empty_day, headers=auth)
    assert resp.status_code == 200 and resp.json["slots"] == []
