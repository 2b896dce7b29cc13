"""Test requests through the partner API and the services on SQLite and PostgreSQL: the full
request body, the minimal one, placer order numbers, identity checks, the invitation in the
outbox, status with history, cancelling, and the request following its booking."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func
from sqlmodel import select

from booking_web.services import booking, checkin, staff_queue
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.request_links import read_invite_token
from booking_web.services.staff_audit import Actor
from shared.models import (
    Appointment,
    LabRequest,
    OrganisationTestCode,
    OutboxMessage,
    Patient,
    RequestEvent,
    StaffAudit,
)
from shared.nhs_number import make_test_number
from tests.conftest import NOW
from tests.factories import (
    SETUP,
    make_clinic,
    make_organisation,
    make_partner_key,
    make_patient,
    make_site,
    slots_of,
)

TODAY = dt.date(2026, 11, 23)
NHS = make_test_number(4242)


@pytest.fixture
def world(session):
    seed_catalogue(session=session)
    make_organisation(session)
    key = make_partner_key(session)
    return {"Authorization": f"Bearer {key}"}


def full_body(**overrides):  # type: ignore[no-untyped-def]
    body = {
        "nhs_number": NHS, "tests": ["FBC", "UE", "GLU"], "requester": "Dr Ada Example",
        "organisation": "b86001", "given_name": "Margaret", "family_name": "O'Brien",
        "date_of_birth": "1948-03-04", "mobile": "07700 900123", "email": "margaret@example.com",
        "earliest": "2026-11-30", "latest": "2026-12-06", "urgency": "urgent",
        "clinical_details": "Tired all the time; on metformin.",
    }
    body.update(overrides)
    return body


def counts(session):  # type: ignore[no-untyped-def]
    session.expire_all()
    return tuple(session.exec(select(func.count()).select_from(m)).one()
                 for m in (LabRequest, RequestEvent, OutboxMessage, Patient))


def test_a_full_request_is_invited_with_a_link_and_no_personal_details_in_the_message(client, session, world, settings):
    resp = client.post("/api/v1/requests", json=full_body(), headers=world)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["status"] == "invited" and body["urgency"] == "urgent"
    assert [s["status"] for s in body["history"]] == ["waiting", "invited"]
    assert body["history"][1]["detail"] == "by text message and email"
    assert body["fasting"] is True  # GLU needs fasting
    assert [t["code"] for t in body["tests"]] == ["FBC", "UE", "GLU"]
    assert body["organisation"]["ods_code"] == "B86001" and body["nhs_number"].replace(" ", "") == NHS
    assert (body["earliest"], body["latest"], body["booking"], body["tubes"]) == ("2026-11-30", "2026-12-06", None, [])
    messages = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.template, m.channel) for m in messages] == [("invite", "sms"), ("invite", "email")]
    for m in messages:
        text = repr(m.personalisation)
        assert "Margaret" not in text and "O'Brien" not in text and NHS not in text and "1948" not in text
        assert m.personalisation["book_by"] == "Sunday 6 December 2026"
        token = m.personalisation["invite_url"].rsplit("/r/", 1)[1]
        assert read_invite_token(secret=settings.secret_key, token=token, now=NOW) == session.exec(
            select(LabRequest.id)).one()
    # The link stops working when the window ends (midnight London time after the last day).
    with pytest.raises(Exception, match="invitation_link_bad"):
        read_invite_token(secret=settings.secret_key, token=token, now=dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC))


def test_todays_minimal_body_keeps_working_and_invites_nobody(client, session, world):
    resp = client.post("/api/v1/requests", headers=world,
                       json={"nhs_number": NHS, "tests": ["FBC"], "requester": "Dr A"})
    assert resp.status_code == 201 and resp.json["request_number"].startswith("RQ")
    assert resp.json["status"] == "waiting" and resp.json["patient"] is None
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0


def test_a_repeat_of_the_same_placer_order_is_the_same_request(client, session, world):
    first = client.post("/api/v1/requests", json=full_body(placer_order_number="ICE-0001"), headers=world)
    before = counts(session)
    again = client.post("/api/v1/requests", json=full_body(placer_order_number="ICE-0001"), headers=world)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["request_number"] == first.json["request_number"] and counts(session) == before
    clash = client.post("/api/v1/requests", headers=world,
                        json=full_body(placer_order_number="ICE-0001", nhs_number=make_test_number(7)))
    assert clash.status_code == 409 and clash.json["error"] == "placer_conflict" and counts(session) == before
    no_org = client.post("/api/v1/requests", headers=world,
                         json={"nhs_number": NHS, "tests": ["FBC"], "requester": "Dr A", "placer_order_number": "X1"})
    assert no_org.status_code == 422 and "organisation" in no_org.json["fields"]


def test_a_different_date_of_birth_or_name_is_refused_and_never_merged(client, session, world):
    assert client.post("/api/v1/requests", json=full_body(), headers=world).status_code == 201
    before = counts(session)
    wrong_dob = client.post("/api/v1/requests", json=full_body(date_of_birth="1948-04-03"), headers=world)
    assert wrong_dob.status_code == 422 and wrong_dob.json["error"] == "identity_mismatch"
    assert "date_of_birth" in wrong_dob.json["fields"] and "never" in wrong_dob.json["message"]
    wrong_name = client.post("/api/v1/requests", json=full_body(given_name="Peggy"), headers=world)
    assert wrong_name.status_code == 422 and wrong_name.json["error"] == "identity_mismatch"
    same_name_typed_differently = client.post("/api/v1/requests", headers=world,
                                              json=full_body(given_name="MARGARET", family_name="obrien"))
    assert same_name_typed_differently.status_code == 201
    session.expire_all()
    assert counts(session)[0] == before[0] + 1 and counts(session)[3] == before[3] == 1
    patient = session.exec(select(Patient)).one()
    assert (patient.given_name, patient.family_name, patient.date_of_birth) == ("Margaret", "O'Brien",
                                                                                dt.date(1948, 3, 4))


def test_every_bad_field_is_named_and_nothing_is_stored(client, session, world):
    resp = client.post("/api/v1/requests", headers=world, json={
        "nhs_number": "999 123 4560", "tests": ["FBC", "NOPE"], "requester": "", "organisation": "ZZZ999",
        "earliest": "2026-11-01", "latest": "yesterday", "urgency": "soon", "clinical_details": "x" * 501,
        "date_of_birth": "2030-01-01", "given_name": "A1", "family_name": "", "mobile": "0113 496 0000",
        "email": "nope", "fasting": "yes"})
    assert resp.status_code == 422
    assert set(resp.json["fields"]) >= {"nhs_number", "tests", "requester", "organisation", "latest", "urgency",
                                        "clinical_details", "date_of_birth", "given_name", "family_name",
                                        "mobile", "email", "fasting"}
    window = client.post("/api/v1/requests", headers=world, json=full_body(earliest="2026-12-06", latest="2026-11-30"))
    assert window.status_code == 422 and "latest" in window.json["fields"]
    contact_without_window = client.post("/api/v1/requests", headers=world,
                                         json=full_body(earliest=None, latest=None))
    assert contact_without_window.status_code == 422 and "earliest" in contact_without_window.json["fields"]
    assert counts(session) == (0, 0, 0, 0)


def test_an_organisations_own_codes_are_mapped_to_the_catalogue(client, session, world):
    from shared.models import Organisation

    org = session.exec(select(Organisation)).one()
    session.add(OrganisationTestCode(organisation_id=org.id, external_code="ICE123", test_code="FBC"))
    session.commit()
    resp = client.post("/api/v1/requests", headers=world, json=full_body(tests=["ice123", "UE"]))
    assert resp.status_code == 201 and [t["code"] for t in resp.json["tests"]] == ["FBC", "UE"]


def test_another_keys_request_is_404_and_looks_are_audited(client, session, world):
    number = client.post("/api/v1/requests", json=full_body(), headers=world).json["request_number"]
    other = {"Authorization": f"Bearer {make_partner_key(session, 'other')}"}
    assert client.get(f"/api/v1/requests/{number}", headers=other).status_code == 404
    assert client.post(f"/api/v1/requests/{number}/cancel", json={"reason": "x"}, headers=other).status_code == 404
    assert client.get("/api/v1/requests/RQ99999999", headers=world).status_code == 404
    got = client.get(f"/api/v1/requests/{number.lower()}", headers=world)
    assert got.status_code == 200 and got.json["request_number"] == number
    # The request's own rows (the fixture's set-up is audited too): the other key's looks and the
    # unknown number wrote none.
    actions = [a.action for a in session.exec(select(StaffAudit).order_by(StaffAudit.id))]
    assert [a for a in actions if a.startswith("request_")] == ["request_create", "request_view"]


def _book(session, settings, slot, n_patient=None, request_number=None, type_code="fasting"):  # type: ignore[no-untyped-def]
    patient = n_patient or make_patient(0, nhs_number=NHS, given_name="Margaret", family_name="O'Brien",
                                        date_of_birth=dt.date(1948, 3, 4))
    return booking.book_appointment(session=session, slot_id=slot.id, type_code=type_code, patient=patient,
                                    now=NOW, settings=dataclasses.replace(settings, min_notice_minutes=0),
                                    request_number=request_number).appointment


def test_the_request_follows_its_booking_to_collection(client, app, session, settings, world):
    number = client.post("/api/v1/requests", json=full_body(earliest="2026-11-23"), headers=world).json[
        "request_number"]
    site = make_site(session)
    clinic = make_clinic(session, site=site, day=TODAY, start=dt.time(9), end=dt.time(10))
    appt = _book(session, settings, slots_of(session, clinic)[0])  # no number: linked by NHS number + DOB
    assert appt.request_number == number
    at_nine = dt.datetime(2026, 11, 23, 8, 55, tzinfo=dt.UTC)
    checkin.check_in(session=session, site_id=site.id, api_key_id=_kiosk(session, site.id), reference=appt.reference,
                     date_of_birth=dt.date(1948, 3, 4), request_id="6f1c2f7e-2b7a-4b8e-9a59-6f7d3b0c1d2e",
                     now=at_nine, settings=settings)
    staff_queue.mark_collected(session=session, appointment_id=appt.id, site_id=site.id,
                               actor=Actor(None, "pat", "Pat Phlebotomist"), now=at_nine + dt.timedelta(minutes=7))
    body = client.get(f"/api/v1/requests/{number}", headers=world).json
    assert [s["status"] for s in body["history"]] == ["waiting", "invited", "booked", "checked_in", "collected"]
    assert body["status"] == "collected" and body["booking"]["reference"] == appt.reference
    assert [t["container"] for t in body["tubes"]] == ["Serum gel (SST)", "EDTA", "Fluoride oxalate"]
    assert all(t["specimen_id"].isdigit() for t in body["tubes"])


def _kiosk(session, site_id: int):  # type: ignore[no-untyped-def]
    """A kiosk key's id at a site."""
    from booking_web.services.accounts import create_api_key, key_for_token
    from shared.models import KeyKind

    token = create_api_key(session=session, actor=SETUP, name="kiosk", kind=KeyKind.KIOSK, site_id=site_id, now=NOW)
    return key_for_token(session=session, token=token).id


