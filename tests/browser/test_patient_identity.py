"""Issue 11 item 1 in a real browser: Margaret Brown (999 001 0005, born 3 February 1948) has a
booking; someone books with her NHS number and date of birth as "Peggy" and is refused on the
check page; her booking still says BROWN, Margaret on the staff page, where a phlebotomist
corrects the name (with a reason) and the admin reads both in the audit log. Every page is
checked by axe-core (WCAG 2.2 AA) and screenshotted."""

from __future__ import annotations

import dataclasses
import datetime as dt

from playwright.sync_api import expect
from sqlmodel import select

from booking_web.services import booking
from shared.models import Appointment
from tests.browser.pages import (
    Patient,
    book,
    error_summary,
    expect_error,
    far_site,
    heading,
    nothing,
    proceed,
    staff_sign_in,
)
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, make_staff, slots_of

TODAY = dt.date(2026, 11, 23)
NHS = "9990010005"


def test_peggy_is_refused_margaret_keeps_her_name_and_staff_can_correct_it(site, live_server):
    where = far_site(live_server, "Newquay Identity Test Clinic")
    settings = dataclasses.replace(live_server.app.extensions["phlebo"].settings, min_notice_minutes=0)
    with live_server.session() as session:
        make_staff(session, role="phlebotomist", username="newquay-phleb", site_id=where.id)
        clinic = make_clinic(session, site=where, day=TODAY, start=dt.time(9), end=dt.time(10), types=("adult",))
        margaret = booking.book_appointment(
            session=session, slot_id=slots_of(session, clinic)[0].id, type_code="adult",  # type: ignore[arg-type]
            patient=make_patient(nhs_number=NHS, given_name="Margaret", family_name="Brown",
                                 date_of_birth=dt.date(1948, 2, 3)),
            now=NOW, settings=settings).appointment

    # The public journey, as Peggy.
    page = site.open(width=390, height=844)
    book(site, page, patient=Patient(given="Peggy", family="Brown", dob=("3", "2", "1948"), nhs=NHS),
         confirm=False, on_page=nothing)
    proceed(page, "Book appointment")
    heading(page, "Check your answers before booking")
    items = error_summary(page)
    assert any("do not match what we hold for this NHS number" in i and "call the booking line" in i
               for i in items), items
    expect(page.locator("main")).to_contain_text("Peggy Brown")  # kept, to change with its link
    site.audit(page, "check - details do not match")
    with live_server.session() as session:
        assert len(session.exec(select(Appointment).where(Appointment.patient_id == margaret.patient_id)).all()) == 1

    # The phlebotomist still sees Margaret, and corrects the name after checking.
    staff = site.open()
    staff_sign_in(staff, "newquay-phleb")
    heading(staff, "Today at Newquay Identity Test Clinic")
    staff.get_by_role("link", name="BROWN, Margaret", exact=True).click()
    heading(staff, "BROWN, Margaret")
    staff.get_by_text("Correct the patient's name").click()
    site.audit(staff, "patient - correct the name")
    staff.get_by_label("First name").fill("Peggy")
    staff.get_by_role("button", name="Correct name").click()
    expect_error(staff, "Enter why the name is being corrected", "correct-reason")
    site.audit(staff, "patient - correction without a reason")
    staff.get_by_label("Reason for the correction").fill("Prefers Peggy, deed poll seen")
    staff.get_by_role("button", name="Correct name").click()
    heading(staff, "BROWN, Peggy")
    expect(staff.get_by_role("status")).to_contain_text("Name corrected.")
    site.audit(staff, "patient - name corrected")

    # The admin reads the refused booking and the correction in the audit log.
    staff.get_by_role("button", name="Sign out").click()
    with live_server.session() as session:
        make_staff(session, role="admin", username="newquay-admin")
    staff_sign_in(staff, "newquay-admin")
    staff.get_by_role("link", name="Audit log").click()
    heading(staff, "Audit log")
    # (Other tests on this server are refused too: the row for this NHS number.)
    expect(staff.get_by_role("row").filter(has_text="Booking refused: the details did not match")
           .filter(has_text="999 001 0005")
           ).to_contain_text("The name given did not match the patient's record. Nothing was booked.")
    expect(staff.get_by_role("row").filter(has_text="Corrected a patient's name")).to_contain_text(
        "Name corrected from BROWN, Margaret to BROWN, Peggy. Reason: Prefers Peggy, deed poll seen")
    site.audit(staff, "audit log - refused and corrected")
