"""The staff sign-in and the admin pages in a real browser: wrong password then right, a
phlebotomist refused the admin pages, and an admin setting up a site, its clinics, a closed day
and a test, then reading the outbox; every page and error state checked by axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.pages import (
    book_directly,
    error_summary,
    expect_error,
    far_site,
    heading,
    proceed,
    staff_sign_in,
)
from tests.factories import make_staff


def test_sign_in_wrong_password_then_right_and_a_phlebotomist_is_refused_admin(site, live_server):
    home = far_site(live_server, "Bodmin Staff Test Clinic")
    with live_server.session() as session:
        make_staff(session, role="phlebotomist", username="bodmin-phleb", site_id=home.id)
    page = site.open()
    page.goto("/staff/today")  # not signed in: sent to sign in, and back here after
    heading(page, "Sign in")
    site.audit(page, "sign in")
    staff_sign_in(page, "bodmin-phleb", "not the password")
    expect_error(page, "Enter a correct username and password", "username")
    expect(page.get_by_label("Password")).to_have_value("")  # never sent back to the browser
    expect(page.get_by_label("Username")).to_have_value("bodmin-phleb")
    site.audit(page, "sign in wrong password")

    page.get_by_label("Password").fill("correct horse battery")
    proceed(page, "Sign in")
    heading(page, "Today at Bodmin Staff Test Clinic")
    expect(page.locator("main")).to_contain_text("No bookings today.")
    expect(page.get_by_role("navigation", name="Staff pages")).not_to_contain_text("Admin")
    site.audit(page, "today, nobody booked")

    for path in ("/staff/admin", "/staff/admin/sites"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        heading(page, "You cannot see this page")
        expect(page.locator("main")).to_contain_text("This page is for admins only.")
    site.audit(page, "admin page refused")
    page.get_by_role("link", name="Go to today's queue").click()
    heading(page, "Today at Bodmin Staff Test Clinic")

    response = page.goto("/staff/today/999999")
    assert response is not None and response.status == 404
    heading(page, "Page not found")
    site.audit(page, "patient not found")

    page.get_by_role("button", name="Sign out").click()
    heading(page, "Sign in")
    assert page.goto("/staff/today") and page.url.endswith("/staff/sign-in?next=/staff/today")


def test_a_phlebotomist_refused_the_outbox_gets_the_staff_page(site, live_server):
    home = far_site(live_server, "Redruth Staff Test Clinic")
    with live_server.session() as session:
        make_staff(session, role="phlebotomist", username="redruth-phleb", site_id=home.id)
    page = site.open()
    staff_sign_in(page, "redruth-phleb")
    heading(page, "Today at Redruth Staff Test Clinic")
    response = page.goto("/staff/outbox/")
    assert response is not None and response.status == 403
    site.shot(page, "outbox refused")
    assert page.locator("h1").inner_text() == "You cannot see this page"  # no wait: it is there


def _clinic_form(page, *, site_name: str, first: str, last: str, start: str, end: str,  # type: ignore[no-untyped-def]
                 days: tuple[str, ...]) -> None:
    page.get_by_label("Site", exact=True).select_option(label=site_name)
    for legend, day in (("First day", first), ("Last day", last)):
        group = page.get_by_role("group", name=legend)
        for box, value in zip(("Day", "Month", "Year"), day.split(), strict=True):
            group.get_by_label(box, exact=True).fill(value)
    for day in days:
        page.get_by_label(day, exact=True).check()
    page.get_by_label("Start time").fill(start)
    page.get_by_label("End time").fill(end)
    page.get_by_label("Adult blood test").check()


def test_admin_sets_up_a_site_clinics_a_closed_day_and_a_test(site, live_server, artifacts):
    with live_server.session() as session:
        make_staff(session, role="admin", username="browser-admin")
    name = "Truro Staff Test Clinic"
    page = site.open()
    staff_sign_in(page, "browser-admin")
    heading(page, "Admin")
    site.audit(page, "admin home")

    # A site: the form's errors first, then added.
    page.get_by_role("link", name="Sites", exact=True).click()
    heading(page, "Sites")
    site.audit(page, "sites")
    proceed(page, "Add site")
    items = error_summary(page)
    assert items[:2] == ["Enter the site name (up to 120 characters)",
                         "Enter the address (up to 300 characters)"], items
    site.audit(page, "sites, add errors")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Address", exact=True).fill("3 Lemon Street, Truro")
    page.get_by_label("Postcode", exact=True).fill("TR1 2LZ")
    page.get_by_label("Latitude").fill("50.2630")
    page.get_by_label("Longitude").fill("-5.0520")
    page.get_by_label("Access notes").fill("Step-free entrance on Lemon Street.")
    proceed(page, "Add site")
    expect(page.get_by_role("status")).to_contain_text(f"Added {name}.")
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()

    # Clinic sessions: the end before the start and no weekday chosen, then two sessions.
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Clinic sessions").click()
    heading(page, "Clinic sessions")
    site.audit(page, "clinic sessions")
    _clinic_form(page, site_name=name, first="30 11 2026", last="4 dec 2026", start="12pm",
                 end="9am", days=())
    proceed(page, "Create sessions")
    expect_error(page, "Choose at least one day of the week", "weekdays")
    expect_error(page, "The end time must be after the start time", "end_time")
    site.audit(page, "clinic sessions errors")
    page.get_by_label("Start time").fill("9am")
    page.get_by_label("End time").fill("12:00")
    page.get_by_label("Monday").check()
    page.get_by_label("Wednesday").check()
    proceed(page, "Create sessions")
    expect(page.get_by_role("status")).to_contain_text("Created 2 clinic sessions.")
    monday = page.get_by_role("row").filter(has_text="Monday 30 November 2026")
    for shown in ("09:00 to 12:00", "2 chairs, 10-minute slots", "Adult blood test"):
        expect(monday).to_contain_text(shown)
    site.audit(page, "clinic sessions created")

    # A patient books the Monday; the admin closes it: first the check, then the list to phone.
    reference = book_directly(live_server, site_name=name, day_index=0)
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Close a day").click()
    heading(page, "Close a day")
    site.audit(page, "close a day")
    proceed(page, "Continue")
    assert error_summary(page) == ["Select a site", "Enter the day to close",
                                   "Enter the reason patients will be given"]
    site.audit(page, "close a day errors")
    page.get_by_label("Site", exact=True).select_option(label=name)
    day = page.get_by_role("group", name="Day to close")
    day.get_by_label("Day", exact=True).fill("30")
    day.get_by_label("Month", exact=True).fill("11")
    day.get_by_label("Year", exact=True).fill("2026")
    page.get_by_label("Reason patients will be given").fill("The building has no heating")
    proceed(page, "Continue")
    heading(page, f"Close {name} on Monday 30 November 2026?")
    expect(page.locator("main")).to_contain_text("because the clinic is closed: The building has "
                                                 "no heating. Please book a new time at")
    site.audit(page, "close a day, check")
    proceed(page, "Close the day and cancel 1 booking")
    heading(page, f"{name} closed on Monday 30 November 2026")
    expect(page.get_by_role("status")).to_contain_text("1 booking was cancelled")
    row = page.get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text("Text to 07*******23: waiting to send")
    site.audit(page, "day closed, who was told")

    # The site's reprint printer (a bad address first), and the site closed to new bookings.
    page.goto("/staff/admin/sites")
    page.get_by_role("link", name=name, exact=True).click()
    heading(page, f"Edit {name}")
    site.audit(page, "edit site")
    page.get_by_label("Label printer for reprints").fill("lpt1")
    proceed(page, "Save site")
    expect_error(page, "Unknown printer address", "printer_uri")
    site.audit(page, "edit site printer error")
    page.get_by_label("Label printer for reprints").fill(f"file://{artifacts / 'printer.bin'}")
    page.get_by_label("Closed", exact=True).check()
    proceed(page, "Save site")
    expect(page.get_by_role("status")).to_contain_text("Site saved.")
    expect(page.get_by_role("row").filter(has_text=name)).to_contain_text("No")

    # The test catalogue: a new test, its errors first.
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Test catalogue").click()
    heading(page, "Test catalogue")
    site.audit(page, "test catalogue")
    page.get_by_role("link", name="Add a test").click()
    heading(page, "Add a test")
    site.audit(page, "add a test")
    proceed(page, "Save test")
    error_summary(page)
    site.audit(page, "add a test errors")
    page.get_by_label("Code").fill("VITD")
    page.get_by_label("Test name").fill("Vitamin D")
    page.get_by_label("Container", exact=True).fill("Serum")
    page.get_by_label("Order of draw").select_option(index=3)
    proceed(page, "Save test")
    expect(page.get_by_role("status")).to_contain_text("Saved VITD.")
    expect(page.get_by_role("row").filter(has_text="VITD")).to_contain_text("Vitamin D")

    # The outbox: the booking's messages, the recipient masked.
    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Messages to patients (outbox)").click()
    heading(page, "Messages to patients")
    expect(page.locator("main")).to_contain_text(reference)
    expect(page.locator("main")).not_to_contain_text("07700900123")
    site.audit(page, "outbox")
