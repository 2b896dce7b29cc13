"""Kiosk check-in over the JSON API on SQLite and PostgreSQL: identify, check in, print results,
and every refusal the kiosk must show."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from sqlmodel import Session, select

from booking_web.services.accounts import create_api_key
from booking_web.services.booking import (
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
)
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import create_request
from booking_web.services.qr import make_qr_payload
from shared.config import Settings
from shared.models import (
    Appointment,
    ClinicSession,
    IdempotencyKey,
    KeyKind,
    PrintJob,
    PrintJobLabel,
    Site,
)
from shared.timeutil import local_to_utc
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_partner_key, make_patient, make_site, slots_of

DAY = dt.date(2026, 11, 23)  # NOW's London day
DOB = "1970-05-17"


def at(app, hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:  # type: ignore[no-untyped-def]
    """Move the app's clock to a London wall-clock time."""
    instant = local_to_utc(day, dt.time(hour, minute))
    app.extensions["phlebo"].clock = lambda: instant
    return instant


def kiosk_key(session: Session, site: Site) -> dict[str, str]:
    """Authorization headers for a kiosk at a site."""
    key = create_api_key(session=session, actor=SETUP,
                         name=f"Kiosk {site.name}", kind=KeyKind.KIOSK, site_id=site.id, now=NOW
    )
    return {"Authorization": f"Bearer {key}"}


def book(
    session: Session,
    settings: Settings,
    clinic: ClinicSession,
    *,
    slot: int = 0,
    n: int = 0,
    request_number: str | None = None,
) -> Appointment:
    """Book patient n into a clinic's slot (no minimum notice, so today's clinic is bookable)."""
    quick = dataclasses.replace(settings, min_notice_minutes=0)
    return book_appointment(
        session=session,
        slot_id=slots_of(session, clinic)[slot].id,
        type_code="adult",
        patient=make_patient(n),
        now=NOW,
        settings=quick,
        request_number=request_number,
    ).appointment


def six_test_request(session: Session, n: int = 0) -> str:
    """A request for FBC, UE, LFT, GLU, INR and group and save for patient n."""
    seed_catalogue(session=session)
    row = create_request(
        session=session,
        nhs_number=make_patient(n).nhs_number,
        tests=["FBC", "UE", "LFT", "GLU", "INR", "GS"],
        requester="Dr Example",
        api_key_id=None,
        now=NOW,
    )
    return row.request_number


@pytest.fixture
def site(session: Session) -> Site:
    return make_site(session, name="Leeds General")


@pytest.fixture
def clinic(session: Session, site: Site) -> ClinicSession:
    return make_clinic(session, site=site, day=DAY, start=dt.time(9), end=dt.time(12), chairs=3)


@pytest.fixture
def kiosk(session: Session, site: Site) -> dict[str, str]:
    return kiosk_key(session, site)


def identify(client, headers, **body):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/kiosk/identify", json=body, headers=headers)


def checkin(client, headers, reference, dob=DOB, request_id=None):  # type: ignore[no-untyped-def]
    body = {
        "reference": reference,
        "date_of_birth": dob,
        "request_id": str(uuid.uuid4()) if request_id is None else request_id,
    }
    return client.post("/api/v1/kiosk/checkin", json=body, headers=headers)


def report(client, headers, job_id, outcomes, printer_status="ok"):  # type: ignore[no-untyped-def]
    results = [{"specimen_id": sid, "outcome": o} for sid, o in outcomes.items()]
    return client.post(
        f"/api/v1/kiosk/print-jobs/{job_id}",
        headers=headers,
        json={"results": results, "printer_status": printer_status, "detail": "test"},
    )


# --- status and identify ---------------------------------------------------------------------


def test_status_names_the_kiosks_site(client, kiosk, site):
    resp = client.get("/api/v1/kiosk/status", headers=kiosk)
    assert resp.status_code == 200
    assert resp.json["site_id"] == site.id and resp.json["site_name"] == "Leeds General"
    assert resp.json["server_time"] == "2026-11-23T08:00:00+00:00"


