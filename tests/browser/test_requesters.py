"""The requester's pages in a real Chromium: ordering tests with the keyboard alone (every page and
error state checked by axe-core), the same without JavaScript, the list and a request's page,
cancelling, another practice's request being a 404, and the admin's organisation pages."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import submit_request
from booking_web.services.organisations import create_organisation, organisation_by_code
from shared.models import LabRequest
from shared.nhs_number import make_test_number
from tests.browser.pages import error_summary, expect_error, heading, proceed, staff_sign_in
from tests.browser.test_keyboard import Keyboard
from tests.conftest import NOW
from tests.factories import SETUP, make_requester, make_staff


def _practice(live_server, code: str, name: str, username: str) -> None:  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        seed_catalogue(session=session)
        if organisation_by_code(session=session, ods_code=code) is None:
            create_organisation(session=session, ods_code=code, name=name, actor=SETUP, now=NOW)
        make_requester(session, code, username=username)


def test_a_requester_orders_tests_with_the_keyboard_alone(site, live_server):
    _practice(live_server, "B82001", "Moor Surgery", "moor-gp")
    page = site.open()
    staff_sign_in(page, "moor-gp")
    heading(page, "Requests")
    site.audit(page, "requests, none yet")
    keys = Keyboard(page)
    keys.arrive()
    keys.press("a:New request", "Who is the request for?")
    keys.press("button:Continue", "Who is the request for?")  # nothing typed: every field says so
    assert len(error_summary(page)) == 4  # NHS number, first and last name, date of birth
    site.audit(page, "patient, empty")
    keys.arrive()
    nhs = make_test_number(881_000)
    keys.type_into("#nhs_number", nhs)
    keys.type_into("#given_name", "Zoë")
    keys.type_into("#family_name", "O'Brien-Smith")
    for part, value in (("#dob-day", "4"), ("#dob-month", "3"), ("#dob-year", "1948")):
        keys.type_into(part, value)
    keys.type_into("#postcode", "ls1 4ab")
    keys.type_into("#mobile", "07700 900 461")
    keys.press("button:Continue", "Which tests?")
    site.audit(page, "tests")
    keys.type_into("#q", "gluc")
    keys.press("button:Search", "Which tests?")
    expect(page.get_by_role("checkbox")).to_have_count(1)
    keys.tab_to("#tests")
    page.keyboard.press("Space")
    # Back to the search box (Shift+Tab), empty it, Enter: every test again, GLU still ticked.
    for _ in range(2):
        page.keyboard.press("Shift+Tab")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.press("Enter")
    heading(page, "Which tests?")
    expect(page.get_by_role("checkbox")).to_have_count(8)
    keys.arrive()
    expect(page.get_by_role("checkbox", name="Glucose (fasting) (GLU)")).to_be_checked()
    keys.tab_to("#tests")
    page.keyboard.press("Space")  # FBC, first in the list
    site.audit(page, "tests, two ticked")
    keys.press("button:Continue", "About the request")
    keys.press("button:Continue", "About the request")
    expect_error(page, "Choose routine or urgent", "urgency")
    expect_error(page, "Choose when the blood should be taken", "when")
    site.audit(page, "details, empty")
    expect(page.locator("main")).to_contain_text("The patient must fast: Glucose (fasting) needs it.")
    keys.arrive()
    keys.tab_to("#urgency")
    page.keyboard.press("ArrowDown")  # radios move with the arrow keys: Urgent
    expect(page.locator("#urgency-2")).to_be_checked()
    keys.choose("#when")
    keys.type_into("#clinical_details", "Tired all the time.")
    keys.press("button:Continue", "Check the request before sending it")
    site.audit(page, "check the request")
    expect(page.locator("main")).to_contain_text("Yes, the patient must fast")
    expect(page.locator("main")).to_contain_text("LS1 4AB")
    keys.press("button:Send request", "Request sent")
    site.audit(page, "request sent")
    with live_server.session() as session:
        req = session.exec(select(LabRequest).where(LabRequest.nhs_number == nhs)).one()
    expect(page.locator(".nhsuk-panel")).to_contain_text(req.request_number)
    assert (req.urgency, req.fasting, req.status) == ("urgent", True, "invited")

    page.goto(f"/staff/requests/{req.request_number}")
    heading(page, req.request_number)
    expect(page.locator("main")).to_contain_text("Invited")
    expect(page.locator("main")).to_contain_text("by text message")
    site.audit(page, "one request")
    proceed(page, "Cancel request")
    expect_error(page, "Enter why the request is cancelled", "reason")
    site.audit(page, "cancel without a reason")
    page.get_by_label("Why is the request cancelled?").fill("Taken at the hospital instead")
    proceed(page, "Cancel request")
    expect(page.locator("main")).to_contain_text("Taken at the hospital instead")
    site.audit(page, "cancelled")


def test_requests_without_javascript_and_another_practices_request(site, live_server):
    _practice(live_server, "B82002", "Dale Surgery", "dale-gp")
    _practice(live_server, "B82003", "Fell Surgery", "fell-gp")
    with live_server.session() as session:
        theirs = submit_request(session=session, nhs_number=make_test_number(882_000), tests=["FBC"],
                                requester="Dr Fell", organisation="B82003", now=NOW).request.request_number
    checked = site.open(width=390, height=844)
    staff_sign_in(checked, "dale-gp")
    response = checked.goto(f"/staff/requests/{theirs}")
    assert response is not None and response.status == 404
    heading(checked, "Page not found")
    site.audit(checked, "another practice's request")
    # The same requester on a phone with JavaScript off (axe needs JavaScript: screenshots here).
    page = site.open(javascript=False, width=390, height=844)
    staff_sign_in(page, "dale-gp")
    page.goto("/staff/requests/new")
    page.get_by_label("NHS number").fill(make_test_number(883_000))
    page.get_by_label("First name").fill("Aisha")
    page.get_by_label("Last name").fill("Rahman")
    page.get_by_label("Day").fill("15")
    page.get_by_label("Month").fill("6")
    page.get_by_label("Year").fill("1990")
    proceed(page)
    page.get_by_label("Search by test name or code").fill("thyroid")
    proceed(page, "Search")
    page.get_by_role("checkbox", name="Thyroid function (TSH)").check()
    proceed(page)
    page.get_by_role("radio", name="Routine").check()
    page.get_by_role("radio", name="In a number of weeks").check()
    page.get_by_label("In how many weeks?").fill("6")
    proceed(page)
    heading(page, "Check the request before sending it")
    expect(page.locator(".nhsuk-warning-callout")).to_contain_text("will not be invited")
    site.shot(page, "check without a contact, no javascript, phone")
    proceed(page, "Send request")
    heading(page, "Request sent")
    expect(page.locator("main")).to_contain_text("Give Aisha Rahman the request number")
    page.get_by_role("link", name="Requests", exact=True).click()
    expect(page.locator("main")).to_contain_text("1 request.")
    expect(page.locator("main")).not_to_contain_text(theirs)
    site.shot(page, "requests list, no javascript, phone")
    checked.goto("/staff/requests")
    site.audit(checked, "requests list, phone")
    # On a phone the list is blocks, each cell under its column's name: nothing scrolls sideways.
    assert checked.evaluate("document.documentElement.scrollWidth") <= 390
    expect(checked.locator(".phlebo-cell-label", has_text="Progress")).to_be_visible()


def test_an_admin_adds_an_organisation(site, live_server):
    with live_server.session() as session:
        make_staff(session, role="admin", username="org-admin")
    page = site.open()
    staff_sign_in(page, "org-admin")
    page.goto("/staff/admin")
    page.get_by_role("link", name="Requesting organisations (GP practices, clinics)").click()
    heading(page, "Requesting organisations")
    proceed(page, "Add organisation")
    expect_error(page, "Enter the organisation's ODS code", "ods_code")
    site.audit(page, "organisations, errors")
    page.get_by_label("ODS code").fill("c84001")
    page.get_by_label("Name").fill("Riverside Practice")
    proceed(page, "Add organisation")
    expect(page.locator("main")).to_contain_text("C84001")
    page.get_by_role("link", name="Riverside Practice").click()
    heading(page, "Riverside Practice")
    site.audit(page, "organisation")
