"""Staff add a walk-in on the today page in a real browser (Chromium): the form opens from
"Add a walk-in", an empty or wrong form gets the error summary linked to its fields, a patient
with an open request gets a number and shows in the list as a walk-in, in the order Call next
calls; the same with the keyboard alone. Every state is checked by axe-core (WCAG 2.2 AA) and
screenshotted."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect
from sqlmodel import select

from booking_web.services.lab_requests import create_request
from booking_web.services.walk_ins import set_walk_ins
from shared.models import Site
from shared.nhs_number import make_test_number
from tests.browser.pages import STAFF_PASSWORD, expect_error, heading, staff_sign_in
from tests.browser.test_keyboard import Keyboard
from tests.browser.test_staff_today import arrive
from tests.conftest import NOW
from tests.factories import SETUP, SETUP_AT

DOB = dt.date(1970, 5, 17)


def walk_in_world(server, site_name: str, username: str, *, nhs_seed: int,  # type: ignore[no-untyped-def]
                  urgent: bool = False, printer: str = "") -> tuple[str, str]:
    """A site taking walk-ins with a booked patient checked in at the kiosk (number 1), and a
    second patient with an open request and no booking; their NHS number and name as staff
    pages write it."""
    booked = arrive(server, site_name, username, given="Amara", family="Okonkwo-Browne",
                    nhs_seed=nhs_seed, tests=("FBC",), printer=printer)
    nhs = make_test_number(nhs_seed + 7)
    with server.session() as session:
        site = session.exec(select(Site).where(Site.name == site_name)).one()
        set_walk_ins(session=session, actor=SETUP, now=SETUP_AT, site_id=site.id, cap=6)  # type: ignore[arg-type]
        create_request(session=session, nhs_number=nhs, tests=["FBC", "UE"], requester="Dr Example",
                       given_name="Tomasz", family_name="Wiśniewski-Hale", date_of_birth=DOB,
                       urgency="urgent" if urgent else "routine", api_key_id=None, now=NOW)
    assert booked.name == "OKONKWO-BROWNE, Amara"
    return nhs, "WIŚNIEWSKI-HALE, Tomasz"


def open_form(page: Page) -> None:
    page.get_by_text("Add a walk-in", exact=True).click()
    expect(page.get_by_label("NHS number", exact=True)).to_be_visible()


def test_staff_add_a_walk_in_with_errors_first(site, live_server, artifacts):
    nhs, name = walk_in_world(live_server, "Lostwithiel Walk-in Test Clinic", "lostwithiel-walkin",
                              nhs_seed=970_000, urgent=True, printer=f"file://{artifacts / 'printer.bin'}")
    page = site.open()
    staff_sign_in(page, "lostwithiel-walkin")
    heading(page, "Today at Lostwithiel Walk-in Test Clinic")
    expect(page.locator("#add-walk-in")).not_to_have_attribute("open", "")
    open_form(page)
    site.audit(page, "today, add a walk-in open")

    page.get_by_role("button", name="Add walk-in").click()
    expect_error(page, "Enter their NHS number, or their name and postcode", "nhs_number")
    expect_error(page, "Enter their date of birth", "dob-day")
    expect(page.get_by_label("NHS number", exact=True)).to_be_visible()  # the form stays open to fix
    site.audit(page, "add a walk-in, empty")

    page.get_by_label("First name").fill("Tomasz")
    page.get_by_role("button", name="Add walk-in").click()
    expect_error(page, "Enter their last name, or their NHS number", "family_name")
    expect(page.get_by_label("First name")).to_have_value("Tomasz")  # what was typed is kept
    site.audit(page, "add a walk-in, name only")
    page.get_by_label("First name").fill("")
    page.get_by_label("NHS number", exact=True).fill(nhs)
    page.get_by_label("Day").fill("18")
    page.get_by_label("Month").fill("5")
    page.get_by_label("Year").fill("1970")
    page.get_by_role("button", name="Add walk-in").click()
    expect_error(page, "No patient record matches those details")
    site.audit(page, "add a walk-in, no such patient")

    page.get_by_label("Day").fill("17")
    page.get_by_role("button", name="Add walk-in").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"Walk-in added: number 2, {name}. Their labels are queued for the site's label printer.")
    heading(page, "Today at Lostwithiel Walk-in Test Clinic")
    rows = page.locator("#today-list tbody tr")
    # The urgent walk-in is called before the patient who booked: the list says so by its order.
    expect(rows.nth(0)).to_contain_text(name)
    expect(rows.nth(0)).to_contain_text("Walk-in arrived 08:00")
    expect(rows.nth(0)).to_contain_text("Urgent")
    expect(rows.nth(1)).to_contain_text("OKONKWO-BROWNE, Amara")
    open_form(page)
    expect(page.get_by_label("NHS number", exact=True)).to_have_value("")  # a new, empty form
    site.audit(page, "today with a walk-in")

    page.get_by_role("button", name="Call next patient").click()
    expect(page.get_by_role("status")).to_contain_text(f"Call number 2: {name}. Urgent request.")


def test_add_a_walk_in_with_the_keyboard_alone(site, live_server):
    nhs, name = walk_in_world(live_server, "Fowey Walk-in Test Clinic", "fowey-walkin", nhs_seed=980_000)
    page = site.open()
    keys = Keyboard(page)
    page.goto("/staff/sign-in")
    keys.arrive()
    keys.type_into("#username", "fowey-walkin")
    keys.type_into("#password", STAFF_PASSWORD)
    keys.press("button:Sign in", "Today at Fowey Walk-in Test Clinic")
    keys.tab_to("summary:Add a walk-in")
    page.keyboard.press("Enter")
    expect(page.get_by_label("NHS number", exact=True)).to_be_visible()
    # The form's fields in reading order, each reached by Tab with visible focus.
    keys.arrive()
    wanted = ["#nhs_number", "#given_name", "#family_name", "#postcode", "#dob-day", "#dob-month",
              "#dob-year", "button:Add walk-in"]
    start = keys.order.index("summary:Add a walk-in") + 1
    assert keys.order[start:start + len(wanted)] == wanted, keys.order
    page.focus("summary")
    for target, text in zip(wanted, (nhs, "", "", "", "17", "5", "1970", None), strict=True):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id || document.activeElement.tagName") == (
            target[1:] if target.startswith("#") else "BUTTON")
        if text:
            page.keyboard.type(text)
    page.keyboard.press("Enter")
    heading(page, "Today at Fowey Walk-in Test Clinic")
    expect(page.get_by_role("status").first).to_contain_text(f"Walk-in added: number 2, {name}.")
    expect(page.locator("#today-list tbody tr").filter(has_text=name)).to_contain_text("Walk-in arrived")
    site.shot(page, "keyboard walk-in added")