def test_identify_by_reference_shows_the_least_needed(
    client, app, session, settings, clinic, kiosk
):
    appt = book(session, settings, clinic, slot=3)
    at(app, 8, 55)
    resp = identify(client, kiosk, reference=appt.reference, date_of_birth=DOB)
    assert resp.status_code == 200, resp.json
    assert resp.json == {
        "reference": appt.reference,
        "masked_name": "J*** T**********",
        "starts_at": "2026-11-23T09:30:00+00:00",
        "local_time": "9:30am",  # the 12-hour style of the web and the letter
        "appointment_type": "Adult blood test",
        "site_name": "Leeds General",
    }
    assert "Testperson0" not in resp.text and "1970" not in resp.text


def test_summer_times_carry_the_bst_offset(client, app, session, settings, site, kiosk):
    day = dt.date(2027, 6, 2)
    summer = make_clinic(session, site=site, day=day, start=dt.time(9), end=dt.time(10))
    quick = dataclasses.replace(settings, min_notice_minutes=0)
    appt = book_appointment(
        session=session,
        slot_id=slots_of(session, summer)[0].id,
        type_code="adult",
        patient=make_patient(),
        now=dt.datetime(2027, 6, 1, tzinfo=dt.UTC),
        settings=quick,
    ).appointment
    at(app, 8, 30, day=day)
    resp = identify(client, kiosk, reference=appt.reference, date_of_birth=DOB)
    assert (
        resp.json["starts_at"] == "2027-06-02T09:00:00+01:00" and resp.json["local_time"] == "9:00am"
    )


def test_wrong_date_of_birth_looks_exactly_like_an_unknown_reference(
    client, app, session, settings, clinic, kiosk
):
    appt = book(session, settings, clinic)
    at(app, 8, 55)
    wrong_dob = identify(client, kiosk, reference=appt.reference, date_of_birth="1970-05-18")
    unknown = identify(client, kiosk, reference="ABCDEFGHJ", date_of_birth=DOB)
    assert wrong_dob.status_code == unknown.status_code == 404
    assert wrong_dob.json == unknown.json and wrong_dob.json["error"] == "not_found"
    wrong_checkin = checkin(client, kiosk, appt.reference, dob="1970-05-18")
    assert wrong_checkin.status_code == 404 and wrong_checkin.json == unknown.json


def test_identify_by_qr(client, app, session, settings, clinic, kiosk):
    appt = book(session, settings, clinic)
    at(app, 8, 55)
    qr = make_qr_payload(secret=settings.secret_key, appointment=appt)
    resp = identify(client, kiosk, qr=qr, date_of_birth=DOB)
    assert resp.status_code == 200 and resp.json["reference"] == appt.reference
    # The QR code alone is not enough: the date of birth must be entered too.
    assert identify(client, kiosk, qr=qr, date_of_birth="1980-01-01").status_code == 404
    assert identify(client, kiosk, qr=qr).status_code == 422


def test_forged_altered_and_unreadable_qr_codes_are_refused(
    client, app, session, settings, clinic, kiosk
):
    appt = book(session, settings, clinic)
    at(app, 8, 55)
    good = make_qr_payload(secret=settings.secret_key, appointment=appt)
    forged = make_qr_payload(secret="someone-elses-secret", appointment=appt)
    altered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for text in (forged, altered, "hello", "PHLEBO1.", "x" * 600):
        resp = identify(client, kiosk, qr=text, date_of_birth=DOB)
        assert resp.status_code == 400 and resp.json["error"] == "invalid_qr", text
        assert "reception" in resp.json["message"]


