"""Issue 12's whole loop with real parts: a GP requester orders FBC, UE and glucose in Chromium for
next week; the invitation lands in the local outbox; the patient follows its link in Chromium,
is offered only dates in the window and fasting times, and books; the real kiosk checks them in
and the simulated printer prints the labels; the phlebotomist records two tubes collected and one
not obtained; the requester's pages show every step with its time, and the specimen ids they
show are the barcodes decoded from the label images."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlmodel import select

from booking_web.notify.dispatch import send_due_messages
from booking_web.notify.senders import make_sender
from booking_web.services.organisations import create_organisation
from booking_web.services.qr import make_qr_payload
from kiosk_app.flow import Screen
from shared.models import Appointment, LabRequest, Site
from shared.references import format_reference
from shared.timeutil import format_date
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.conftest import ARRIVES_AT, BOOKED_AT, DAY, PASSWORD, World
from tests.e2e.helpers import (
    NHS_NUMBER,
    PATIENT,
    assert_each_label_printed_once,
    confirm_and_wait,
    on,
    scan_and_enter_dob,
    server_labels,
    wait_for_confirm,
)
from tests.factories import SETUP, make_clinic, make_requester

ORDERED_AT = BOOKED_AT - dt.timedelta(days=6)  # Monday 16 November: "in 1 week" is 23 to 29 November
COLLECTED_AT = ARRIVES_AT + dt.timedelta(minutes=12)
SEEN_AT = COLLECTED_AT + dt.timedelta(hours=2)


@pytest.fixture
def chromium() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the e2e loop needs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(chromium, world: World) -> Page:  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=world.url, viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    context.route("https://assets.nhs.uk/**", lambda route: route.abort())
    return context.new_page()


def _sign_in(page: Page, username: str) -> None:
    page.goto("/staff/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _proceed(page: Page, button: str = "Continue") -> None:
    page.get_by_role("button", name=button, exact=True).click()


def _arrive(page: Page, step: str) -> None:
    """Wait until the journey's page `step` has loaded: a click returns once the form is sent, and
    reading the next page's options before its document is parsed finds none (seen once under
    load: the time page read as having no times)."""
    expect(page).to_have_url(re.compile(rf"/{step}(\?|$)"))
    page.wait_for_load_state("domcontentloaded")


def _steps(where) -> list[str]:  # type: ignore[no-untyped-def]
    return [re.sub(r"\s+", " ", li).strip() for li in where.locator(".phlebo-steps li").all_inner_texts()]


def _order(page: Page) -> str:
    """The requester's new request, page by page; the request number."""
    page.goto("/staff/requests/new")
    page.get_by_label("NHS number").fill(NHS_NUMBER)
    page.get_by_label("First name").fill(PATIENT["given_name"])
    page.get_by_label("Last name").fill(PATIENT["family_name"])
    page.get_by_label("Day").fill("4")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("1957")
    page.get_by_label("Mobile").fill(PATIENT["mobile"])
    _proceed(page)
    for name in ("Full blood count (FBC)", "Urea and electrolytes (UE)", "Glucose (fasting) (GLU)"):
        page.get_by_role("checkbox", name=name).check()
    _proceed(page)
    expect(page.locator("main")).to_contain_text("The patient must fast: Glucose (fasting) needs it.")
    page.get_by_role("radio", name="Routine").check()
    page.get_by_role("radio", name="In a number of weeks").check()
    page.get_by_label("In how many weeks?").fill("1")
    _proceed(page)
    expect(page.locator("h1")).to_contain_text("Check the request before sending it")
    main = page.locator("main")
    expect(main).to_contain_text("Yes, the patient must fast")
    expect(main).to_contain_text(format_date(DAY))
    _proceed(page, "Send request")
    panel = page.locator(".nhsuk-panel")
    expect(panel).to_contain_text("RQ")
    match = re.search(r"RQ\d+", panel.inner_text())
    assert match, panel.inner_text()
    return match.group(0)