def test_a_booking_outside_the_window_or_for_a_closed_request_is_refused(client, session, settings, world):
    number = client.post("/api/v1/requests", json=full_body(), headers=world).json["request_number"]
    clinic = make_clinic(session, day=dt.date(2026, 11, 25), start=dt.time(9), end=dt.time(10))
    before = counts(session)
    with pytest.raises(Exception) as refused:
        _book(session, settings, slots_of(session, clinic)[0], request_number=number)
    assert getattr(refused.value, "code", "") == "request_window" and counts(session) == before
    # Without the number the booking is made, but not linked: no open request fits the date.
    appt = _book(session, settings, slots_of(session, clinic)[1])
    assert appt.request_number is None
    in_window = make_clinic(session, day=dt.date(2026, 12, 1), start=dt.time(9), end=dt.time(10))
    first = _book(session, settings, slots_of(session, in_window)[0], request_number=number)
    assert first.request_number == number
    with pytest.raises(Exception) as taken:
        _book(session, settings, slots_of(session, in_window)[1], request_number=number)
    assert getattr(taken.value, "code", "") == "request_booked"
    # Moving it outside the window is refused; cancelling it opens the request again.
    with pytest.raises(Exception) as moved:
        booking.reschedule_appointment(session=session, reference=first.reference, date_of_birth=dt.date(1948, 3, 4),
                                       new_slot_id=slots_of(session, clinic)[2].id, now=NOW, settings=settings,
                                       type_code="fasting")
    assert getattr(moved.value, "code", "") == "request_window"
    booking.cancel_appointment(session=session, reference=first.reference, date_of_birth=dt.date(1948, 3, 4), now=NOW)
    body = client.get(f"/api/v1/requests/{number}", headers=world).json
    assert [s["status"] for s in body["history"]][-2:] == ["booked", "waiting"] and body["status"] == "waiting"