def test_qr_for_an_older_version_of_the_booking_is_refused(
    client, app, session, settings, clinic, kiosk
):
    appt = book(session, settings, clinic)
    old_qr = make_qr_payload(secret=settings.secret_key, appointment=appt)
    reschedule_appointment(
        session=session,
        reference=appt.reference,
        date_of_birth=dt.date(1970, 5, 17),
        new_slot_id=slots_of(session, clinic)[2].id,
        now=NOW,
        settings=dataclasses.replace(settings, min_notice_minutes=0),
    )
    at(app, 8, 55)
    resp = identify(client, kiosk, qr=old_qr, date_of_birth=DOB)
    assert resp.status_code == 400 and resp.json["error"] == "invalid_qr"
    session.refresh(appt)
    new_qr = make_qr_payload(secret=settings.secret_key, appointment=appt)
    assert identify(client, kiosk, qr=new_qr, date_of_birth=DOB).status_code == 200


def test_qr_for_another_day_or_site_is_refused(client, app, session, settings, site, clinic, kiosk):
    tomorrow = make_clinic(session, site=site, day=DAY + dt.timedelta(days=1))
    other = make_clinic(session, site=make_site(session, name="Seacroft"), day=DAY)
    later = book(session, settings, tomorrow, n=1)
    elsewhere = book(session, settings, other, n=2)
    at(app, 8, 55)
    resp = identify(
        client,
        kiosk,
        qr=make_qr_payload(secret=settings.secret_key, appointment=later),
        date_of_birth=DOB,
    )
    assert resp.status_code == 409 and resp.json["error"] == "wrong_day"
    # The kiosk says which day: the booking's start, London time (its words are the kiosk's).
    assert resp.json["starts_at"] == "2026-11-24T09:00:00+00:00"
    assert "Tuesday 24 November 2026" in resp.json["message"]
    assert resp.json["params"] == {"starts_at": "2026-11-24T09:00:00+00:00"}
    resp = identify(
        client,
        kiosk,
        qr=make_qr_payload(secret=settings.secret_key, appointment=elsewhere),
        date_of_birth=DOB,
    )
    assert (
        resp.status_code == 409
        and resp.json["error"] == "wrong_site"
        and "Seacroft" in resp.json["message"]
    )
    assert resp.json["site_name"] == "Seacroft" and resp.json["site_address"]
    assert resp.json["starts_at"] == "2026-11-23T09:00:00+00:00"


def test_cancelled_booking(client, app, session, settings, clinic, kiosk):
    appt = book(session, settings, clinic)
    cancel_appointment(
        session=session, reference=appt.reference, date_of_birth=dt.date(1970, 5, 17), now=NOW
    )
    at(app, 8, 55)
    for resp in (
        identify(client, kiosk, reference=appt.reference, date_of_birth=DOB),
        checkin(client, kiosk, appt.reference),
    ):
        assert resp.status_code == 409 and resp.json["error"] == "cancelled"


def test_too_early_says_when_check_in_opens_and_too_late_is_refused(
    client, app, session, settings, clinic, kiosk
):
    appt = book(session, settings, clinic, slot=6)  # 10:00
    at(app, 8, 59)
    resp = identify(client, kiosk, reference=appt.reference, date_of_birth=DOB)
    assert resp.status_code == 409 and resp.json["error"] == "too_early"
    assert resp.json["checkin_opens_at"] == "09:00"
    assert checkin(client, kiosk, appt.reference).json["error"] == "too_early"
    at(app, 9, 0)
    assert identify(client, kiosk, reference=appt.reference, date_of_birth=DOB).status_code == 200
    at(app, 10, 15)
    assert identify(client, kiosk, reference=appt.reference, date_of_birth=DOB).status_code == 200
    at(app, 10, 16)
    resp = identify(client, kiosk, reference=appt.reference, date_of_birth=DOB)
    assert resp.status_code == 409 and resp.json["error"] == "too_late"
    assert checkin(client, kiosk, appt.reference).json["error"] == "too_late"