def _book(page: Page, link_path: str) -> None:
    """The patient, from the text message: date of birth, place, a date in the window, a time."""
    page.goto(link_path)
    page.get_by_label("Day").fill("4")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("1957")
    _proceed(page)
    page.get_by_label("Postcode").fill("LS1 3EX")
    _proceed(page)
    page.get_by_role("radio", name=re.compile("Leeds General")).check()
    _proceed(page)
    _arrive(page, "date")
    dates = [d.strip() for d in page.locator(".nhsuk-radios__label").all_inner_texts()]
    # Clinics on 23, 25 and 30 November: 30 November is after the window, so it is not offered.
    assert dates == [f"{format_date(DAY)} (tomorrow)", format_date(DAY + dt.timedelta(days=2))], dates
    page.get_by_role("radio", name=f"{format_date(DAY)} (tomorrow)").check()
    _proceed(page)
    _arrive(page, "time")
    times = [t.strip() for t in page.locator(".nhsuk-radios__label").all_inner_texts()]
    # A fasting test: the clinic runs 9 to 12, but only times up to half past ten are offered.
    assert times and times[0] == "9:00am" and times[-1] in ("10:20am", "10:30am"), times
    page.get_by_role("radio", name="9:00am").check()
    _proceed(page)
    expect(page.locator("main")).to_contain_text("Fasting blood test")
    _proceed(page, "Book appointment")
    expect(page.locator("h1")).to_contain_text("Appointment booked")


