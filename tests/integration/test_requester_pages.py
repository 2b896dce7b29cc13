"""The requester's pages over the Flask test client (CSRF on), on SQLite and PostgreSQL: ordering
tests page by page, every refusal shown where it can be fixed, the list with its filters, one
request in full, cancelling, another practice's request being a 404, the admin's organisation
pages, and the today page's request, urgency and per-tube collection."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import submit_request
from shared.models import LabRequest, Organisation, OutboxMessage, StaffAudit, TubeOutcome
from tests.conftest import NOW
from tests.factories import make_clinic, make_organisation, make_patient, make_requester, make_site, make_staff
from tests.integration.test_staff import PASSWORD, csrf, post, sign_in

NHS = "9990000026"


@pytest.fixture
def practice(session):  # type: ignore[no-untyped-def]
    seed_catalogue(session=session)
    make_organisation(session, "B86001", "Park Surgery")
    make_organisation(session, "Y12345", "Hill Practice")
    return make_requester(session, "B86001", username="drada")


def order(client, **overrides):  # type: ignore[no-untyped-def]
    """Fill in every page of a new request; returns the last response."""
    client.get("/staff/requests/new")
    patient = {"nhs_number": "999 000 0026", "given_name": "Margaret", "family_name": "O'Brien",
               "dob-day": "4", "dob-month": "3", "dob-year": "1948", "mobile": "07700 900123", "email": ""}
    patient.update(overrides.get("patient", {}))
    post(client, "/staff/requests/new/patient", patient)
    post(client, "/staff/requests/new/tests", {"tests": overrides.get("tests", ["FBC", "UE", "GLU"])})
    details = {"urgency": "urgent", "when": "asap", "clinical_details": "Tired all the time."}
    details.update(overrides.get("details", {}))
    post(client, "/staff/requests/new/details", details)
    return post(client, "/staff/requests/new/check", {})


def test_a_requester_starts_at_their_requests_and_is_kept_out_of_other_pages(client, practice):
    resp = sign_in(client, "drada")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/staff/requests")
    page = client.get("/staff/requests")
    assert page.status_code == 200 and "New request" in page.text and ">Today<" not in page.text
    assert client.get("/staff/today").status_code == 403
    assert client.get("/staff/admin").status_code == 403
    assert client.get("/staff/admin/organisations").status_code == 403


def test_ordering_tests_page_by_page(client, session, practice):
    sign_in(client, "drada")
    done = order(client)
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/requests/new/done")
    page = client.get("/staff/requests/new/done")
    req = session.exec(select(LabRequest)).one()
    assert req.request_number in page.text and "by text message" in page.text
    assert (req.urgency, req.fasting, req.source, req.status) == ("urgent", True, "web", "invited")
    assert (req.earliest, req.latest) == (dt.date(2026, 11, 23), dt.date(2026, 11, 30))
    assert req.requester == "Dr Ada Example" and req.created_by_user_id == practice.id
    assert session.get(Organisation, req.organisation_id).ods_code == "B86001"
    assert [m.template for m in session.exec(select(OutboxMessage))] == ["invite"]
    assert "request_create" in {a.action for a in session.exec(select(StaffAudit))}
    # The answers are gone: a second request starts afresh.
    assert client.get("/staff/requests/new/check").status_code == 302


def test_each_page_says_what_is_wrong(client, practice):
    sign_in(client, "drada")
    client.get("/staff/requests/new")
    resp = post(client, "/staff/requests/new/patient", {"nhs_number": "999 000 0027", "given_name": "",
                                                         "family_name": "O'Brien", "dob-day": "31", "dob-month": "2",
                                                         "dob-year": "1948", "mobile": "12345", "email": "x"})
    assert resp.status_code == 400
    for anchor in ("#nhs_number", "#given_name", "#dob-day", "#mobile", "#email"):
        assert f'href="{anchor}"' in resp.text, anchor
    post(client, "/staff/requests/new/patient", {"nhs_number": NHS, "given_name": "Margaret", "family_name": "O'Brien",
                                                 "dob-day": "4", "dob-month": "3", "dob-year": "1948"})
    searched = post(client, "/staff/requests/new/tests", {"q": "liver", "action": "search", "tests": ["FBC"]},
                    form_page="/staff/requests/new/tests")
    assert searched.status_code == 200 and "Liver function tests (LFT)" in searched.text
    assert "Full blood count (FBC)" in searched.text and "Urea" not in searched.text  # ticked ones stay
    resp = post(client, "/staff/requests/new/tests", {})
    assert resp.status_code == 400 and 'href="#tests"' in resp.text
    post(client, "/staff/requests/new/tests", {"tests": ["FBC"]})
    resp = post(client, "/staff/requests/new/details", {"when": "between", "earliest-day": "1", "earliest-month": "12",
                                                        "earliest-year": "2026", "latest-day": "20",
                                                        "latest-month": "11", "latest-year": "2026",
                                                        "clinical_details": "x" * 501})
    assert resp.status_code == 400
    for anchor in ("#urgency", "#latest-day", "#clinical_details"):
        assert f'href="{anchor}"' in resp.text, anchor
    resp = post(client, "/staff/requests/new/details", {"urgency": "routine", "when": "weeks", "weeks": "0"})
    assert resp.status_code == 400 and 'href="#weeks"' in resp.text
    assert "The patient must fast" in resp.text  # a checkbox here: FBC needs no fasting


def test_a_date_of_birth_that_differs_from_the_record_is_shown_on_the_patient_page(client, session, practice):
    submit_request(session=session, nhs_number=NHS, tests=["FBC"], requester="Dr B", given_name="Margaret",
                   family_name="O'Brien", date_of_birth="1948-03-04", now=NOW)
    sign_in(client, "drada")
    resp = order(client, patient={"dob-day": "5"})
    assert resp.status_code == 302 and "/staff/requests/new/patient" in resp.headers["Location"]
    page = client.get(resp.headers["Location"])
    assert "does not match our record" in page.text and 'href="#dob-day"' in page.text
    assert len(session.exec(select(LabRequest)).all()) == 1


def test_the_list_shows_each_step_and_filters(client, session, practice):
    sign_in(client, "drada")
    order(client)
    order(client, details={"when": "weeks", "weeks": "3", "urgency": "routine"})
    number = session.exec(select(LabRequest.request_number).order_by(LabRequest.id)).first()
    page = client.get("/staff/requests")
    assert page.status_code == 200 and "2 requests" in page.text
    # Each shows its steps: waiting, then invited by text message (the option list says it once).
    assert page.text.count("Waiting for booking") == 3 and page.text.count("by text message") == 2
    assert page.text.count(">Urgent<") == 1 and number in page.text and "O&#39;BRIEN, Margaret" in page.text
    assert "Take between 14 December 2026 and 20 December 2026" in page.text  # in 3 weeks
    assert "2 requests invited" in client.get("/staff/requests?status=invited").text
    assert "0 requests booked" in client.get("/staff/requests?status=booked").text
    none = client.get("/staff/requests?from-day=1&from-month=1&from-year=2027")
    assert "0 requests" in none.text
    bad = client.get("/staff/requests?from-day=40&from-month=1&from-year=2026&status=nope")
    assert 'href="#from-day"' in bad.text and 'href="#status"' in bad.text


def test_another_practices_request_is_a_404(client, session, practice):
    other = submit_request(session=session, nhs_number=NHS, tests=["FBC"], requester="Dr Hill", organisation="Y12345",
                           now=NOW).request.request_number
    sign_in(client, "drada")
    assert client.get(f"/staff/requests/{other}").status_code == 404
    token = csrf(client, "/staff/requests")
    assert client.post(f"/staff/requests/{other}/cancel", data={"reason": "x", "csrf_token": token}).status_code == 404
    assert other not in client.get("/staff/requests").text
    assert session.exec(select(LabRequest)).one().status == "waiting"


def test_cancelling_asks_why_and_tells_the_patient(client, session, practice):
    sign_in(client, "drada")
    order(client)
    number = session.exec(select(LabRequest.request_number)).one()
    page = f"/staff/requests/{number}"
    resp = post(client, f"{page}/cancel", {"reason": ""}, form_page=page)
    assert resp.status_code == 400 and 'href="#reason"' in resp.text
    resp = post(client, f"{page}/cancel", {"reason": "Done at the hospital"}, form_page=page)
    assert resp.status_code == 302
    detail = client.get(page)
    assert "Cancelled" in detail.text and "Done at the hospital" in detail.text and "(by Dr Ada Example)" in detail.text
    assert "Cancel this request" not in detail.text
    assert {a.action for a in session.exec(select(StaffAudit))} >= {"request_create", "request_view", "request_cancel"}


def test_admins_add_and_change_organisations(client, session, practice):
    make_staff(session, role="admin", username="ada")
    sign_in(client, "ada")
    resp = post(client, "/staff/admin/organisations", {"ods_code": "B8-6", "name": ""})
    assert resp.status_code == 400 and 'href="#ods_code"' in resp.text and 'href="#name"' in resp.text
    resp = post(client, "/staff/admin/organisations", {"ods_code": "m85001", "name": "Valley Medical Centre"})
    assert resp.status_code == 302 and "M85001" in client.get("/staff/admin/organisations").text
    org = session.exec(select(Organisation).where(Organisation.ods_code == "M85001")).one()
    path = f"/staff/admin/organisations/{org.id}"
    assert post(client, path, {"name": "Valley MC", "address": "", "active": "no"}).status_code == 302
    session.expire_all()
    assert (session.get(Organisation, org.id).name, session.get(Organisation, org.id).active) == ("Valley MC", False)
    assert client.get("/staff/admin/organisations/999").status_code == 404


def test_the_today_page_shows_the_request_and_records_each_tube(client, app, session, settings, practice):
    import dataclasses

    from booking_web.services.booking import book_appointment
    from tests.factories import slots_of
    from tests.integration.test_checkin import at, kiosk_key

    site = make_site(session, name="Leeds General")
    make_staff(session, role="phlebotomist", username="pat", site_id=site.id)
    clinic = make_clinic(session, site=site, day=dt.date(2026, 11, 23), types=("adult", "fasting"))
    number = submit_request(session=session, nhs_number=make_patient(0).nhs_number, tests=["FBC", "UE", "GLU"],
                            requester="Dr Ada Example", organisation="B86001", given_name="Jane",
                            family_name="Testperson", date_of_birth="1970-05-17", urgency="urgent",
                            clinical_details="Query anaemia", earliest="2026-11-23", latest="2026-11-30",
                            now=NOW).request.request_number
    appt = book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id, type_code="fasting",
                            patient=make_patient(0, family_name="Testperson"), now=NOW,
                            settings=dataclasses.replace(settings, min_notice_minutes=0)).appointment
    assert appt.request_number == number
    at(app, 8, 55)
    body = client.post("/api/v1/kiosk/checkin", headers=kiosk_key(session, site), json={
        "reference": appt.reference, "date_of_birth": "1970-05-17",
        "request_id": "4c1d8e2a-7b3f-4a6e-9c5d-1e2f3a4b5c6d"}).json
    ids = [lab["specimen_id"] for lab in body["labels"]]
    sign_in(client, "pat")
    today = client.get("/staff/today").text
    assert "Urgent" in today and "Query anaemia" in today and "Full blood count" in today
    path = f"/staff/today/{appt.id}"
    resp = post(client, f"{path}/collected", {"tubes": "1", f"tube-{ids[0]}": "collected"}, form_page=path)
    assert resp.status_code == 400 and f'href="#tube-{ids[1]}"' in resp.text and f'href="#tube-{ids[2]}"' in resp.text
    assert session.exec(select(TubeOutcome)).all() == []
    choices = {f"tube-{ids[0]}": "collected", f"tube-{ids[1]}": "collected",
               f"tube-{ids[2]}": "not_taken:could_not_obtain", "tubes": "1"}
    assert post(client, f"{path}/collected", choices, form_page=path).status_code == 302
    assert "not taken</strong>, could not obtain" in client.get(path).text
    client.post("/staff/sign-out", data={"csrf_token": csrf(client, "/staff/today")})
    sign_in(client, "drada")
    detail = client.get(f"/staff/requests/{number}").text
    assert "2 of 3 tubes collected" in detail and ids[2] in detail and "could not obtain" in detail
    assert re.search(rf"{ids[0]}</td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>Collected", detail)
    assert PASSWORD