def test_a_minimal_request_is_never_linked_on_nhs_number_alone(client, session, settings, world):
    client.post("/api/v1/requests", headers=world, json={"nhs_number": NHS, "tests": ["FBC"], "requester": "Dr A"})
    clinic = make_clinic(session, day=dt.date(2026, 11, 25), start=dt.time(9), end=dt.time(10))
    assert _book(session, settings, slots_of(session, clinic)[0]).request_number is None


def test_the_oldest_fitting_open_request_is_linked(client, session, settings, world):
    later = client.post("/api/v1/requests", headers=world, json=full_body(earliest="2026-12-01", latest="2026-12-10"))
    older_elsewhere = client.post("/api/v1/requests", headers=world,
                                  json=full_body(earliest="2026-11-24", latest="2026-11-26"))
    assert later.status_code == older_elsewhere.status_code == 201
    clinic = make_clinic(session, day=dt.date(2026, 12, 2), start=dt.time(9), end=dt.time(10))
    assert _book(session, settings, slots_of(session, clinic)[0]).request_number == later.json["request_number"]


def test_cancelling_an_open_or_booked_request(client, session, settings, world):
    open_one = client.post("/api/v1/requests", json=full_body(), headers=world).json["request_number"]
    resp = client.post(f"/api/v1/requests/{open_one}/cancel", json={"reason": ""}, headers=world)
    assert resp.status_code == 422 and "reason" in resp.json["fields"]
    resp = client.post(f"/api/v1/requests/{open_one}/cancel", json={"reason": "Done at hospital"}, headers=world)
    assert resp.status_code == 200 and resp.json["status"] == "cancelled"
    assert resp.json["history"][-1]["detail"] == "Done at hospital"
    again = client.post(f"/api/v1/requests/{open_one}/cancel", json={"reason": "twice"}, headers=world)
    assert again.status_code == 200 and len(again.json["history"]) == len(resp.json["history"])
    templates = [m.template for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert templates == ["invite", "invite", "request_cancelled", "request_cancelled"]
    # The invitations not yet sent are withdrawn.
    assert {m.status for m in session.exec(select(OutboxMessage).where(OutboxMessage.template == "invite"))} == {
        "skipped"}
    booked = client.post("/api/v1/requests", json=full_body(placer_order_number="P2"), headers=world).json[
        "request_number"]
    clinic = make_clinic(session, day=dt.date(2026, 12, 1), start=dt.time(9), end=dt.time(10))
    appt = _book(session, settings, slots_of(session, clinic)[0], request_number=booked)
    resp = client.post(f"/api/v1/requests/{booked}/cancel", json={"reason": "Not needed"}, headers=world)
    assert resp.status_code == 200 and resp.json["status"] == "cancelled"
    session.expire_all()
    kept = session.get(Appointment, appt.id)
    assert kept.status == "booked" and kept.request_number is None  # the booking stays, without the request
    told = session.exec(select(OutboxMessage).where(OutboxMessage.template == "request_cancelled_booked")).all()
    assert len(told) == 2 and told[0].personalisation["reference"]


def test_a_collected_request_cannot_be_cancelled(client, session, world):
    number = client.post("/api/v1/requests", json=full_body(), headers=world).json["request_number"]
    session.exec(select(LabRequest)).one().status = "collected"
    session.commit()
    resp = client.post(f"/api/v1/requests/{number}/cancel", json={"reason": "x"}, headers=world)
    assert resp.status_code == 409 and resp.json["error"] == "request_finished"


def test_closing_the_clinic_day_opens_the_request_again(client, session, settings, world):
    from booking_web.services.closures import close_day

    number = client.post("/api/v1/requests", json=full_body(), headers=world).json["request_number"]
    clinic = make_clinic(session, day=dt.date(2026, 12, 1), start=dt.time(9), end=dt.time(10))
    _book(session, settings, slots_of(session, clinic)[0], request_number=number)
    close_day(session=session, site_id=clinic.site_id, day=dt.date(2026, 12, 1), reason="Staff illness",
              actor=Actor(None, "ada", "Ada Admin"), now=NOW)
    body = client.get(f"/api/v1/requests/{number}", headers=world).json
    assert body["status"] == "waiting" and body["history"][-1]["detail"] == "clinic closed: Staff illness"


def test_a_request_and_its_cancel_sent_again_with_one_key_are_made_once(client, session, world):
    keyed = {**world, "Idempotency-Key": "3f1c9a2e-5d7b-4c11-9a0e-000000000012"}
    first = client.post("/api/v1/requests", json=full_body(), headers=keyed)
    again = client.post("/api/v1/requests", json=full_body(), headers=keyed)
    assert first.status_code == again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json == first.json and counts(session)[0] == 1
    number = first.json["request_number"]
    cancel_key = {**world, "Idempotency-Key": "3f1c9a2e-5d7b-4c11-9a0e-000000000013"}
    cancelled = client.post(f"/api/v1/requests/{number}/cancel", json={"reason": "Done at hospital"},
                            headers=cancel_key)
    replayed = client.post(f"/api/v1/requests/{number}/cancel", json={"reason": "Done at hospital"},
                           headers=cancel_key)
    assert cancelled.status_code == replayed.status_code == 200 and replayed.json == cancelled.json
    assert replayed.headers.get("Idempotent-Replayed") == "true" and cancelled.json["status"] == "cancelled"
    other = client.post(f"/api/v1/requests/{number}/cancel", json={"reason": "Another reason"}, headers=cancel_key)
    assert other.status_code == 422  # the same key for a different request
