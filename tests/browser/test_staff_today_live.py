"""The today page as the phlebotomist keeps it open all session (issue 11, item 11), in
Chromium: it refreshes itself keeping scroll and focus (a refresh link without JavaScript), fits
a 390-px phone with the hand-label warning in view, and flags a patient who said "not me" at the
kiosk and one not arrived 15 minutes past their time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass

from playwright.sync_api import Page, expect

from booking_web.services import booking
from booking_web.services.accounts import create_api_key
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import create_request
from shared.models import KeyKind
from shared.nhs_number import make_test_number
from tests.browser.pages import far_site, heading, staff_sign_in
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_patient, make_staff, slots_of

TODAY = dt.date(2026, 11, 23)  # NOW's London day; NOW is 08:00
DOB = dt.date(1970, 5, 17)


@dataclass
class Clinic:
    """A staff-test site running today: who works there, and its kiosk."""

    username: str
    kiosk: dict[str, str]  # the kiosk's Authorization header
    references: list[str]


def clinic_today(server, name: str, username: str, *, patients: int, seed: int,  # type: ignore[no-untyped-def]
                 hand_label_first: bool = False, family: str = "Pengelly") -> Clinic:
    """A site with a clinic 08:00-11:00 (one chair every 10 minutes), a phlebotomist, a kiosk,
    and `patients` booked from 08:00 on (`family`-A, -B, ...); the first with a group and save
    if asked."""
    site = far_site(server, name)
    settings = dataclasses.replace(server.app.extensions["phlebo"].settings, min_notice_minutes=0)
    with server.session() as session:
        make_staff(session, role="phlebotomist", username=username, site_id=site.id)
        clinic = make_clinic(session, site=site, day=TODAY, start=dt.time(8), end=dt.time(11),
                             chairs=1, types=("adult",))
        slots = slots_of(session, clinic)
        references = []
        for i in range(patients):
            nhs = make_test_number(seed + 10 * i)
            request_number = None
            if hand_label_first and i == 0:
                seed_catalogue(session=session)
                request_number = create_request(
                    session=session, nhs_number=nhs, tests=["FBC", "GS"], requester="Dr Example",
                    api_key_id=None, now=NOW).request_number
            appt = booking.book_appointment(
                session=session, slot_id=slots[i].id, type_code="adult", now=NOW,  # type: ignore[arg-type]
                settings=settings, request_number=request_number,
                patient=make_patient(i, nhs_number=nhs, family_name=f"{family}-{chr(65 + i)}",
                                     given_name="Morwenna", date_of_birth=DOB)).appointment
            references.append(appt.reference)
        key = create_api_key(session=session, actor=SETUP, name=f"Kiosk {name}", kind=KeyKind.KIOSK,
                             site_id=site.id, now=NOW)
    return Clinic(username, {"Authorization": f"Bearer {key}"}, references)


def check_in(server, clinic: Clinic, index: int, *, partial: bool = False) -> None:  # type: ignore[no-untyped-def]
    """The patient checks in at the kiosk and every label prints (or, partial, the last may
    not have)."""
    kiosk = server.app.test_client()
    body = kiosk.post("/api/v1/kiosk/checkin", headers=clinic.kiosk, json={
        "reference": clinic.references[index], "date_of_birth": DOB.isoformat(),
        "request_id": str(uuid.uuid4())}).json
    assert "queue_number" in body, body
    results = [{"specimen_id": label["specimen_id"], "outcome": "confirmed"}
               for label in body["labels"]]
    if partial:
        results[-1]["outcome"] = "unconfirmed"
    kiosk.post(f"/api/v1/kiosk/print-jobs/{body['print_job']['id']}", headers=clinic.kiosk,
               json={"results": results, "printer_status": "fault" if partial else "ok",
                     "detail": "Paper jam" if partial else ""})


def row_of(page: Page, family: str):  # type: ignore[no-untyped-def]
    """The queue row of a patient."""
    return page.get_by_role("row").filter(has_text=f"{family.upper()}, Morwenna")


def test_the_today_page_fits_a_phone_with_the_hand_label_warning_in_view(site, live_server):
    """A long double-barrelled name, labels that did not all print and a tube to hand-label:
    the five columns of a desktop table no longer fit 390 px, so each patient is stacked."""
    clinic = clinic_today(live_server, "Helston Today Test Clinic", "helston-phleb", patients=3,
                          seed=930_000, hand_label_first=True, family="Trevithick-Angove")
    check_in(live_server, clinic, 0, partial=True)
    page = site.open(width=390, height=844)
    staff_sign_in(page, clinic.username)
    heading(page, "Today at Helston Today Test Clinic")
    warning = page.get_by_text("Hand-label at the chair: Group and save")
    expect(warning).to_be_visible()
    box = warning.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert box["height"] < 80, f"the warning is squeezed to a word a line: {box}"
    widest = page.evaluate("document.documentElement.scrollWidth")
    assert widest <= 390, f"the page is {widest} px wide on a 390-px phone"
    row = row_of(page, "Trevithick-Angove-A")
    for shown in ("No.", "1", "Booked for", "08:00", "Status", "Waiting", "Labels",
                  "Failed: check labels"):
        expect(row).to_contain_text(shown)
    site.audit(page, "today on a phone")


def test_a_patient_who_said_not_me_and_one_not_arrived_are_flagged(site, live_server):
    clinic = clinic_today(live_server, "Camborne Today Test Clinic", "camborne-phleb", patients=3,
                          seed=940_000)
    kiosk = live_server.app.test_client()
    said = kiosk.post("/api/v1/kiosk/not-me", headers=clinic.kiosk, json={
        "reference": clinic.references[2], "date_of_birth": DOB.isoformat()})
    assert said.status_code == 200, said.json
    # 08:25: the 08:00 patient (B is at 08:10) is 25 minutes past their time and has not come.
    live_server.app.extensions["phlebo"].clock = lambda: NOW + dt.timedelta(minutes=25)
    page = site.open()
    staff_sign_in(page, clinic.username)
    heading(page, "Today at Camborne Today Test Clinic")
    expect(row_of(page, "Pengelly-A")).to_contain_text("Not arrived, 25 minutes past their time")
    expect(row_of(page, "Pengelly-B")).to_contain_text("Not arrived, 15 minutes past their time")
    expect(row_of(page, "Pengelly-C")).to_contain_text(
        'Said "not me" at the kiosk at 08:00: check who they are')
    expect(row_of(page, "Pengelly-C")).not_to_contain_text("past their time")  # 08:20: 5 late
    site.audit(page, "today, flags")
    page.get_by_role("link", name="PENGELLY-C, Morwenna").click()
    expect(page.locator("main")).to_contain_text('Said "not me" at the kiosk at 08:00')


def test_the_list_refreshes_itself_keeping_scroll_and_focus(site, live_server):
    clinic = clinic_today(live_server, "Hayle Today Test Clinic", "hayle-phleb", patients=12,
                          seed=950_000)
    page = site.open(width=390, height=600)
    page.clock.install(time=dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC))
    staff_sign_in(page, clinic.username)
    heading(page, "Today at Hayle Today Test Clinic")
    last = page.get_by_role("link", name="PENGELLY-L, Morwenna")
    last.focus()
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 500  # twelve rows stacked on a phone: well down the page
    expect(row_of(page, "Pengelly-A")).to_contain_text("Not arrived")

    check_in(live_server, clinic, 0)  # meanwhile, at the kiosk
    page.clock.run_for(10_000)  # the page asks for every 20 seconds: not yet
    page.wait_for_timeout(300)
    expect(row_of(page, "Pengelly-A")).to_contain_text("Not arrived")
    page.clock.run_for(11_000)
    expect(row_of(page, "Pengelly-A")).to_contain_text("Waiting")
    assert page.evaluate("window.scrollY") == scrolled
    assert page.evaluate("document.activeElement.textContent.trim()") == "PENGELLY-L, Morwenna"
    assert page.evaluate("document.activeElement.isConnected")
    site.shot(page, "refreshed, still at the bottom")

    check_in(live_server, clinic, 1)
    page.clock.run_for(21_000)
    expect(row_of(page, "Pengelly-B")).to_contain_text("Waiting")


def test_without_javascript_the_list_has_a_refresh_link(site, live_server):
    clinic = clinic_today(live_server, "Porthleven Today Test Clinic", "porthleven-phleb",
                          patients=1, seed=960_000)
    page = site.open(javascript=False)
    staff_sign_in(page, clinic.username)
    heading(page, "Today at Porthleven Today Test Clinic")
    expect(page.locator("main")).to_contain_text("List as at 08:00:00.")
    expect(row_of(page, "Pengelly-A")).to_contain_text("Not arrived")
    check_in(live_server, clinic, 0)
    page.get_by_role("link", name="Refresh the list").click()
    expect(row_of(page, "Pengelly-A")).to_contain_text("Waiting")
    site.shot(page, "refreshed by the link")
