"""Property-based bad input on the requests API: never a 5xx, and a refusal changes nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue
from shared.models import LabRequest, OutboxMessage, Patient, RequestEvent, StaffAudit
from tests.factories import make_organisation, make_partner_key
from tests.integration.test_api_fuzz import json_values

dates = st.one_of(st.dates().map(str), st.sampled_from(["2026-11-30", "2026-12-06", "2026-02-30"]),
                  st.text(max_size=12), json_values)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={
        "nhs_number": st.one_of(st.sampled_from(["9990000026", "999 000 0026", "9990000018"]), st.text(max_size=20),
                                json_values),
        "tests": st.one_of(st.lists(st.sampled_from(["FBC", "UE", "GLU", "GS", "NOPE", "fbc", ""]), max_size=5),
                           json_values),
        "requester": st.one_of(st.text(max_size=120), json_values),
        "organisation": st.one_of(st.sampled_from(["B86001", "b86001", "Y12345", ""]), json_values),
        "given_name": st.one_of(st.sampled_from(["Margaret", "Zoë"]), st.text(max_size=120), json_values),
        "family_name": st.one_of(st.sampled_from(["O'Brien"]), st.text(max_size=120), json_values),
        "date_of_birth": dates,
        "mobile": st.one_of(st.sampled_from(["07700 900123", ""]), st.text(max_size=30), json_values),
        "email": st.one_of(st.emails(), st.text(max_size=60), json_values),
        "earliest": dates,
        "latest": dates,
        "urgency": st.one_of(st.sampled_from(["routine", "urgent"]), json_values),
        "clinical_details": st.one_of(st.text(max_size=600), json_values),
        "fasting": json_values,
        "placer_order_number": st.one_of(st.text(max_size=60), json_values),
        "ordering_provider": st.one_of(st.text(max_size=120), json_values),
    }),
)


def _state(session):  # type: ignore[no-untyped-def]
    session.expire_all()
    return tuple(session.exec(select(func.count()).select_from(m)).one()
                 for m in (LabRequest, RequestEvent, OutboxMessage, Patient, StaffAudit))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_requests_endpoint_never_fails_on_bad_bodies(client, session, body):
    if not hasattr(session, "_fuzz_key"):
        seed_catalogue(session=session)
        make_organisation(session)
        session._fuzz_key = make_partner_key(session)  # type: ignore[attr-defined]
    before = _state(session)
    resp = client.post("/api/v1/requests", json=body, headers={"Authorization": f"Bearer {session._fuzz_key}"})
    assert resp.status_code < 500 and resp.is_json, resp.get_data(as_text=True)[:500]
    if resp.status_code not in (200, 201):
        assert resp.json["error"] and resp.json["message"]
        assert _state(session) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=st.text(max_size=30).filter(lambda r: not set(r) & set("/?#")), body=json_values)
def test_status_and_cancel_never_fail_on_odd_numbers_and_bodies(client, session, number, body):
    if not hasattr(session, "_fuzz_key"):
        session._fuzz_key = make_partner_key(session)  # type: ignore[attr-defined]
    auth = {"Authorization": f"Bearer {session._fuzz_key}"}
    got = client.get(f"/api/v1/requests/{number or 'x'}", headers=auth)
    cancelled = client.post(f"/api/v1/requests/{number or 'x'}/cancel", json=body, headers=auth)
    assert got.status_code in (404, 405) and got.is_json
    assert cancelled.status_code in (404, 405, 422) and cancelled.is_json