def test_a_gp_request_goes_round_the_whole_loop(qtbot, world, make_kiosk, chromium, artifacts):
    with world.session() as session:
        create_organisation(session=session, ods_code="B86042", name="Chapel Allerton Surgery", actor=SETUP,
                            now=ORDERED_AT)
        make_requester(session, "B86042", username="chapel-gp")
        site = world.site_id
    with world.session() as session:
        for day in (DAY + dt.timedelta(days=2), DAY + dt.timedelta(days=7)):
            make_clinic(session, site=session.get(Site, site), day=day,
                        start=dt.time(9), end=dt.time(12), chairs=3)

    # Monday 16 November: the GP orders, in Chromium.
    world.at(ORDERED_AT)
    gp = _page(chromium, world)
    _sign_in(gp, "chapel-gp")
    number = _order(gp)
    with world.session() as session:
        req = session.exec(select(LabRequest).where(LabRequest.request_number == number)).one()
        assert (req.earliest, req.latest, req.fasting, req.status) == (DAY, DAY + dt.timedelta(days=6), True,
                                                                       "invited")

    # The invitation goes out through the outbox; without Notify, into the local outbox folder.
    sent = send_due_messages(engine=world.engine, settings=world.settings, sender=make_sender(world.settings),
                             now=ORDERED_AT + dt.timedelta(minutes=1))
    assert sent.sent == 1, sent
    [message] = list((world.tmp / "outbox").glob("*-invite-sms.txt"))
    text = message.read_text()
    assert "Your GP practice has asked for a blood test. Book by Sunday 29 November 2026" in text
    assert "Whitfield" not in text and "Margaret" not in text and NHS_NUMBER not in text and "1957" not in text
    link = re.search(r"https?://\S+/r/(\S+)", text)
    assert link, text

    # Sunday 22 November: the patient books from the text message, in Chromium.
    world.at(BOOKED_AT)
    patient = _page(chromium, world)
    _book(patient, f"/r/{link.group(1)}")
    with world.session() as session:
        appt = session.exec(select(Appointment).where(Appointment.request_number == number)).one()
        assert appt.type_code == "fasting"
        qr = make_qr_payload(secret=world.settings.secret_key, appointment=appt)
        appointment_id = appt.id

    # Monday 23 November, 08:55: the kiosk checks them in and prints the labels.
    world.at(ARRIVES_AT)
    kiosk = make_kiosk()
    scan_and_enter_dob(qtbot, kiosk, qr)
    wait_for_confirm(qtbot, kiosk)
    confirm_and_wait(qtbot, kiosk)
    assert on(kiosk, Screen.RESULT), kiosk.controller.state
    kiosk.background.wait(5_000)

    class _Booking:  # what server_labels needs
        appointment_id = 0

    _Booking.appointment_id = appointment_id  # type: ignore[assignment]
    server = server_labels(world, _Booking)  # type: ignore[arg-type]
    printed = assert_each_label_printed_once(world, server)
    barcodes = [p.specimen_id for p in printed]
    assert len(barcodes) == 3 and sorted(barcodes) == sorted(server.ids)
    by_container = dict(zip(server.containers, server.ids, strict=True))
    assert set(by_container) == {"EDTA", "Serum gel (SST)", "Fluoride oxalate"}, by_container

    # 09:07: the phlebotomist records the EDTA and serum tubes collected, the glucose not obtained.
    world.at(COLLECTED_AT)
    staff = _page(chromium, world)
    _sign_in(staff, world.phlebotomist)
    staff.goto(f"/staff/today/{appointment_id}")
    for container, choice in (("EDTA", "Collected"), ("Serum gel (SST)", "Collected"),
                              ("Fluoride oxalate", "Not taken: could not obtain")):
        group = staff.get_by_role("group", name=re.compile(re.escape(by_container[container])))
        group.get_by_label(choice, exact=True).check()
    staff.get_by_role("button", name="Record collection").click()
    expect(staff.get_by_role("status")).to_contain_text("Recorded as collected.")

    # 11:07: the requester's list and the request's page show every step, with times.
    world.at(SEEN_AT)
    with world.session() as session:
        reference = format_reference(session.get(Appointment, appointment_id).reference)  # type: ignore[union-attr]
    expected = [
        "Waiting for booking 16 Nov 2026, 10:00: requested (routine)",
        "Invited 16 Nov 2026, 10:00: by text message",
        f"Booked 22 Nov 2026, 10:00: Monday 23 November 2026 at 9:00am, Leeds General ({reference})",
        "Checked in 23 Nov 2026, 08:55: queue number 1",
        "Collected 23 Nov 2026, 09:07: 2 of 3 tubes collected; not taken: Fluoride oxalate (could not obtain)"
        " (by Phlebotomist)",
    ]
    gp.goto("/staff/requests?status=collected")
    row = gp.get_by_role("row").filter(has_text=number)
    expect(row).to_have_count(1)
    assert _steps(row) == expected
    tube_lines = row.locator("ul.nhsuk-list li").all_inner_texts()
    listed = sorted(re.search(r"specimen (\d+)", line).group(1) for line in tube_lines)  # type: ignore[union-attr]
    assert listed == sorted(barcodes), (tube_lines, barcodes)
    gp.screenshot(path=str(artifacts / "request-loop-requests-list.png"), full_page=True)
    gp.goto(f"/staff/requests/{number}")
    main = gp.locator("main")
    assert _steps(main) == expected
    gp.screenshot(path=str(artifacts / "request-loop-requester.png"), full_page=True)
    cells = gp.locator("table.nhsuk-table tbody tr").all_inner_texts()
    shown = {re.match(r"\s*(\S+)", cell).group(1): cell for cell in cells}  # type: ignore[union-attr]
    assert sorted(shown) == sorted(barcodes), (shown, barcodes)  # the ids on the page are the barcodes
    assert "Collected" in shown[by_container["EDTA"]] and "Collected" in shown[by_container["Serum gel (SST)"]]
    assert "Not taken" in shown[by_container["Fluoride oxalate"]]
    assert "could not obtain" in shown[by_container["Fluoride oxalate"]].lower()
    with world.session() as session:
        req = session.exec(select(LabRequest).where(LabRequest.request_number == number)).one()
        assert req.status == "collected"