def test_bad_input_is_422_with_fields(client, app, session, settings, clinic, kiosk):
    appt = book(session, settings, clinic)
    at(app, 8, 55)
    resp = identify(client, kiosk, reference=appt.reference, date_of_birth="17/05/1970")
    assert (
        resp.status_code == 422
        and resp.json["error"] == "invalid"
        and "date_of_birth" in resp.json["fields"]
    )
    resp = identify(client, kiosk, date_of_birth=DOB)
    assert resp.status_code == 422 and "reference" in resp.json["fields"]
    resp = identify(
        client, kiosk, reference="ABC\x00DEFGH", date_of_birth=DOB
    )  # PostgreSQL refuses NUL
    assert resp.status_code == 422 and "reference" in resp.json["fields"]
    resp = client.post("/api/v1/kiosk/identify", data="not json", headers=kiosk)
    assert resp.status_code == 422
    for rid in ("", "not-a-uuid", str(uuid.uuid1()), 12):
        resp = checkin(client, kiosk, appt.reference, request_id=rid)
        assert resp.status_code == 422 and "request_id" in resp.json["fields"], rid


def test_guessing_dates_of_birth_is_rate_limited(client, app, session, settings, clinic, kiosk):
    appt = book(session, settings, clinic)
    at(app, 8, 55)
    codes = [
        identify(
            client, kiosk, reference=appt.reference, date_of_birth=f"1970-01-{d:02d}"
        ).status_code
        for d in range(1, settings.lookup_limit_per_minute + 3)
    ]
    assert codes[: settings.lookup_limit_per_minute] == [404] * settings.lookup_limit_per_minute
    assert codes[-1] == 429
    resp = identify(client, kiosk, reference=appt.reference, date_of_birth=DOB)
    assert resp.status_code == 429 and resp.json["error"] == "rate_limited"


# --- check in --------------------------------------------------------------------------------


def test_check_in_without_a_request_gives_identity_labels_and_a_queue_number(
    client, app, session, settings, clinic, kiosk
):
    first = book(session, settings, clinic, n=1)
    second = book(session, settings, clinic, n=2)
    at(app, 8, 55)
    resp = checkin(client, kiosk, first.reference)
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert (
        body["reference"] == first.reference
        and body["queue_number"] == 1
        and body["wait_minutes"] == 0
    )
    assert body["hand_label"] == [] and body["print_job"]["status"] == "pending"
    assert [label["container"] for label in body["labels"]] == ["Patient ID", "Patient ID"]
    label = body["labels"][0]
    assert label["family_name"] == "Testperson1" and label["given_name"] == "Jane"
    assert label["date_of_birth"] == DOB and label["nhs_number"] == make_patient(1).nhs_number
    assert label["site_name"] == "Leeds General" and label["request_number"] is None
    assert label["reprint"] is False and label["sequence"] == [1, 2] and label["tests"] == []
    assert len({lab["specimen_id"] for lab in body["labels"]}) == 2
    resp = checkin(client, kiosk, second.reference)
    # One adult (10 minutes) ahead, three chairs: about 4 minutes.
    assert resp.json["queue_number"] == 2 and resp.json["wait_minutes"] == 4
    session.expire_all()
    row = session.get(Appointment, first.id)
    assert (
        row.status == "checked_in" and row.queue_number == 1 and row.checked_in_at == at(app, 8, 55)
    )


def test_six_tests_give_four_labels_in_order_of_draw_and_a_hand_label_warning(
    client, app, session, settings, clinic, kiosk
):
    appt = book(session, settings, clinic, request_number=six_test_request(session))
    at(app, 8, 55)
    body = checkin(client, kiosk, appt.reference).json
    assert [(lab["container"], lab["tests"]) for lab in body["labels"]] == [
        ("Sodium citrate", ["INR"]),
        ("Serum gel (SST)", ["UE", "LFT"]),
        ("EDTA", ["FBC"]),
        ("Fluoride oxalate", ["GLU"]),
    ]
    assert [lab["sequence"] for lab in body["labels"]] == [[1, 4], [2, 4], [3, 4], [4, 4]]
    assert body["hand_label"] == ["Group and save"]
    assert all(lab["request_number"] == appt.request_number for lab in body["labels"])
    assert not any("GS" in lab["tests"] for lab in body["labels"])


