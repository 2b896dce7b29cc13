"""Idempotency-Key on the partner API: a request sent again (the answer was lost) gets the first
answer and does nothing twice; the same key for another request is 422; keys are per API key and
kept for 24 hours. On SQLite and PostgreSQL, through the Flask app."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func
from sqlmodel import select

from shared.models import Appointment, IdempotencyKey, LabRequest, OutboxMessage, Patient, Slot
from shared.nhs_number import make_test_number
from tests.conftest import NOW
from tests.factories import make_clinic, make_partner_key, slots_of
from tests.threads import race

DAY = dt.date(2026, 11, 25)


@pytest.fixture
def key(session) -> str:
    return make_partner_key(session)


@pytest.fixture
def slots(session):
    return slots_of(session, make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(10), chairs=2))


def headers(api_key: str, idempotency_key: str | None = None) -> dict[str, str]:
    sent = {"Authorization": f"Bearer {api_key}"}
    if idempotency_key is not None:
        sent["Idempotency-Key"] = idempotency_key
    return sent


def booking_body(slot_id: int, n: int = 1, **patient) -> dict:
    person = {"nhs_number": make_test_number(8100 + n), "given_name": "Priya", "family_name": "Raman",
              "date_of_birth": "1958-07-14", "mobile": "07700 900 321"}
    person.update(patient)
    return {"slot_id": slot_id, "appointment_type": "adult", "patient": {k: v for k, v in person.items() if v}}


def written(session) -> dict[str, int]:
    session.expire_all()
    return {
        "appointments": session.exec(select(func.count()).select_from(Appointment)).one(),
        "patients": session.exec(select(func.count()).select_from(Patient)).one(),
        "messages": session.exec(select(func.count()).select_from(OutboxMessage)).one(),
        "chairs": sum(s.booked for s in session.exec(select(Slot))),
        "keys": session.exec(select(func.count()).select_from(IdempotencyKey)).one(),
    }


def test_a_booking_sent_again_gets_the_first_answer_and_books_once(client, session, key, slots):
    k = str(uuid.uuid4())
    first = client.post("/api/v1/appointments", headers=headers(key, k), json=booking_body(slots[0].id))
    again = client.post("/api/v1/appointments", headers=headers(key, k), json=booking_body(slots[0].id))
    assert first.status_code == 201, first.json
    assert (again.status_code, again.json) == (201, first.json)
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert written(session) == {"appointments": 1, "patients": 1, "messages": 1, "chairs": 1, "keys": 1}


def test_without_an_nhs_number_a_resent_booking_is_still_made_once(client, session, key, slots):
    # No NHS number: every booking is a new patient row, so only the key can tell a resend.
    body = booking_body(slots[0].id, nhs_number=None, postcode="LS6 2AB")
    k = "partner-request-0001"
    answers = [client.post("/api/v1/appointments", headers=headers(key, k), json=body) for _ in range(3)]
    assert {a.status_code for a in answers} == {201}
    assert len({a.json["reference"] for a in answers}) == 1
    assert written(session) == {"appointments": 1, "patients": 1, "messages": 1, "chairs": 1, "keys": 1}


def test_the_same_key_for_a_different_request_is_422_and_changes_nothing(client, session, key, slots):
    k = str(uuid.uuid4())
    assert client.post("/api/v1/appointments", headers=headers(key, k), json=booking_body(slots[0].id)).status_code == 201
    before = written(session)
    other = client.post("/api/v1/appointments", headers=headers(key, k), json=booking_body(slots[1].id, n=2))
    assert other.status_code == 422
    assert other.json["error"] == "idempotency_key_reused" and other.json["message"]
    assert set(other.json) >= {"error", "message", "fields"}
    assert written(session) == before
    # A key names one request on every endpoint: the booking's key cannot cancel it either.
    ref = client.post("/api/v1/appointments", headers=headers(key), json=booking_body(slots[1].id, n=3)).json["reference"]
    cancel = client.post(f"/api/v1/appointments/{ref}/cancel", headers=headers(key, k),
                         json={"date_of_birth": "1958-07-14"})
    assert cancel.status_code == 422 and cancel.json["error"] == "idempotency_key_reused"
    session.expire_all()
    assert session.exec(select(Appointment).where(Appointment.reference == ref)).one().status == "booked"


def test_key_order_and_spacing_of_the_body_do_not_make_it_another_request(client, session, key, slots):
    k = str(uuid.uuid4())
    body = booking_body(slots[0].id)
    first = client.post("/api/v1/appointments", headers=headers(key, k), json=body)
    reordered = dict(reversed(list(body.items())))
    again = client.post("/api/v1/appointments", headers={**headers(key, k), "Content-Type": "application/json"},
                        data=json.dumps(reordered, indent=2))
    assert (again.status_code, again.json) == (201, first.json)


def test_keys_belong_to_their_api_key(client, session, key, slots):
    other = make_partner_key(session, name="another partner")
    k = "order-17"
    one = client.post("/api/v1/appointments", headers=headers(key, k), json=booking_body(slots[0].id, n=1))
    two = client.post("/api/v1/appointments", headers=headers(other, k), json=booking_body(slots[1].id, n=2))
    assert one.status_code == two.status_code == 201
    assert one.json["reference"] != two.json["reference"]
    assert written(session)["appointments"] == 2


def test_an_answer_is_kept_for_24_hours_then_the_key_is_free(client, app, session, key, slots):
    k = str(uuid.uuid4())
    first = client.post("/api/v1/appointments", headers=headers(key, k), json=booking_body(slots[0].id))
    app.extensions["phlebo"].clock = lambda: NOW + dt.timedelta(hours=23, minutes=59)
    assert client.post("/api/v1/appointments", headers=headers(key, k), json=booking_body(slots[0].id)).json == first.json
    app.extensions["phlebo"].clock = lambda: NOW + dt.timedelta(hours=24)
    later = client.post("/api/v1/appointments", headers=headers(key, k), json=booking_body(slots[1].id, n=2))
    assert later.status_code == 201 and later.json["reference"] != first.json["reference"]


def test_a_reschedule_sent_again_after_a_later_change_moves_nothing(client, session, key, slots):
    ref = client.post("/api/v1/appointments", headers=headers(key), json=booking_body(slots[0].id)).json["reference"]
    dob = {"date_of_birth": "1958-07-14"}
    k1 = str(uuid.uuid4())
    first = client.post(f"/api/v1/appointments/{ref}/reschedule", headers=headers(key, k1), json={"slot_id": slots[1].id, **dob})
    assert first.status_code == 200 and first.json["slot_id"] == slots[1].id
    moved = client.post(f"/api/v1/appointments/{ref}/reschedule", headers=headers(key, str(uuid.uuid4())),
                        json={"slot_id": slots[2].id, **dob})
    assert moved.status_code == 200
    late = client.post(f"/api/v1/appointments/{ref}/reschedule", headers=headers(key, k1), json={"slot_id": slots[1].id, **dob})
    assert (late.status_code, late.json) == (200, first.json)  # the first answer, as it was
    session.expire_all()
    assert session.exec(select(Appointment).where(Appointment.reference == ref)).one().slot_id == slots[2].id
    assert [s.booked for s in session.exec(select(Slot).order_by(Slot.starts_at))][:3] == [0, 0, 1]


def test_a_cancel_sent_again_gets_the_first_answer(client, session, key, slots):
    ref = client.post("/api/v1/appointments", headers=headers(key), json=booking_body(slots[0].id)).json["reference"]
    k = str(uuid.uuid4())
    first = client.post(f"/api/v1/appointments/{ref}/cancel", headers=headers(key, k), json={"date_of_birth": "1958-07-14"})
    again = client.post(f"/api/v1/appointments/{ref}/cancel", headers=headers(key, k), json={"date_of_birth": "1958-07-14"})
    assert first.status_code == 200 and first.json["status"] == "cancelled"
    assert (again.status_code, again.json) == (200, first.json)
    assert written(session)["messages"] == 2  # booked + cancelled, not a second "cancelled"


def test_a_test_request_sent_again_is_made_once(client, session, key):
    from booking_web.services.catalogue import seed_catalogue

    seed_catalogue(session=session)
    body = {"nhs_number": make_test_number(8200), "tests": ["FBC", "UE"], "requester": "Dr Example, Leeds GP"}
    k = str(uuid.uuid4())
    first = client.post("/api/v1/requests", headers=headers(key, k), json=body)
    again = client.post("/api/v1/requests", headers=headers(key, k), json=body)
    assert first.status_code == 201 and (again.status_code, again.json) == (201, first.json)
    session.expire_all()
    assert session.exec(select(func.count()).select_from(LabRequest)).one() == 1


def test_a_refused_request_stores_no_answer_and_may_be_sent_again(client, session, key, slots):
    full = slots_of(session, make_clinic(session, day=DAY, start=dt.time(13), end=dt.time(13, 10), chairs=1))[0]
    taken = client.post("/api/v1/appointments", headers=headers(key), json=booking_body(full.id, n=5))
    k = str(uuid.uuid4())
    refused = client.post("/api/v1/appointments", headers=headers(key, k), json=booking_body(full.id, n=6))
    assert refused.status_code == 409 and refused.json["error"] == "slot_full"
    assert written(session)["keys"] == 0
    client.post(f"/api/v1/appointments/{taken.json['reference']}/cancel", headers=headers(key),
                json={"date_of_birth": "1958-07-14"})
    assert client.post("/api/v1/appointments", headers=headers(key, k), json=booking_body(full.id, n=6)).status_code == 201


@pytest.mark.parametrize("bad", ["", " ", "x" * 256, "café", "a\tb"])
def test_an_unusable_key_is_refused_before_anything_is_done(client, session, key, slots, bad):
    resp = client.post("/api/v1/appointments", headers=headers(key, bad), json=booking_body(slots[0].id))
    assert resp.status_code == 422 and resp.json["error"] == "invalid_idempotency_key"
    assert written(session)["appointments"] == 0


def test_simultaneous_resends_of_one_request_book_once(app, engine, session, key, slots):
    """Eight copies of one keyed request at the same moment: the database puts them in order."""
    slot_id = slots[0].id  # plain values only: the test's ORM objects must not cross threads
    session.rollback()  # SQLite: the test's own open transaction would hold the write lock
    k = str(uuid.uuid4())
    clients = [app.test_client() for _ in range(8)]

    def send(i: int) -> object:
        return clients[i].post("/api/v1/appointments", headers=headers(key, k),
                               json=booking_body(slot_id, nhs_number=None, postcode="LS6 2AB"))

    answers = race(8, send)  # fails if one hung; what was raised is among the answers
    assert all(getattr(a, "status_code", None) == 201 for a in answers), answers
    assert len({a.json["reference"] for a in answers}) == 1  # type: ignore[union-attr]
    assert written(session) == {"appointments": 1, "patients": 1, "messages": 1, "chairs": 1, "keys": 1}


def test_the_scheduler_forgets_keys_after_their_24_hours(client, engine, session, settings, key, slots):
    from booking_web.scheduler import JobContext, run_job

    client.post("/api/v1/appointments", headers=headers(key, "old"), json=booking_body(slots[0].id, n=1))
    ctx = JobContext(engine=engine, settings=settings, clock=lambda: NOW + dt.timedelta(hours=23))
    assert run_job(ctx, "forget_old_keys") == 0
    ctx.clock = lambda: NOW + dt.timedelta(hours=24)
    assert run_job(ctx, "forget_old_keys") == 1
    assert written(session)["keys"] == 0


# The POSTs that honour Idempotency-Key another way, or need not: the reason for each.
KEYED_OTHERWISE = {
    "api.kiosk_checkin": "the check-in service keeps the header (or request_id) as its key",
    "api.kiosk_walk_in": "the walk-in service keeps the header (or request_id) as its key, as check-in does",
    "api.kiosk_identify": "finds a booking and changes nothing (its rate-limit count is at least once on purpose)",
}


def test_every_api_post_that_changes_something_honours_an_idempotency_key(app):
    """A new POST in the JSON API must take the key: put @idempotent under @require_key and hand
    keyed(render) to its service (see api/appointments.py), or say here why it need not."""
    posts = {rule.endpoint for rule in app.url_map.iter_rules()
             if rule.rule.startswith("/api/") and "POST" in (rule.methods or ())}
    unkeyed = {endpoint for endpoint in posts - set(KEYED_OTHERWISE)
               if not getattr(app.view_functions[endpoint], "honours_idempotency_key", False)}
    assert posts >= set(KEYED_OTHERWISE) and len(posts) > len(KEYED_OTHERWISE)
    assert unkeyed == set(), unkeyed
