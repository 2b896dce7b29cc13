"""Labels at the chair in a real browser: an admin sets up a site's chairs and label settings;
the patient checks in at the kiosk (API); the phlebotomist calls them to a chair, types a wrong
date of birth, then the right one, and sees where the labels print; a printer fault shows on the
today page. Every page and error state is checked by axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from pathlib import Path

from playwright.sync_api import expect
from sqlmodel import select

from booking_web.services import booking, print_queue
from booking_web.services.accounts import create_api_key
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import create_request
from hardware_sim import SimPrinterServer, VirtualPrinter
from shared.models import KeyKind, PrintJob
from shared.nhs_number import make_test_number
from tests.browser.pages import expect_error, far_site, heading, staff_sign_in
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_patient, make_staff, slots_of

TODAY = dt.date(2026, 11, 23)


def test_an_admin_sets_up_chairs_and_a_phlebotomist_prints_at_one(site, live_server, tmp_path):
    place = far_site(live_server, "Bodmin Chair Test Clinic")
    settings = dataclasses.replace(live_server.app.extensions["phlebo"].settings,
                                   min_notice_minutes=0)
    nhs = make_test_number(915_000)
    with live_server.session() as session:
        make_staff(session, role="admin", username="bodmin-admin")
        make_staff(session, role="phlebotomist", username="bodmin-chair-phleb", site_id=place.id)
        seed_catalogue(session=session)
        number = create_request(session=session, nhs_number=nhs, tests=["FBC", "GS"],
                                requester="Dr Example", api_key_id=None, now=NOW).request_number
        clinic = make_clinic(session, site=place, day=TODAY, start=dt.time(8), end=dt.time(10),
                             types=("adult",))
        appt = booking.book_appointment(
            session=session, slot_id=slots_of(session, clinic)[0].id, type_code="adult",  # type: ignore[arg-type]
            patient=make_patient(0, nhs_number=nhs, given_name="Kerensa", family_name="Trelawny"),
            now=NOW, settings=settings, request_number=number).appointment
        key = create_api_key(session=session, actor=SETUP, name="Kiosk Bodmin", kind=KeyKind.KIOSK,
                             site_id=place.id, now=NOW)
    with SimPrinterServer(VirtualPrinter(Path(tmp_path) / "chair", language="zpl")) as printer:
        page = site.open()
        staff_sign_in(page, "bodmin-admin")
        page.goto(f"/staff/admin/sites/{place.id}")
        page.get_by_role("link", name="Labels and chairs").click()
        heading(page, "Labels and chairs at Bodmin Chair Test Clinic")
        site.audit(page, "chairs, none yet")
        page.get_by_label("Chair or room name").fill("Chair 2")
        page.get_by_label("Label printer address").fill("lpt1:")
        page.get_by_role("button", name="Add chair").click()
        expect_error(page, "Unknown printer address", "printer_uri")
        site.audit(page, "chairs, a bad printer address")
        page.get_by_label("Label printer address").fill(printer.uri)
        page.get_by_role("button", name="Add chair").click()
        expect(page.get_by_role("status")).to_contain_text("Chair 2 saved.")
        page.get_by_role("radio", name="At the chair").check()
        page.get_by_label("Print transfusion labels at the chair").check()
        page.get_by_role("button", name="Save label settings").click()
        expect_error(page, "Enter who in the laboratory approved printed transfusion labels",
                     "transfusion_approved_by")
        site.audit(page, "label settings, no approver")
        page.get_by_label("Approved in the laboratory by").fill("Dr Jory Pascoe, transfusion lab")
        page.get_by_role("button", name="Save label settings").click()
        expect(page.get_by_role("status")).to_contain_text("Label settings saved.")
        expect(page.locator("main")).to_contain_text(
            "Printed transfusion labels approved by Dr Jory Pascoe, transfusion lab")
        site.audit(page, "chairs and label settings saved")

        kiosk = live_server.app.test_client()
        body = kiosk.post("/api/v1/kiosk/checkin", headers={"Authorization": f"Bearer {key}"},
                          json={"reference": appt.reference, "date_of_birth": "1970-05-17",
                                "request_id": str(uuid.uuid4())}).json
        assert body["labels"] == []

        phleb = site.open()
        staff_sign_in(phleb, "bodmin-chair-phleb")
        heading(phleb, "Today at Bodmin Chair Test Clinic")
        phleb.get_by_role("button", name="Call next to Chair 2").click()
        expect(phleb.get_by_role("status")).to_contain_text("Call number 1 to Chair 2")
        expect(phleb.get_by_role("row").filter(has_text="TRELAWNY")).to_contain_text(
            "Called 08:00 to Chair 2")
        site.audit(phleb, "today, called to a chair")
        phleb.get_by_role("link", name="TRELAWNY, Kerensa", exact=True).click()
        heading(phleb, "TRELAWNY, Kerensa")
        expect(phleb.get_by_label("Chair 2")).to_be_checked()
        site.audit(phleb, "patient, confirm who they are")
        printer.printer.set_paper_out(after=1)
        phleb.get_by_label("Day").fill("18")
        phleb.get_by_label("Month").fill("5")
        phleb.get_by_label("Year").fill("1970")
        phleb.get_by_role("button", name="Confirm and print labels").click()
        expect_error(phleb, "The date of birth does not match this booking", "dob-day")
        site.audit(phleb, "patient, date of birth does not match")
        phleb.get_by_label("Day").fill("17")
        phleb.get_by_role("button", name="Confirm and print labels").click()
        expect(phleb.get_by_role("status")).to_contain_text(
            "Identity confirmed. Labels are printing at Chair 2.")
        site.audit(phleb, "patient, labels printing at the chair")
        with live_server.session() as session:
            sent = print_queue.run_due_jobs(session=session, clock=lambda: NOW,
                                            settings=settings)
            # Only this patient's job: another test on the same server may have left one due.
            ours = set(session.exec(select(PrintJob.id).where(PrintJob.appointment_id == appt.id)))
        assert [s.status for s in sent if s.job_id in ours] == ["partial"]
        phleb.goto("/staff/today")
        expect(phleb.locator("#printer-faults")).to_contain_text(
            "Chair 2 printer: paper out: load a new label roll.")
        site.audit(phleb, "today, chair printer out of paper")