def test_a_retry_gets_the_same_answer_and_nothing_prints_twice(
    client, app, session, settings, clinic, kiosk
):
    appt = book(session, settings, clinic)
    at(app, 8, 55)
    rid = str(uuid.uuid4())
    first = checkin(client, kiosk, appt.reference, request_id=rid).json
    again = checkin(client, kiosk, appt.reference, request_id=rid).json
    assert again["queue_number"] == first["queue_number"] and again["labels"] == first["labels"]
    assert again["print_job"]["id"] == first["print_job"]["id"]
    done = report(
        client,
        kiosk,
        first["print_job"]["id"],
        {lab["specimen_id"]: "confirmed" for lab in first["labels"]},
    )
    assert done.status_code == 200 and done.json == {"status": "printed"}
    after = checkin(client, kiosk, appt.reference, request_id=rid).json
    assert after["queue_number"] == first["queue_number"] and after["labels"] == []
    assert after["print_job"]["status"] == "printed"
    # A new attempt (new request_id) is a second check-in: refused, nothing to print.
    resp = checkin(client, kiosk, appt.reference)
    assert resp.status_code == 409 and resp.json["error"] == "already_checked_in"
    assert (
        resp.json["queue_number"] == first["queue_number"]
        and resp.json["labels_outstanding"] is False
    )


def test_the_same_qr_scanned_twice_says_already_checked_in(
    client, app, session, settings, clinic, kiosk
):
    appt = book(session, settings, clinic)
    qr = make_qr_payload(secret=settings.secret_key, appointment=appt)
    at(app, 8, 55)
    assert identify(client, kiosk, qr=qr, date_of_birth=DOB).status_code == 200
    body = checkin(client, kiosk, appt.reference).json
    resp = identify(client, kiosk, qr=qr, date_of_birth=DOB)
    assert resp.status_code == 409 and resp.json["error"] == "already_checked_in"
    assert resp.json["labels_outstanding"] is True  # not reported printed yet
    report(
        client,
        kiosk,
        body["print_job"]["id"],
        {lab["specimen_id"]: "confirmed" for lab in body["labels"]},
    )
    resp = identify(client, kiosk, qr=qr, date_of_birth=DOB)
    assert resp.status_code == 409 and resp.json["error"] == "already_checked_in"
    assert resp.json["queue_number"] == 1 and resp.json["labels_outstanding"] is False


def test_after_a_partial_print_a_retry_reprints_only_the_gaps_marked_reprint(
    client, app, session, settings, clinic, kiosk
):
    appt = book(session, settings, clinic, request_number=six_test_request(session))
    at(app, 8, 55)
    rid = str(uuid.uuid4())
    body = checkin(client, kiosk, appt.reference, request_id=rid).json
    ids = [lab["specimen_id"] for lab in body["labels"]]
    resp = report(
        client,
        kiosk,
        body["print_job"]["id"],
        {ids[0]: "confirmed", ids[1]: "confirmed", ids[2]: "unconfirmed", ids[3]: "not_sent"},
        printer_status="fault",
    )
    assert resp.json == {"status": "partial"}
    retry = checkin(client, kiosk, appt.reference, request_id=rid).json
    assert [(lab["specimen_id"], lab["reprint"]) for lab in retry["labels"]] == [
        (ids[2], True),
        (ids[3], False),
    ]
    resp = report(
        client, kiosk, body["print_job"]["id"], {ids[2]: "confirmed", ids[3]: "confirmed"}
    )
    assert resp.json == {"status": "printed"}
    assert checkin(client, kiosk, appt.reference, request_id=rid).json["labels"] == []


