"""Property-based input on the requester's forms and the admin's organisation form, through the
test client with CSRF on: never a 5xx, and a refused form changes nothing in the database."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue
from shared.models import LabRequest, Organisation, OutboxMessage, Patient, RequestEvent
from tests.factories import make_organisation, make_requester, make_staff
from tests.integration.test_requester_pages import order
from tests.integration.test_staff import csrf, sign_in

FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
texts = st.one_of(st.text(max_size=80), st.sampled_from(["", "0", "31", "2026", "999 000 0026", "07700 900123",
                                                          "a@b.co", "x" * 600, "\x00", "１２"]))
patient_forms = st.fixed_dictionaries({k: texts for k in (
    "nhs_number", "given_name", "family_name", "dob-day", "dob-month", "dob-year", "mobile", "email")})
detail_forms = st.fixed_dictionaries({
    "urgency": st.one_of(st.sampled_from(["routine", "urgent", ""]), texts),
    "when": st.one_of(st.sampled_from(["asap", "weeks", "after", "between", ""]), texts),
    "weeks": texts, "fasting": texts, "clinical_details": st.text(max_size=700),
    **{f"{p}-{part}": texts for p in ("after", "earliest", "latest") for part in ("day", "month", "year")},
})


def _state(session):  # type: ignore[no-untyped-def]
    session.expire_all()
    return tuple(session.exec(select(func.count()).select_from(m)).one()
                 for m in (LabRequest, RequestEvent, OutboxMessage, Patient, Organisation))


def _ready(client, session, username: str):  # type: ignore[no-untyped-def]
    """The accounts (once), and this client signed in as `username` (once: hypothesis runs every
    example with the same client)."""
    if not hasattr(session, "_fuzz_ready"):
        seed_catalogue(session=session)
        make_organisation(session)
        make_requester(session, username="fuzzgp")
        make_staff(session, role="admin", username="fuzzadmin")
        session._fuzz_ready = True  # type: ignore[attr-defined]
    if getattr(client, "_signed_in", None) != username:
        sign_in(client, username)
        client._signed_in = username


@FUZZ
@given(form=patient_forms, tests=st.lists(texts, max_size=4), details=detail_forms)
def test_the_new_request_pages_never_fail(client, session, form, tests, details):
    _ready(client, session, "fuzzgp")
    client.get("/staff/requests/new")
    token = csrf(client, "/staff/requests/new/patient")
    before = _state(session)
    for path, data in (("patient", form), ("tests", {"tests": tests, "q": tests[0] if tests else ""}),
                       ("details", details)):
        resp = client.post(f"/staff/requests/new/{path}", data={**data, "csrf_token": token})
        assert resp.status_code < 500, (path, data)
    resp = client.post("/staff/requests/new/check", data={"csrf_token": token})
    assert resp.status_code < 500
    if resp.status_code != 302 or not resp.headers["Location"].endswith("/new/done"):
        assert _state(session) == before


@FUZZ
@given(reason=texts)
def test_cancelling_never_fails(client, session, reason):
    _ready(client, session, "fuzzgp")
    if not session.exec(select(LabRequest)).first():
        order(client)
    number = session.exec(select(LabRequest.request_number)).first()
    before = _state(session)
    token = csrf(client, f"/staff/requests/{number}")
    resp = client.post(f"/staff/requests/{number}/cancel", data={"reason": reason, "csrf_token": token})
    assert resp.status_code < 500
    if resp.status_code != 302:
        assert _state(session) == before


@FUZZ
@given(code=texts, name=texts, address=texts)
def test_the_organisation_form_never_fails(client, session, code, name, address):
    _ready(client, session, "fuzzadmin")
    before = _state(session)
    token = csrf(client, "/staff/admin/organisations")
    resp = client.post("/staff/admin/organisations",
                       data={"ods_code": code, "name": name, "address": address, "csrf_token": token})
    assert resp.status_code < 500
    if resp.status_code != 302:
        assert _state(session) == before
