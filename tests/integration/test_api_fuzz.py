"""Property-based bad input on the partner API: never a 5xx, and a refusal changes nothing."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from shared.models import Appointment, Patient, Slot

from tests.factories import make_clinic, make_partner_key

DAY = dt.date(2026, 11, 25)

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                         st.text(max_size=300))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.text(max_size=20), inner, max_size=4), max_leaves=12)
patients = st.fixed_dictionaries({}, optional={
    "nhs_number": st.one_of(st.text(max_size=30), st.integers(), st.sampled_from(["9990000026", "999 000 0026"])),
    "given_name": st.one_of(st.text(max_size=150), json_values),
    "family_name": st.one_of(st.text(max_size=150), json_values),
    "date_of_birth": st.one_of(st.dates().map(str), st.text(max_size=20), json_values),
    "mobile": st.one_of(st.text(max_size=30), json_values),
    "email": st.one_of(st.emails(), st.text(max_size=300), json_values),
})
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"slot_id": st.one_of(st.integers(), json_values),
                           "appointment_type": st.one_of(st.sampled_from(["adult", "child", "gtt"]), json_values),
                           "patient": st.one_of(patients, json_values)}),
)


def _state(session):
    session.expire_all()
    return (session.exec(select(func.count()).select_from(Appointment)).one(),
            session.exec(select(func.count()).select_from(Patient)).one(),
            tuple(s.booked for s in session.exec(select(Slot).order_by(Slot.id))))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies)
def test_booking_endpoint_never_fails_on_bad_bodies(client, session, body):
    if not hasattr(session, "_fuzz_key"):
        make_clinic(session, day=DAY)
        session._fuzz_key = make_partner_key(session)  # type: ignore[attr-defined]
    before = _state(session)
    resp = client.post("/api/v1/appointments", json=body, headers={"Authorization": f"Bearer {session._fuzz_key}"})
    assert resp.status_code < 500 and resp.is_json
    if resp.status_code != 201:
        assert resp.json["error"] and resp.json["message"]
        assert _state(session) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reference=st.text(max_size=40).filter(lambda r: "/" not in r and "?" not in r and "#" not in r),
       dob=st.text(max_size=20))
def test_lookup_never_fails_on_odd_references(client, session, reference, dob):
    if not hasattr(session, "_fuzz_key"):
        session._fuzz_key = make_partner_key(session)  # type: ignore[attr-defined]
    resp = client.get(f"/api/v1/appointments/{reference or 'x'}", query_string={"date_of_birth": dob},
                      headers={"Authorization": f"Bearer {session._fuzz_key}"})
    assert resp.status_code in (404, 405, 422, 429) and resp.is_json