def test_print_results_are_validated_and_failed_when_nothing_printed(
    client, app, session, settings, clinic, kiosk
):
    appt = book(session, settings, clinic)
    at(app, 8, 55)
    body = checkin(client, kiosk, appt.reference).json
    job = body["print_job"]["id"]
    bad = client.post(
        f"/api/v1/kiosk/print-jobs/{job}",
        headers=kiosk,
        json={
            "results": [{"specimen_id": "0000000000", "outcome": "confirmed"}],
            "printer_status": "fine",
        },
    )
    assert bad.status_code == 422 and set(bad.json["fields"]) == {
        "results[0].specimen_id",
        "printer_status",
    }
    resp = report(
        client, kiosk, job, {lab["specimen_id"]: "not_sent" for lab in body["labels"]}, "fault"
    )
    assert resp.json == {"status": "failed"}
    assert (
        client.post(
            "/api/v1/kiosk/print-jobs/99999",
            headers=kiosk,
            json={"results": [], "printer_status": "ok"},
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda body: body.update(printer_status=[]), "printer_status"),
        (lambda body: body.update(printer_status={"state": "ok"}), "printer_status"),
        (lambda body: body["results"][0].update(specimen_id={}), "results[0].specimen_id"),
        (lambda body: body["results"][0].update(specimen_id=["1"]), "results[0].specimen_id"),
        (lambda body: body["results"][0].update(outcome=[]), "results[0].outcome"),
        (lambda body: body["results"][0].update(outcome={"a": 1}), "results[0].outcome"),
        (lambda body: body.update(results={"x": 1}), "results"),
        (lambda body: body.update(detail=["x"]), "detail"),
    ],
)
def test_print_results_of_the_wrong_json_type_are_refused_and_change_nothing(
    client, app, session, settings, clinic, kiosk, mutate, field
):
    appt = book(session, settings, clinic)
    at(app, 8, 55)
    body = checkin(client, kiosk, appt.reference).json
    job = body["print_job"]["id"]
    results = [{"specimen_id": lab["specimen_id"], "outcome": "confirmed"} for lab in body["labels"]]
    report_body = {"results": results, "printer_status": "ok", "detail": "test"}
    mutate(report_body)
    resp = client.post(f"/api/v1/kiosk/print-jobs/{job}", headers=kiosk, json=report_body)
    assert resp.status_code == 422 and field in resp.json["fields"]
    session.expire_all()
    assert session.get(PrintJob, job).status == "pending"
    assert {row.outcome for row in session.exec(select(PrintJobLabel))} == {"pending"}


def test_a_print_report_sent_again_with_its_key_gets_the_first_answer(
    client, app, session, settings, clinic, kiosk
):
    """The kiosk's report whose answer was lost comes again under the same Idempotency-Key: the
    first answer, even after a later report changed the job; the key for another report is 422
    and changes nothing."""
    appt = book(session, settings, clinic)
    at(app, 8, 55)
    body = checkin(client, kiosk, appt.reference).json
    job, ids = body["print_job"]["id"], [lab["specimen_id"] for lab in body["labels"]]
    keyed = {**kiosk, "Idempotency-Key": "6b2e9f4a-1c3d-4e5f-8a7b-9c0d1e2f3a4b"}
    partial = {ids[0]: "confirmed", ids[1]: "not_sent"}
    first = report(client, keyed, job, partial, "fault")
    assert first.status_code == 200 and first.json == {"status": "partial"}
    rest = report(client, kiosk, job, {ids[1]: "confirmed"})  # a later report, no key
    assert rest.json == {"status": "printed"}
    again = report(client, keyed, job, partial, "fault")
    assert (again.status_code, again.json) == (200, {"status": "partial"})
    assert again.headers.get("Idempotent-Replayed") == "true"
    reused = report(client, keyed, job, {ids[0]: "unconfirmed"}, "unknown")
    assert reused.status_code == 422 and reused.json["error"] == "idempotency_key_reused"
    session.expire_all()
    assert session.get(PrintJob, job).status == "printed"
    outcomes = {row.outcome for row in session.exec(select(PrintJobLabel).where(PrintJobLabel.job_id == job))}
    assert outcomes == {"confirmed"}


# --- keys and sites --------------------------------------------------------------------------


