"""A booking never changes who a patient is (issue 11 item 1): a later booking with the same NHS
number and date of birth but another name is refused, writes nothing and is audited; the name
is compared ignoring case, accents, spaces and hyphens. Staff correct a name, audited with the old
and the new. Real services on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import func, select

from booking_web.messages import words
from booking_web.services import booking, staff_queue
from shared.errors import RuleViolation
from shared.models import Appointment, OutboxMessage, Patient, Slot, StaffAudit
from tests.conftest import NOW
from tests.factories import audit_log, make_clinic, make_patient, slots_of

DAY = dt.date(2026, 11, 25)
NHS = "9990010005"  # 999 001 0005, the number
DOB = dt.date(1948, 2, 3)


def margaret(**overrides: object):  # type: ignore[no-untyped-def]
    """The issue's patient: Margaret Brown, born 3 February 1948."""
    values: dict[str, object] = dict(nhs_number=NHS, given_name="Margaret", family_name="Brown",
                                     date_of_birth=DOB, mobile="07700900123", email="")
    values.update(overrides)
    return make_patient(**values)


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return session.exec(select(func.count()).select_from(model)).one()


def _margaret_booked(session, settings):  # type: ignore[no-untyped-def]
    """Margaret booked into the first of a clinic's slots; the clinic's slots."""
    slots = slots_of(session, make_clinic(session, day=DAY, chairs=2))
    booking.book_appointment(session=session, slot_id=slots[0].id, type_code="adult", patient=margaret(),
                             now=NOW, settings=settings)
    return slots


def _refused(session, settings, slot, **details: object) -> RuleViolation:  # type: ignore[no-untyped-def]
    """A booking into `slot` as Margaret with these details changed, which must be refused."""
    with pytest.raises(RuleViolation) as refused:
        booking.book_appointment(session=session, slot_id=slot.id, type_code="adult",
                                 patient=margaret(**details), now=NOW, settings=settings)
    return refused.value


def test_a_later_booking_as_peggy_is_refused_and_margaret_stays_margaret(session, settings):
    clinic = make_clinic(session, day=DAY, chairs=2)
    first_slot, second_slot = slots_of(session, clinic)[:2]
    first = booking.book_appointment(session=session, slot_id=first_slot.id, type_code="adult",
                                     patient=margaret(), now=NOW, settings=settings).appointment
    writes_before = [_count(session, m) for m in (Appointment, OutboxMessage, Patient)]

    with pytest.raises(RuleViolation) as refused:
        booking.book_appointment(
            session=session, slot_id=second_slot.id, type_code="adult",
            patient=margaret(given_name="Peggy", email="peggy@example.com", mobile="07700900999"),
            now=NOW, settings=settings,
        )

    assert refused.value.code == "identity_mismatch"
    assert "do not match what we hold" in words(refused.value)
    assert "booking line" in words(refused.value)
    session.expire_all()
    # Nothing written: no booking, no message, no chair, and the record is as it was.
    assert [_count(session, m) for m in (Appointment, OutboxMessage, Patient)] == writes_before
    assert session.get(Slot, second_slot.id).booked == 0
    patient = session.exec(select(Patient).where(Patient.nhs_number == NHS)).one()
    assert (patient.given_name, patient.family_name, patient.mobile, patient.email) == (
        "Margaret", "Brown", "07700900123", "")
    # Her existing booking still shows the recorded name, on the staff queue and on her labels.
    [row] = staff_queue.day_list(session=session, site_id=clinic.site_id, day=DAY)
    assert row.reference == first.reference and (row.family_name, row.given_name) == ("Brown", "Margaret")


def test_the_refused_attempt_is_in_the_audit_log_without_the_names(session, settings):
    slots = _margaret_booked(session, settings)
    with pytest.raises(RuleViolation):
        booking.book_appointment(session=session, slot_id=slots[1].id, type_code="adult",
                                 patient=margaret(given_name="Peggy"), now=NOW, settings=settings,
                                 source="API key GP practice system")

    [entry] = audit_log(session)
    patient = session.exec(select(Patient).where(Patient.nhs_number == NHS)).one()
    assert entry.action == "booking_refused" and entry.patient_id == patient.id
    assert entry.appointment_id is None and entry.staff_user_id is None
    assert entry.username == "API key GP practice system" and entry.at == NOW
    assert "name" in entry.detail
    # The audit row points at the record; it copies no names, date of birth or NHS number.
    for data in ("Peggy", "Margaret", "Brown", "1948", NHS):
        assert data not in entry.detail


