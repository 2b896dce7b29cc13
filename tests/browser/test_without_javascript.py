"""The whole booking journey with JavaScript switched off in the browser: every page is a plain
form, so the patient gets to the confirmation, and errors still show."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import book, error_summary, heading, proceed


def test_book_without_javascript(site):
    page = site.open(javascript=False)
    page.goto("/book/type")
    heading(page, "What type of blood test do you need?")
    body = page.locator("body")
    expect(body).not_to_have_class("js-enabled")  # phlebo.js never ran
    proceed(page)
    assert "Select the type of blood test you need" in error_summary(page)
    site.shot(page, "no javascript error")
    expect(body).not_to_have_class("js-enabled")

    done = book(site, page, on_page=site.shot)
    heading(page, "Appointment booked")
    expect(page.locator(".nhsuk-panel")).to_contain_text(done.reference)
    expect(body).not_to_have_class("js-enabled")
    assert len(done.pages) == 14
