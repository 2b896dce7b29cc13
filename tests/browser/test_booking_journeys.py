"""Booking each type of blood test in a real browser, from the start page to the confirmation,
with axe-core (WCAG 2.2 AA) run on every page on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from shared.models import Appointment
from shared.models import Patient as PatientRow
from shared.references import normalise_reference
from tests.browser.pages import Patient, book

CHILD = Patient(given="Amira", family="Khan", dob=("3", "4", "2018"))


@pytest.mark.parametrize(
    "test,place,patient,code",
    [
        ("Adult blood test", "Northgate Health Centre", Patient(), "adult"),
        ("Child blood test", "Riverside Community Hospital", CHILD, "child"),
        ("Fasting blood test", "Westfield Surgery",
         Patient(given="Tomasz", family="Kowalski-Nowak"), "fasting"),
        ("Glucose tolerance test", "Riverside Community Hospital",
         Patient(given="Aisha", family="Rahman", dob=("15", "6", "1990")), "gtt"),
        ("INR (anticoagulation) test", "Eastmoor Clinic",
         Patient(given="Łukasz", family="王", nhs=None, email="lukasz@example.com", mobile=""),
         "inr"),
    ],
    ids=["adult", "child", "fasting", "gtt", "inr-without-nhs-number"],
)
def test_book_each_type_to_the_confirmation(site, live_server, test, place, patient, code):
    page = site.open()
    done = book(site, page, test=test, place=place, patient=patient)
    main = page.locator("main")
    expect(main).to_contain_text(test)
    expect(main).to_contain_text(place)
    expect(page.get_by_role("img", name=f"QR code for checking in to booking {done.reference}"))\
        .to_be_visible()
    assert len(site.audited) == 14, site.audited  # the start page to the confirmation
    with live_server.session() as session:
        appt = session.exec(select(Appointment).where(
            Appointment.reference == normalise_reference(done.reference))).one()
        person = session.get(PatientRow, appt.patient_id)
    assert (appt.type_code, appt.slot_id) == (code, done.slot_id)
    assert (person.given_name, person.family_name) == (patient.given, patient.family)
    assert person.nhs_number == patient.nhs