def test_a_wrong_date_of_birth_gets_the_same_answer_and_is_audited_too(session, settings):
    slots = _margaret_booked(session, settings)
    wrong_name = _refused(session, settings, slots[1], given_name="Peggy")
    wrong_dob = _refused(session, settings, slots[1], date_of_birth=dt.date(1948, 3, 2))
    # One answer for both, so trying names (or dates) does not tell which part was right.
    assert (wrong_name.problem, wrong_name.code, wrong_name.fields) == (
        wrong_dob.problem, wrong_dob.code, wrong_dob.fields)
    details = [a.detail for a in audit_log(session)]
    assert len(details) == 2 and "name" in details[0] and "date of birth" in details[1]
    assert session.get(Slot, slots[1].id).booked == 0


@pytest.mark.parametrize("given,family", [
    ("margaret", "BROWN"),
    ("MARGARET", "brown"),
    ("Margaret ", " Brown"),
])
def test_the_same_name_typed_another_way_books_and_keeps_the_recorded_spelling(session, settings, given, family):
    slots = _margaret_booked(session, settings)
    second = booking.book_appointment(session=session, slot_id=slots[1].id, type_code="adult",
                                      patient=margaret(given_name=given, family_name=family, email="m@example.com"),
                                      now=NOW, settings=settings).appointment
    assert second.status == "booked"
    session.expire_all()
    patient = session.exec(select(Patient).where(Patient.nhs_number == NHS)).one()
    # Contact details are kept up to date; the name is not rewritten, even in another case.
    assert (patient.given_name, patient.family_name, patient.email) == ("Margaret", "Brown", "m@example.com")
    assert not audit_log(session)


def test_accents_hyphens_and_spaces_do_not_count_as_another_name(session, settings):
    clinic = make_clinic(session, day=DAY, chairs=2)
    slots = slots_of(session, clinic)
    anne = dict(nhs_number="9990010013", given_name="Anne-Zoë", family_name="Le Brun", date_of_birth=DOB)
    booking.book_appointment(session=session, slot_id=slots[0].id, type_code="adult",
                             patient=make_patient(**anne), now=NOW, settings=settings)
    again = booking.book_appointment(session=session, slot_id=slots[1].id, type_code="adult",
                                     patient=make_patient(**{**anne, "given_name": "anne zoe", "family_name": "LEBRUN"}),
                                     now=NOW, settings=settings).appointment
    assert again.status == "booked"
    session.expire_all()
    assert session.exec(select(Patient.given_name, Patient.family_name)).all() == [("Anne-Zoë", "Le Brun")]


def test_a_changed_last_name_is_refused_too(session, settings):
    slots = _margaret_booked(session, settings)
    assert _refused(session, settings, slots[1], family_name="Browne").code == "identity_mismatch"
    session.expire_all()
    assert session.exec(select(Patient.family_name)).all() == ["Brown"]


def test_first_bookings_racing_under_two_names_leave_one_name_and_the_other_refused(engine, session, settings):
    """Margaret and 'Peggy' book the same new NHS number at the same moment, three times each:
    the first to commit makes the record, every booking under the other name is refused, and the
    name is never changed afterwards (the upsert locks the row; the name is compared after)."""
    from tests.integration.test_concurrency import run_together

    slots = slots_of(session, make_clinic(session, day=DAY, chairs=3))

    def attempt(given: str, slot_id: int):  # type: ignore[no-untyped-def]
        return lambda s: booking.book_appointment(session=s, slot_id=slot_id, type_code="adult",
                                                  patient=margaret(given_name=given), now=NOW,
                                                  settings=settings).appointment

    jobs = [attempt(given, slots[i % 3].id) for i, given in enumerate(["Margaret", "Peggy"] * 3)]
    results = run_together(engine, jobs, session)
    [name] = session.exec(select(Patient.given_name).where(Patient.nhs_number == NHS)).all()
    booked = [given for given, r in zip(["Margaret", "Peggy"] * 3, results, strict=True) if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, RuleViolation)]
    assert booked and set(booked) == {name}, results
    assert len(refused) == 3 and {r.code for r in refused} == {"identity_mismatch"}, results
    assert _count(session, Appointment) == 3 == sum(s.booked for s in session.exec(select(Slot)))
    assert len(session.exec(select(StaffAudit).where(StaffAudit.action == "booking_refused")).all()) == 3
