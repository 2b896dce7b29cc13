"""NHS login in a real browser against the simulated provider: a P9 patient sees "Your blood
tests", changes and cancels without a reference, signs out; a P5 patient is sent to the
reference; a tampered ID token gets the refusal page; inside the NHS App our header and footer
are hidden. Every page of ours is checked by axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from hardware_sim.nhs_login import SimNhsLogin
from tests.browser.conftest import LiveServer
from tests.browser.pages import AXE_FILE, AXE_URL, Patient, book_directly, heading, pick, proceed
from tests.conftest import NOW
from tests.nhs_login_sim import CLIENT_ID, client_key_file, start_sim

JOAN = Patient(given="Joan", family="Whitfield", dob=("14", "6", "1951"), nhs="9999800017")
AOIFE = Patient(given="Aoife", family="Ní Bhriain-Okafor", dob=("28", "2", "1987"),
                nhs="9999800025")


@pytest.fixture
def nhs_login(live_server: LiveServer, site, tmp_path) -> Iterator[SimNhsLogin]:  # type: ignore[no-untyped-def]
    """The simulated NHS login, and the live site pointed at it (undone by `site`)."""
    key_file, key = client_key_file(tmp_path)
    sim = start_sim(key, lambda: NOW)
    live_server.set(nhslogin_issuer=sim.issuer, nhslogin_client_id=CLIENT_ID,
                    nhslogin_private_key_file=key_file, public_url=live_server.url)
    yield sim
    sim.stop()


def _sign_in_at_provider(page, who: str) -> None:  # type: ignore[no-untyped-def]
    heading(page, "Sign in with a test user")
    page.get_by_role("button", name=f"Continue as {who}").click()


def test_p9_sees_their_blood_tests_changes_and_cancels_without_a_reference(
        site, live_server, nhs_login):
    reference = book_directly(live_server, site_name="Northgate Health Centre", day_index=4,
                              patient=JOAN)
    page = site.open(width=390, height=844)  # a phone
    page.goto("/nhs-login/start/manage")
    _sign_in_at_provider(page, "Joan Whitfield")
    heading(page, "Your blood tests")
    expect(page.locator("header")).to_contain_text("Joan Whitfield")
    expect(page.locator("main")).to_contain_text("Northgate Health Centre")
    assert "code=" not in page.url and "state=" not in page.url  # the callback moved on
    site.audit(page, "your blood tests")

    page.get_by_role("link", name="View, change or cancel").click()
    heading(page, "Your blood test appointment")
    expect(page.locator("main")).to_contain_text(reference)
    site.audit(page, "your appointment from nhs login")
    page.get_by_role("button", name="Change time or place").click()
    heading(page, "Where would you like to have your blood test?")
    pick(page, "Eastmoor Clinic")
    proceed(page)
    heading(page, "What day would you like to come?")
    pick(page)
    proceed(page)
    heading(page, "What time would you like to come?")
    pick(page)
    proceed(page)
    heading(page, "Check your new appointment")
    proceed(page, "Confirm new appointment")
    heading(page, "Your blood test appointment")
    expect(page.get_by_role("alert")).to_contain_text("Your appointment has been changed")

    page.get_by_role("link", name="Your blood tests").click()
    heading(page, "Your blood tests")
    expect(page.locator("main")).to_contain_text("Eastmoor Clinic")
    page.get_by_role("link", name="View, change or cancel").click()
    page.get_by_role("link", name="Cancel this appointment").click()
    heading(page, "Are you sure you want to cancel your appointment?")
    proceed(page, "Yes, cancel appointment")
    heading(page, "Your appointment has been cancelled")
    page.get_by_role("link", name="Your blood tests").click()
    expect(page.locator("main")).to_contain_text("You have no blood tests booked")
    expect(page.locator("main")).to_contain_text("Eastmoor Clinic")  # under earlier and cancelled
    site.audit(page, "your blood tests after cancelling")

    page.get_by_role("button", name="Sign out").click()
    heading(page, "You have signed out")
    expect(page.locator("header")).not_to_contain_text("Joan Whitfield")
    site.audit(page, "signed out")
    page.go_back()  # Back does not show the list again
    page.goto("/your-blood-tests")
    heading(page, "Find your booking")


def test_p5_is_sent_to_find_their_booking_by_reference(site, live_server, nhs_login):
    page = site.open()
    page.goto("/nhs-login/start/manage")
    _sign_in_at_provider(page, "Sam Taylor")
    heading(page, "Find your booking")
    expect(page.locator("header")).to_contain_text("Signed in with NHS login")
    expect(page.locator("header")).not_to_contain_text("Your blood tests")
    site.audit(page, "p5 find your booking")


def test_a_tampered_id_token_is_refused_with_a_clear_page(site, live_server, nhs_login):
    nhs_login.break_next_id_token("bad_signature")
    page = site.open()
    page.goto("/nhs-login/start/manage")
    _sign_in_at_provider(page, "Aoife Ní Bhriain-Okafor")
    heading(page, "We could not sign you in")
    expect(page.locator("main")).to_contain_text("Nothing has been booked or changed")
    expect(page.locator("header")).not_to_contain_text("Aoife")
    site.audit(page, "tampered id token")
    page.get_by_role("button", name="Try NHS login again").click()
    _sign_in_at_provider(page, "Aoife Ní Bhriain-Okafor")
    heading(page, "Your blood tests")
    expect(page.locator("header")).to_contain_text("Aoife Ní Bhriain-Okafor")


def test_inside_the_nhs_app_the_header_and_footer_are_hidden(site, browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844},
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 "
                   "nhsapp-ios/2.30.0")
    site.contexts.append(context)
    context.route("**" + AXE_URL, lambda route: route.fulfill(
        path=str(AXE_FILE), content_type="text/javascript"))
    page = context.new_page()
    page.goto("/")
    heading(page, "Book a blood test")
    expect(page.locator("header.nhsuk-header")).to_have_count(0)
    expect(page.locator("footer.nhsuk-footer")).to_have_count(0)
    site.audit(page, "inside the nhs app")
