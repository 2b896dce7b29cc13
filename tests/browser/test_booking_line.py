"""The booking line in a real browser (issue 11 item 9): the start and lookup pages give the
number as a link a phone dials, with the opening hours, and every patient page's footer has it;
on a phone-sized screen, checked by axe-core (WCAG 2.2 AA) and screenshotted."""

from __future__ import annotations

from playwright.sync_api import expect

from shared.config import DEMO_BOOKING_PHONE, DEMO_BOOKING_PHONE_HOURS
from tests.browser.pages import heading


def test_the_booking_line_is_given_wherever_the_site_says_to_call(site):
    page = site.open(width=390, height=844)
    page.goto("/")
    heading(page, "Book a blood test")
    link = page.locator("main").get_by_role("link", name=DEMO_BOOKING_PHONE)
    expect(link).to_have_attribute("href", "tel:+441632960000")
    expect(page.locator("main")).to_contain_text(
        f"If you cannot use this service, call the booking line on {DEMO_BOOKING_PHONE} "
        f"({DEMO_BOOKING_PHONE_HOURS}).")
    expect(page.locator("footer")).to_contain_text(
        f"Need help? Call the booking line on {DEMO_BOOKING_PHONE} ({DEMO_BOOKING_PHONE_HOURS}).")
    site.audit(page, "start page")
    page.goto("/manage")
    heading(page, "Find your booking")
    expect(page.locator("main")).to_contain_text(
        f"If you have lost your booking reference, call the booking line on {DEMO_BOOKING_PHONE}")
    site.audit(page, "find your booking")
