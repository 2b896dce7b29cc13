"""Walk-ins at the kiosk (POST /api/v1/kiosk/walk-in): a patient with an open test request and no
booking is checked in into the same queue with a number and labels; refusals change nothing and
never reveal whether someone else has a request; the cap holds under simultaneous walk-ins;
the queue order rule (README "Queue order"). Both engines (the engine fixture)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import event
from sqlmodel import Session, func, select

from booking_web.services.accounts import key_for_token
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import create_request
from booking_web.services.staff_audit import Actor
from booking_web.services.staff_queue import call_next
from booking_web.services.walk_ins import WalkInIdentity, set_walk_ins, walk_in
from shared.errors import BookingError
from shared.models import Appointment, LabRequest, Patient, RequestEvent, WalkInCount
from shared.timeutil import local_to_utc
from tests.conftest import NOW
from tests.factories import SETUP, SETUP_AT, make_clinic, make_patient, make_site
from tests.integration.test_checkin import DAY, DOB, at, book, checkin, kiosk_key
from tests.threads import race


def request_for(session: Session, n: int, *, urgency: str = "routine") -> str:
    """An open request for patient n that names them (so their record is linked to it)."""
    seed_catalogue(session=session)
    p = make_patient(n)
    return create_request(
        session=session, nhs_number=p.nhs_number, tests=["FBC", "UE"], requester="Dr Example",
        given_name=p.given_name, family_name=family(n), date_of_birth=DOB, urgency=urgency,
        api_key_id=None, now=NOW,
    ).request_number


def family(n: int) -> str:
    """A last name for walk-in patient n (names hold no digits)."""
    return "Walker-" + "ABCDEFGHJKLMNPQRST"[n]


def world(session: Session, *, cap: int | None = 4, per: str = "hour"):  # type: ignore[no-untyped-def]
    site = make_site(session, name="Leeds General")
    clinic = make_clinic(session, site=site, day=DAY, start=dt.time(9), end=dt.time(12), chairs=2)
    if cap is not None:
        set_walk_ins(session=session, actor=SETUP, now=SETUP_AT, site_id=site.id, cap=cap, per=per)
    return site, clinic, kiosk_key(session, site)


def walk(client, headers, n: int = 0, request_id: str | None = None, **overrides):  # type: ignore[no-untyped-def]
    body = {"nhs_number": make_patient(n).nhs_number, "date_of_birth": DOB,
            "request_id": request_id or str(uuid.uuid4())}
    body.update(overrides)
    return client.post("/api/v1/kiosk/walk-in", json={k: v for k, v in body.items() if v is not None},
                       headers=headers)


def written(session: Session) -> tuple[int, int, list[str], int]:
    session.expire_all()
    return (
        session.exec(select(func.count()).select_from(Appointment)).one(),
        session.exec(select(func.count()).select_from(RequestEvent)).one(),
        sorted(r.status for r in session.exec(select(LabRequest))),
        sum(c.taken for c in session.exec(select(WalkInCount))),
    )


def test_a_walk_in_with_an_open_request_gets_a_number_and_labels_for_its_tests(client, app, session):
    _site, _clinic, kiosk = world(session)
    number = request_for(session, 0)
    at(app, 9, 20)
    resp = walk(client, kiosk)
    assert resp.status_code == 200, resp.json
    assert resp.json["queue_number"] == 1 and resp.json["print_job"]["id"] is not None
    tests = sorted(t for label in resp.json["labels"] for t in label["tests"])
    assert {"FBC", "UE"} <= set(tests)
    appt = session.exec(select(Appointment)).one()
    assert appt.walk_in and appt.channel == "kiosk" and appt.status == "checked_in"
    assert appt.request_number == number and appt.starts_at == local_to_utc(DAY, dt.time(9, 20))
    req = session.exec(select(LabRequest)).one()
    assert req.status == "checked_in"
    steps = [(e.status, e.detail) for e in session.exec(select(RequestEvent).order_by(RequestEvent.id))]
    assert [s for s, _ in steps] == ["waiting", "booked", "checked_in"]
    assert "walk-in" in steps[1][1] and "queue number 1" in steps[2][1]


def test_name_postcode_and_date_of_birth_find_the_patient_too(client, app, session):
    _site, _clinic, kiosk = world(session)
    request_for(session, 0)
    patient = session.exec(select(Patient)).one()
    patient.postcode = "LS1 4AB"
    session.add(patient)
    session.commit()
    at(app, 9, 20)
    resp = walk(client, kiosk, nhs_number=None, given_name="  jane ", family_name="walker a",
                postcode="ls14ab")
    assert resp.status_code == 200, resp.json
    assert resp.json["queue_number"] == 1


def test_no_request_wrong_birth_date_and_unknown_person_read_the_same_and_change_nothing(client, app, session):
    _site, _clinic, kiosk = world(session)
    request_for(session, 0)
    at(app, 9, 20)
    before = written(session)
    answers = [
        walk(client, kiosk, date_of_birth="1970-05-18"),  # the right NHS number, another birthday
        walk(client, kiosk, n=3),  # no such patient
        walk(client, kiosk, nhs_number=None, given_name="Jane", family_name="Walker-A", postcode="LS1 4AB"),
    ]
    assert {r.status_code for r in answers} == {409}
    assert {r.json["error"] for r in answers} == {"no_request"}
    assert len({r.json["message"] for r in answers}) == 1
    assert "reception" in answers[0].json["message"] and "online" in answers[0].json["message"]
    assert written(session) == before


def test_a_site_that_takes_no_walk_ins_says_so_and_changes_nothing(client, app, session):
    _site, _clinic, kiosk = world(session, cap=None)
    request_for(session, 0)
    at(app, 9, 20)
    before = written(session)
    resp = walk(client, kiosk)
    assert resp.status_code == 409 and resp.json["error"] == "no_walk_ins"
    assert "book online" in resp.json["message"]
    # Where to book, for the kiosk's own words: the public address as a patient types it.
    public = app.extensions["phlebo"].settings.public_url
    assert resp.json["book_online_at"] == public.split("://", 1)[1] and "://" in public
    assert written(session) == before


def test_outside_the_clinic_hours_the_kiosk_says_there_is_no_clinic(client, app, session):
    _site, _clinic, kiosk = world(session)
    request_for(session, 0)
    at(app, 12, 30)
    before = written(session)
    resp = walk(client, kiosk)
    assert resp.status_code == 409 and resp.json["error"] == "no_clinic"
    assert written(session) == before


def test_the_cap_per_hour_refuses_the_next_walk_in_and_a_new_hour_takes_more(client, app, session):
    _site, _clinic, kiosk = world(session, cap=1, per="hour")
    for n in range(3):
        request_for(session, n)
    at(app, 9, 20)
    assert walk(client, kiosk, n=0).status_code == 200
    before = written(session)
    full = walk(client, kiosk, n=1)
    assert full.status_code == 409 and full.json["error"] == "walk_ins_full"
    assert written(session) == before  # the request is still open, nothing was counted
    at(app, 10, 5)
    assert walk(client, kiosk, n=1).status_code == 200


def test_the_cap_per_session_counts_the_whole_session(client, app, session):
    _site, _clinic, kiosk = world(session, cap=1, per="session")
    for n in range(2):
        request_for(session, n)
    at(app, 9, 20)
    assert walk(client, kiosk, n=0).status_code == 200
    at(app, 11, 5)
    assert walk(client, kiosk, n=1).json["error"] == "walk_ins_full"


def test_a_resend_gets_the_same_number_and_makes_nothing_new(client, app, session):
    _site, _clinic, kiosk = world(session)
    request_for(session, 0)
    at(app, 9, 20)
    rid = str(uuid.uuid4())
    first = walk(client, kiosk, request_id=rid)
    again = walk(client, kiosk, request_id=rid)
    assert first.status_code == again.status_code == 200
    assert again.json["queue_number"] == first.json["queue_number"] == 1
    assert session.exec(select(func.count()).select_from(Appointment)).one() == 1
    keyed = {**kiosk, "Idempotency-Key": "walk-in-once-1"}
    request_for(session, 1)
    one = walk(client, keyed, n=1)
    two = walk(client, keyed, n=1)
    assert one.json["queue_number"] == two.json["queue_number"] == 2
    assert session.exec(select(func.count()).select_from(Appointment)).one() == 2


def test_bad_input_is_422_with_the_field_named(client, app, session):
    _site, _clinic, kiosk = world(session)
    at(app, 9, 20)
    assert walk(client, kiosk, nhs_number="999 123 4560").json["fields"].keys() == {"nhs_number"}
    assert "given_name" in walk(client, kiosk, nhs_number=None).json["fields"]
    assert walk(client, kiosk, date_of_birth="not a date").status_code == 422
    assert walk(client, kiosk, request_id="nope").json["fields"].keys() == {"request_id"}


def test_simultaneous_walk_ins_never_pass_the_cap(engine, session, settings):
    site, _clinic, kiosk = world(session, cap=3)
    n = 8
    for i in range(n):
        request_for(session, i)
    key_id = key_for_token(session=session, token=kiosk["Authorization"][7:]).id
    when = local_to_utc(DAY, dt.time(9, 20))

    def one(i: int):  # type: ignore[no-untyped-def]
        with Session(engine, expire_on_commit=False) as own:
            return walk_in(session=own, site_id=site.id, api_key_id=key_id,
                           who=WalkInIdentity(dt.date(1970, 5, 17), nhs_number=make_patient(i).nhs_number),
                           request_id=str(uuid.uuid4()), now=when, settings=settings)

    results = race(n, one)
    wins = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, BookingError)]
    assert len(wins) == 3 and len(refused) == n - 3, results
    assert {r.code for r in refused} == {"walk_ins_full"}
    assert sorted(w.queue_number for w in wins) == [1, 2, 3]
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Appointment)).one() == 3
    assert sorted(r.status for r in session.exec(select(LabRequest))).count("checked_in") == 3


def test_queue_order_urgent_first_then_booked_by_time_with_walk_ins_by_arrival(client, app, session, settings):
    site, clinic, kiosk = world(session)
    b910 = book(session, settings, clinic, slot=1, n=10)  # 09:10
    b900 = book(session, settings, clinic, slot=0, n=11)  # 09:00
    request_for(session, 0)
    urgent_number = request_for(session, 1, urgency="urgent")
    at(app, 8, 55)
    assert checkin(client, kiosk, b910.reference).status_code == 200  # number 1, booked 09:10
    assert checkin(client, kiosk, b900.reference).status_code == 200  # number 2, booked 09:00
    at(app, 9, 5)
    assert walk(client, kiosk, n=0).json["queue_number"] == 3  # arrived 09:05
    at(app, 9, 30)
    assert walk(client, kiosk, n=1).json["queue_number"] == 4  # arrived 09:30, urgent request
    actor = Actor(user_id=None, username="phleb", display_name="Phlebotomist")
    called = []
    session.expire_all()  # the bookings above were read before the kiosk checked them in
    while (row := call_next(session=session, site_id=site.id, day=DAY, actor=actor,
                            now=local_to_utc(DAY, dt.time(9, 40)))) is not None:
        called.append(row.queue_number)
    assert called == [4, 2, 3, 1], urgent_number


def _walk_in_on_own_session(engine, settings, site_id, key_id, rid, when):  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as own:
        return walk_in(session=own, site_id=site_id, api_key_id=key_id,
                       who=WalkInIdentity(dt.date(1970, 5, 17), nhs_number=make_patient(0).nhs_number),
                       request_id=rid, now=when, settings=settings)


def test_resends_racing_their_original_all_get_its_number(engine, session, settings):
    site, _clinic, kiosk = world(session, cap=3)
    request_for(session, 0)
    key_id = key_for_token(session=session, token=kiosk["Authorization"][7:]).id
    rid, when = str(uuid.uuid4()), local_to_utc(DAY, dt.time(9, 20))
    results = race(6, lambda i: _walk_in_on_own_session(engine, settings, site.id, key_id, rid, when))
    assert [r for r in results if isinstance(r, Exception)] == []
    assert {r.queue_number for r in results} == {1}
    assert written(session)[0] == 1


def test_a_resend_whose_original_commits_while_it_works_gets_the_same_number(engine, session, settings):
    """The resend finds no key, then its original commits, then the resend finds the request
    already claimed: it must answer with the original's number, not 'no request'."""
    site, _clinic, kiosk = world(session, cap=3)
    request_for(session, 0)
    key_id = key_for_token(session=session, token=kiosk["Authorization"][7:]).id
    rid, when = str(uuid.uuid4()), local_to_utc(DAY, dt.time(9, 20))
    firsts = []

    def original_commits_now(_session) -> None:  # type: ignore[no-untyped-def]
        firsts.append(_walk_in_on_own_session(engine, settings, site.id, key_id, rid, when))

    with Session(engine, expire_on_commit=False) as resend:
        event.listen(resend, "after_rollback", original_commits_now, once=True)  # the key lookup's
        again = walk_in(session=resend, site_id=site.id, api_key_id=key_id,
                        who=WalkInIdentity(dt.date(1970, 5, 17), nhs_number=make_patient(0).nhs_number),
                        request_id=rid, now=when, settings=settings)
    [first] = firsts
    assert first.queue_number == again.queue_number == 1
    assert [label.specimen_id for label in again.labels] == [label.specimen_id for label in first.labels]
    assert written(session)[0] == 1
