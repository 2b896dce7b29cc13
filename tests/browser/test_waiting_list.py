"""The waiting list a patient reaches from the confirmation page ('Ask to be told if an earlier
time comes free'), in a real browser with axe-core (WCAG 2.2 AA) on each page and error."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import book, error_summary, heading, nothing, proceed


def test_join_the_waiting_list_from_the_confirmation(site):
    page = site.open()
    done = book(site, page, on_page=nothing)
    page.get_by_role("link", name="Ask to be told if an earlier time comes free").click()
    # This browser has just booked it: the date of birth is not asked again.
    heading(page, "Where could you go for an earlier time?")
    # Another browser (a link from a message) finds the booking first.
    page = site.open()
    page.goto(f"/waiting-list/join?reference={done.reference}")
    heading(page, "Find your booking")
    site.audit(page, "waiting list - find your booking")
    page.get_by_label("Booking reference").fill("")
    proceed(page)
    assert "Enter your booking reference" in error_summary(page)
    site.audit(page, "waiting list - find your booking error")
    page.get_by_label("Booking reference").fill(done.reference)
    for label, value in zip(("Day", "Month", "Year"), ("17", "5", "1970"), strict=True):
        page.get_by_label(label, exact=True).fill(value)
    proceed(page)
    heading(page, "Where could you go for an earlier time?")
    site.audit(page, "waiting list - places")
    for box in page.get_by_role("checkbox").all():
        box.uncheck()
    proceed(page, "Join the waiting list")
    error_summary(page)
    site.audit(page, "waiting list - places error")
    page.get_by_role("checkbox").first.check()
    proceed(page, "Join the waiting list")
    expect(page.locator("main")).to_contain_text(done.reference)
    site.audit(page, "waiting list - joined")
