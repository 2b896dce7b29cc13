"""Staff correct a patient's name (issue 11 item 1): the record changes for every booking, the
audit log keeps the old and the new name with the reason, and bad input changes nothing. On
SQLite and PostgreSQL, through the service and the staff pages."""

from __future__ import annotations

import pytest
from sqlmodel import select

from booking_web.services import booking, staff_queue
from booking_web.services.patient_records import correct_patient_name
from booking_web.services.staff_audit import Actor
from shared.errors import NotFound, RuleViolation, ValidationFailed
from shared.models import Patient
from tests.conftest import NOW
from tests.factories import audit_log, make_clinic, make_site, make_staff, slots_of
from tests.integration.test_patient_identity import DAY, NHS, margaret
from tests.integration.test_staff import post, sign_in

ACTOR = Actor(None, "pat", "Pat Phlebotomist")


def _booked(session, settings, *, site=None):  # type: ignore[no-untyped-def]
    clinic = make_clinic(session, site=site, day=DAY, chairs=2)
    slots = slots_of(session, clinic)
    return [booking.book_appointment(session=session, slot_id=s.id, type_code="adult", patient=margaret(),
                                     now=NOW, settings=settings).appointment for s in slots[:2]]


def test_staff_correct_a_name_for_every_booking_with_old_and_new_in_the_audit_log(session, settings):
    first, second = _booked(session, settings)
    correct_patient_name(session=session, appointment_id=first.id, site_id=first.site_id, given_name=" Peggy ",
                         family_name="Brown-Smith", reason="Changed name, checked with the patient",
                         actor=ACTOR, now=NOW)
    session.expire_all()
    rows = staff_queue.day_list(session=session, site_id=first.site_id, day=DAY)
    assert {(r.reference, r.given_name, r.family_name) for r in rows} == {
        (first.reference, "Peggy", "Brown-Smith"), (second.reference, "Peggy", "Brown-Smith")}
    [entry] = audit_log(session)
    patient = session.exec(select(Patient).where(Patient.nhs_number == NHS)).one()
    assert (entry.action, entry.username, entry.appointment_id, entry.patient_id, entry.at) == (
        "correct_name", "pat", first.id, patient.id, NOW)
    assert entry.detail == ("Name corrected from BROWN, Margaret to BROWN-SMITH, Peggy. "
                            "Reason: Changed name, checked with the patient")
    # Once corrected, booking under the new name is the same patient; the old name is refused.
    third_slot = slots_of(session, make_clinic(session, day=DAY))[5]  # not overlapping her others
    booking.book_appointment(session=session, slot_id=third_slot.id, type_code="adult",
                             patient=margaret(given_name="peggy", family_name="Brown Smith"), now=NOW,
                             settings=settings)
    with pytest.raises(RuleViolation):
        booking.book_appointment(session=session, slot_id=third_slot.id, type_code="adult", patient=margaret(),
                                 now=NOW, settings=settings)


@pytest.mark.parametrize("given,family,reason,field", [
    ("", "Brown", "Checked", "given_name"),
    ("Peggy", "Brown<script>", "Checked", "family_name"),
    ("Peggy", "Brown", "", "reason"),
    ("Peggy", "Brown", "x" * 301, "reason"),
    ("Margaret", "Brown", "Checked", "given_name"),  # the name already held
])
def test_a_bad_correction_is_refused_and_changes_nothing(session, settings, given, family, reason, field):
    [first, _] = _booked(session, settings)
    with pytest.raises(ValidationFailed) as refused:
        correct_patient_name(session=session, appointment_id=first.id, site_id=None, given_name=given,
                             family_name=family, reason=reason, actor=ACTOR, now=NOW)
    assert field in refused.value.fields
    session.expire_all()
    assert session.exec(select(Patient.given_name, Patient.family_name)).all() == [("Margaret", "Brown")]
    assert not audit_log(session)


def test_staff_at_another_site_cannot_correct_the_name(session, settings):
    [first, _] = _booked(session, settings)
    other = make_site(session)
    with pytest.raises(NotFound):
        correct_patient_name(session=session, appointment_id=first.id, site_id=other.id, given_name="Peggy",
                             family_name="Brown", reason="Checked", actor=ACTOR, now=NOW)


def test_the_staff_patient_page_corrects_a_name_and_the_audit_page_shows_it(app, client, session, settings):
    site = make_site(session, name="Leeds General")
    [first, _] = _booked(session, settings, site=site)
    make_staff(session, role="phlebotomist", username="pat", site_id=site.id)
    sign_in(client, "pat")
    page = client.get(f"/staff/today/{first.id}")
    assert "Correct the patient's name" in page.text and 'value="Margaret"' in page.text
    bad = post(client, f"/staff/today/{first.id}/name",
               {"given_name": "Peggy", "family_name": "Brown", "reason": ""}, form_page=f"/staff/today/{first.id}")
    assert "There is a problem" in bad.text and 'href="#correct-reason"' in bad.text
    assert 'value="Peggy"' in bad.text and "<details class=\"nhsuk-details\" open>" in bad.text
    done = post(client, f"/staff/today/{first.id}/name",
                {"given_name": "Peggy", "family_name": "Brown", "reason": "Prefers Peggy, deed poll seen"},
                form_page=f"/staff/today/{first.id}")
    assert done.status_code == 302
    after = client.get(done.headers["Location"])
    assert "BROWN, Peggy" in after.text and "Name corrected." in after.text

    # The refused booking and the correction, in the admin's audit log with the NHS number.
    with pytest.raises(RuleViolation):
        booking.book_appointment(session=session, slot_id=slots_of(session, make_clinic(session, day=DAY))[0].id,
                                 type_code="adult", patient=margaret(given_name="Maggie"), now=NOW,
                                 settings=settings)
    make_staff(session, role="admin", username="ada")
    admin = app.test_client()
    sign_in(admin, "ada")
    audit = admin.get("/staff/admin/audit").text
    assert "Name corrected from BROWN, Margaret to BROWN, Peggy. Reason: Prefers Peggy, deed poll seen" in audit
    assert "Booking refused: the details did not match" in audit and "Public booking site" in audit
    assert "Corrected a patient&#39;s name" in audit and "999 001 0005" in audit
    assert "Maggie" not in audit
