"""The phlebotomist's day in a real browser: a patient checked in at the kiosk (through the kiosk
API) whose labels did not all print, called, opened, a label reprinted (with a reason, marked
REPRINT, queued for the print worker and the site's printer, followed on the page as it prints,
and as a PDF) up to the cap, and the blood marked collected; then
the admin reads the audit log. Also the same with the keyboard alone. Every page and error state
is checked by axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from dataclasses import dataclass

import pypdfium2 as pdfium
from playwright.sync_api import Page, expect
from sqlmodel import select

from booking_web.services import booking, print_queue
from booking_web.services.accounts import create_api_key
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import create_request
from shared.models import KeyKind, PrintJob, SitePrinter
from shared.nhs_number import format_nhs_number, make_test_number
from tests.browser.pages import STAFF_PASSWORD, error_summary, expect_error, far_site, heading, staff_sign_in
from tests.browser.test_keyboard import Keyboard
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_patient, make_staff, slots_of

TODAY = dt.date(2026, 11, 23)  # NOW's London day; NOW is 08:00


@dataclass
class Arrival:
    """A patient checked in at the kiosk of a staff-test site, and who works there."""

    username: str
    name: str  # as the staff pages write it: 'FAMILY, Given'
    nhs: str
    specimens: list[str]


def arrive(server, site_name: str, username: str, *, given: str, family: str, nhs_seed: int,  # type: ignore[no-untyped-def]
           printer: str = "", tests: tuple[str, ...] = (), partial: bool = False) -> Arrival:
    """A site with a clinic now, a phlebotomist, and a patient booked for 08:00 who checks in at
    the kiosk (the kiosk API, with a kiosk key); the kiosk then reports its print: every label
    printed, or (partial) the first printed and the second perhaps not."""
    site = far_site(server, site_name)
    settings = dataclasses.replace(server.app.extensions["phlebo"].settings, min_notice_minutes=0)
    nhs = make_test_number(nhs_seed)
    with server.session() as session:
        make_staff(session, role="phlebotomist", username=username, site_id=site.id)
        if printer:
            session.add(SitePrinter(site_id=site.id, uri=printer))  # type: ignore[arg-type]
            session.commit()
        request_number = None
        if tests:
            seed_catalogue(session=session)
            request_number = create_request(session=session, nhs_number=nhs, tests=list(tests),
                                            requester="Dr Example", api_key_id=None,
                                            now=NOW).request_number
        clinic = make_clinic(session, site=site, day=TODAY, start=dt.time(8), end=dt.time(10),
                             types=("adult",))
        appt = booking.book_appointment(
            session=session, slot_id=slots_of(session, clinic)[0].id, type_code="adult",  # type: ignore[arg-type]
            patient=make_patient(0, nhs_number=nhs, given_name=given, family_name=family),
            now=NOW, settings=settings, request_number=request_number).appointment
        key = create_api_key(session=session, actor=SETUP, name=f"Kiosk {site_name}", kind=KeyKind.KIOSK,
                             site_id=site.id, now=NOW)
    kiosk = server.app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    body = kiosk.post("/api/v1/kiosk/checkin", headers=headers, json={
        "reference": appt.reference, "date_of_birth": "1970-05-17",
        "request_id": str(uuid.uuid4())}).json
    ids = [label["specimen_id"] for label in body["labels"]]
    outcomes = ["confirmed"] * len(ids)
    if partial:
        outcomes[1] = "unconfirmed"
    reported = kiosk.post(f"/api/v1/kiosk/print-jobs/{body['print_job']['id']}", headers=headers,
                          json={"results": [{"specimen_id": s, "outcome": o}
                                            for s, o in zip(ids, outcomes, strict=True)],
                                "printer_status": "fault" if partial else "ok",
                                "detail": "Paper jam" if partial else ""})
    assert reported.status_code == 200, reported.json
    return Arrival(username, f"{family.upper()}, {given}", nhs, ids)


def pdf_text(pdf: bytes) -> str:
    """The text of every page of a PDF."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return "".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def run_print_worker(server, when: dt.datetime = NOW) -> list[print_queue.Sent]:  # type: ignore[no-untyped-def]
    """One round of `phlebo print-worker` beside the live server, at `when`."""
    with server.session() as session:
        return print_queue.run_due_jobs(session=session, clock=lambda: when,
                                        settings=server.app.extensions["phlebo"].settings)