def test_keys_only_reach_their_own_endpoints(client, app, session, settings, clinic, kiosk):
    appt = book(session, settings, clinic)
    at(app, 8, 55)
    partner = {"Authorization": f"Bearer {make_partner_key(session)}"}
    resp = identify(client, partner, reference=appt.reference, date_of_birth=DOB)
    assert resp.status_code == 403 and resp.json["error"] == "forbidden"
    assert checkin(client, partner, appt.reference).status_code == 403
    assert client.get("/api/v1/kiosk/status", headers=partner).status_code == 403
    assert client.get("/api/v1/sites", headers=kiosk).status_code == 403
    assert (
        client.get(
            f"/api/v1/appointments/{appt.reference}?date_of_birth={DOB}", headers=kiosk
        ).status_code
        == 403
    )
    assert client.post("/api/v1/requests", headers=kiosk, json={}).status_code == 403
    assert client.get("/api/v1/kiosk/status").status_code == 401
    session.expire_all()
    assert session.get(Appointment, appt.id).status == "booked"


def test_a_kiosk_at_site_a_cannot_check_in_or_report_at_site_b(
    client, app, session, settings, clinic, kiosk
):
    other_site = make_site(session, name="Seacroft")
    other_kiosk = kiosk_key(session, other_site)
    appt = book(session, settings, clinic)
    at(app, 8, 55)
    resp = checkin(client, other_kiosk, appt.reference)
    assert (
        resp.status_code == 409
        and resp.json["error"] == "wrong_site"
        and "Leeds General" in resp.json["message"]
    )
    body = checkin(client, kiosk, appt.reference).json
    resp = report(
        client,
        other_kiosk,
        body["print_job"]["id"],
        {body["labels"][0]["specimen_id"]: "confirmed"},
    )
    assert resp.status_code == 404
    session.expire_all()
    assert [s.name for s in session.exec(select(Site).order_by(Site.id))] == [
        "Leeds General",
        "Seacroft",
    ]


def test_the_check_in_key_is_the_idempotency_key_shared_with_the_partner_api(
    client, app, session, settings, clinic, kiosk
):
    """One mechanism: the Idempotency-Key header (or, without it, request_id) is the attempt's
    key, kept with the check-in in the idempotency_key table, per API key."""
    first_booking = book(session, settings, clinic, n=1)
    other_booking = book(session, settings, clinic, slot=1, n=2)
    at(app, 8, 55)
    key = str(uuid.uuid4())
    sent = {**kiosk, "Idempotency-Key": key}
    first = client.post("/api/v1/kiosk/checkin", headers=sent,
                        json={"reference": first_booking.reference, "date_of_birth": DOB})
    assert first.status_code == 200, first.json
    # Resent with the same key (whatever request_id the body carries): the same check-in.
    again = client.post("/api/v1/kiosk/checkin", headers=sent, json={
        "reference": first_booking.reference, "date_of_birth": DOB, "request_id": str(uuid.uuid4())})
    assert (again.status_code, again.json["queue_number"], again.json["print_job"]) == (
        200, first.json["queue_number"], first.json["print_job"])
    # The key for another booking's check-in is refused, and that booking stays booked.
    other = client.post("/api/v1/kiosk/checkin", headers=sent,
                        json={"reference": other_booking.reference, "date_of_birth": DOB})
    assert other.status_code == 422 and other.json["error"] == "idempotency_key_reused"
    session.expire_all()
    assert session.get(Appointment, other_booking.id).status == "booked"
    # The request_id of a kiosk without the header is a key the same way.
    rid = str(uuid.uuid4())
    made = checkin(client, kiosk, other_booking.reference, request_id=rid)
    resent = client.post("/api/v1/kiosk/checkin", headers={**kiosk, "Idempotency-Key": rid},
                         json={"reference": other_booking.reference, "date_of_birth": DOB})
    assert made.status_code == resent.status_code == 200
    assert resent.json["queue_number"] == made.json["queue_number"] == first.json["queue_number"] + 1
    with Session(session.get_bind()) as fresh:
        keys = fresh.exec(select(IdempotencyKey)).all()
    assert sorted(k.request_key for k in keys) == sorted([key, rid])