def labels_table(page: Page):  # type: ignore[no-untyped-def]
    """The patient's labels (the table with a Reprint form per label)."""
    return page.get_by_role("table", name="Labels for this patient")


def reprint(page: Page, specimen: str, reason: str, other: str = "",
            checked_printer: bool = False) -> None:
    """Choose a reason (its words; "" chooses none), say why for Other, say the printer was
    checked (a label that may have printed), press Reprint in one label's row."""
    row = labels_table(page).get_by_role("row").filter(has_text=specimen)
    if checked_printer:
        row.get_by_label(re.compile("^I have checked the printer and this label is not on it"
                                    )).check()
    if reason:
        group = row.get_by_role("group", name="Reason for reprint")
        group.get_by_label(re.compile(f"^{re.escape(reason)} label")).check()
    if other:
        row.get_by_label("If other, why?").fill(other)
    row.get_by_role("button", name="Reprint").click()


def test_a_phlebotomist_calls_reprints_and_collects(site, live_server, artifacts):
    printer = artifacts / "printer.bin"
    patient = arrive(live_server, "Penzance Staff Test Clinic", "penzance-phleb",
                     given="Amara", family="Okonkwo-Browne", nhs_seed=910_000,
                     printer=f"file://{printer}", tests=("FBC", "UE", "GS"), partial=True)
    label = patient.specimens[1]  # the one the kiosk may not have printed
    page = site.open()
    staff_sign_in(page, patient.username)
    heading(page, "Today at Penzance Staff Test Clinic")
    expect(page.locator("#label-alerts")).to_contain_text(
        f"Number 1, {patient.name}: labels partial (Paper jam)")
    row = page.get_by_role("row").filter(has_text=patient.name)
    expect(row).to_contain_text("Waiting")
    expect(row).to_contain_text("Hand-label at the chair: Group and save")
    site.audit(page, "today, labels did not all print")

    page.get_by_role("button", name="Call next patient").click()
    expect(page.get_by_role("status")).to_contain_text(f"Call number 1: {patient.name}.")
    expect(row).to_contain_text("Called 08:00")
    site.audit(page, "today, patient called")

    page.get_by_role("link", name=patient.name, exact=True).click()
    heading(page, patient.name)
    details = page.locator(".nhsuk-summary-list")
    for shown in ("17-May-1970", format_nhs_number(patient.nhs), "08:00, Adult blood test",
                  "checked in, number 1", "Partial: not every label printed."):
        expect(details).to_contain_text(shown)
    site.audit(page, "patient")
    stale = page.context.new_page()  # the same patient open in a second tab, from before
    stale.goto(page.url)

    reprint(page, label, "")
    expect_error(page, "Select why the label is reprinted", f"reason-{label}")
    site.audit(page, "reprint without a reason")
    reprint(page, label, "Other")
    expect_error(page, "Enter why the label is reprinted", f"reason-other-{label}")
    reprint(page, label, "Other", "Smudged in the tray")
    # The kiosk could not confirm this label: it may be on the printer, so staff look first.
    expect_error(page, "Check the printer, then confirm this label is not on it",
                 f"checked-printer-{label}")
    site.audit(page, "reprint of a label that may have printed")
    reprint(page, label, "Other", "Smudged in the tray", checked_printer=True)
    expect(page.get_by_role("status")).to_contain_text(
        f"Reprint recorded (marked REPRINT). Label {label} is queued for the site's label "
        "printer")
    reprints = page.locator("#reprint-jobs")
    expect(reprints).to_contain_text("Queued Waiting to print on the site's label printer.")
    site.audit(page, "reprint queued")
    assert not printer.exists()  # the web request printed nothing: the print worker does
    assert "printed" in [s.status for s in run_print_worker(live_server)]
    # The page follows the job by itself (no reload): the worker printed it.
    expect(reprints).to_contain_text("Printed On the site's label printer, 08:00.",
                                     timeout=15_000)
    site.audit(page, "reprinted once")
    pdf = page.request.get(reprints.get_by_role("link", name=re.compile(f"^PDF of the reprint "
                                                                        f"of label {label}"))
                           .get_attribute("href") or "")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert "REPRINT" in pdf_text(pdf.body()) and label in pdf_text(pdf.body())
    assert printer.stat().st_size > 1000  # the label went to the site's printer too

    reprint(page, label, "Damaged, creased or smudged")
    expect(labels_table(page).get_by_role("row").filter(has_text=label)).to_contain_text(
        "Reprinted 2 times: no more reprints.")
    assert "printed" in [s.status for s in run_print_worker(live_server)]
    # The old tab still shows the form as it was before any reprint: it gets the reprint made
    # since, not another label.
    reprint(stale, label, "Barcode will not scan")
    expect(stale.get_by_role("status")).to_contain_text(
        f"Label {label} was already sent for reprinting: no second copy was made.")
    site.audit(stale, "reprint from an old tab")
    stale.close()
    with live_server.session() as session:
        assert len(session.exec(select(PrintJob).where(
            PrintJob.source == "staff", PrintJob.requested_by == patient.username)).all()) == 2

    # Each labelled tube is recorded: collected, or not taken and why (the request needs it).
    page.get_by_role("button", name="Record collection").click()
    assert len(error_summary(page)) == 2  # the EDTA and serum tubes: nothing said about either
    site.audit(page, "collection with no tube recorded")
    for radio in page.get_by_role("radio", name="Collected", exact=True).all():
        radio.check()
    page.get_by_role("button", name="Record collection").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded as collected.")
    expect(details).to_contain_text("collected, number 1, collected 08:00 by Phlebotomist")
    expect(page.get_by_role("button", name="Record collection")).to_have_count(0)
    site.audit(page, "collected")
    page.get_by_role("link", name="Back to today").click()
    expect(row).to_contain_text("Collected 08:00 by Phlebotomist")

    # The admin reads who reprinted what, and why.
    page.get_by_role("button", name="Sign out").click()
    with live_server.session() as session:
        make_staff(session, role="admin", username="penzance-admin")
    staff_sign_in(page, "penzance-admin")
    page.get_by_role("link", name="Audit log").click()
    heading(page, "Audit log")
    page.get_by_label("Show").select_option(label="Reprinted labels")
    page.get_by_role("button", name="Apply filter").click()
    for n, reason in ((1, "Other: Smudged in the tray"), (2, "Damaged, creased or smudged")):
        expect(page.get_by_role("row").filter(has_text=f"{label} ({n} of 2): {reason}")
               ).to_contain_text(patient.username)
    site.audit(page, "audit log, reprints")


def test_sign_in_call_and_collect_with_the_keyboard_alone(site, live_server):
    patient = arrive(live_server, "St Ives Staff Test Clinic", "stives-phleb",
                     given="Wiremu", family="Tane-Harris", nhs_seed=920_000)
    page = site.open()
    keys = Keyboard(page)
    page.goto("/staff/sign-in")
    keys.arrive()
    keys.type_into("#username", patient.username)
    keys.type_into("#password", STAFF_PASSWORD)
    keys.press("button:Sign in", "Today at St Ives Staff Test Clinic")
    keys.press("button:Call next patient", "Today at St Ives Staff Test Clinic")
    expect(page.get_by_role("status")).to_contain_text(f"Call number 1: {patient.name}.")
    keys.press(f"a:{patient.name}", patient.name)
    site.shot(page, "keyboard patient")
    keys.press("button:Blood taken: mark collected", patient.name)
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("collected 08:00 by Phlebotomist")
    site.shot(page, "keyboard collected")
