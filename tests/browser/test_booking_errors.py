"""Every error a patient can meet while booking, in a real browser: each one is in the error
summary (linked to its field), by the field, in the title, and passes axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.pages import (
    Booking,
    Patient,
    Site,
    book,
    book_directly,
    error_summary,
    expect_error,
    fill_slot,
    finish,
    heading,
    nothing,
    pick,
    proceed,
)

NOT_VALID_NHS = ("Check your NHS number: it is not a valid NHS number. "
                 "It is 10 digits, like 999 123 4567")


def _mistakes(site: Site, page: Page, name: str,
              tries: list[tuple[dict[str, str], str, str]]) -> None:
    """Submit each wrong answer (label -> text typed) and check the error it gives."""
    for fields, message, field_id in tries:
        for label, value in fields.items():
            page.get_by_label(label).fill(value)
        proceed(page)
        expect_error(page, message, field_id)
        site.audit(page, f"{name} error {message}")


def test_every_question_page_shows_its_errors_accessibly(site, live_server):
    page = site.open()
    page.goto("/book")
    heading(page, "What type of blood test do you need?")
    _mistakes(site, page, "type", [({}, "Select the type of blood test you need", "type")])
    pick(page, "Adult blood test")
    proceed(page)
    heading(page, "What is your postcode?")
    _mistakes(site, page, "postcode", [
        ({"What is your postcode?": ""}, "Enter a postcode", "postcode"),
        ({"What is your postcode?": "NOT A CODE"}, "Enter a real postcode, like LS1 4AB",
         "postcode"),
    ])
    page.get_by_label("What is your postcode?").fill("LS7 1AA")
    proceed(page)
    heading(page, "Where would you like to have your blood test?")
    _mistakes(site, page, "place", [({}, "Select a place for your blood test", "site_id")])
    pick(page, "Northgate Health Centre")
    proceed(page)
    heading(page, "What day would you like to come?")
    _mistakes(site, page, "date", [({}, "Select a date", "date")])
    pick(page)
    proceed(page)
    heading(page, "What time would you like to come?")
    _mistakes(site, page, "time", [({}, "Select a time", "slot_id")])
    slot_id = int(pick(page))
    proceed(page)
    heading(page, "Do you know your NHS number?")
    _mistakes(site, page, "nhs-number-known",
              [({}, "Select yes if you know your NHS number", "nhs_known")])
    pick(page, "Yes")
    proceed(page)
    heading(page, "What is your NHS number?")
    label = "What is your NHS number?"
    _mistakes(site, page, "nhs-number", [
        ({label: ""}, "Enter your NHS number", "nhs_number"),
        ({label: "999 123 456"}, "Your NHS number must be 10 digits long", "nhs_number"),
        ({label: "999 123 4568"}, NOT_VALID_NHS, "nhs_number"),
        ({label: "ABC"}, "Your NHS number must contain only numbers, spaces and dashes",
         "nhs_number"),
    ])
    patient = Patient()
    page.get_by_label(label).fill(patient.nhs or "")
    proceed(page)
    heading(page, "What is your name?")
    _mistakes(site, page, "name",
              [({"First name": "", "Last name": ""}, "Enter your first name", "given_name")])
    expect_error(page, "Enter your last name", "family_name")  # both problems at once
    _mistakes(site, page, "name", [
        ({"First name": "Ann", "Last name": "L33"},
         "Your last name must only include letters, spaces, hyphens and apostrophes",
         "family_name"),
    ])
    page.get_by_label("Last name").fill("O'Brien-Zoë")
    proceed(page)
    heading(page, "What is your date of birth?")
    dob = ("Day", "Month", "Year")
    _mistakes(site, page, "date-of-birth", [
        (dict(zip(dob, ("", "", ""), strict=True)), "Enter your date of birth", "dob-day"),
        (dict(zip(dob, ("1", "1", "2027"), strict=True)), "Your date of birth must be in the past",
         "dob-day"),
        (dict(zip(dob, ("1", "", "1970"), strict=True)), "Your date of birth must include a month",
         "dob-month"),
        (dict(zip(dob, ("31", "2", "1970"), strict=True)), "Your date of birth must be a real date",
         "dob-day"),
        (dict(zip(dob, ("1", "1", "2015"), strict=True)), "is for people aged 16 or over",
         "dob-day"),
    ])
    for part, value in zip(dob, patient.dob, strict=True):
        page.get_by_label(part, exact=True).fill(value)
    proceed(page)
    heading(page, "How can we contact you?")
    mobile, email = "UK mobile phone number", "Email address"
    _mistakes(site, page, "contact", [
        ({mobile: "", email: ""}, "Enter a mobile phone number or an email address", "mobile"),
        ({mobile: "0113 496 0000", email: ""}, "Enter a UK mobile phone number, like 07700 900 982",
         "mobile"),
        ({mobile: "", email: "not-an-email"},
         "Enter an email address in the correct format, like name@example.com", "email"),
    ])
    page.get_by_label(mobile).fill(patient.mobile)
    page.get_by_label(email).fill("")
    proceed(page)
    heading(page, "Do you have a test request number?")
    _mistakes(site, page, "test-request-number", [
        ({"Do you have a test request number? (optional)": "<script>"},
         "A test request number is RQ and 8 numbers, like RQ00012345", "request_number"),
    ])
    page.get_by_label("Do you have a test request number? (optional)").fill("")
    proceed(page)
    heading(page, "Check your answers before booking")
    expect(page.locator("main")).to_contain_text("Ann O'Brien-Zoë")

    # While the patient reads 'Check your answers', other patients take the last chair.
    fill_slot(live_server, slot_id)
    proceed(page, "Book appointment")
    heading(page, "What time would you like to come?")
    expect_error(page, "Sorry, that time has just been taken. Select another time.", "slot_id")
    expect(page.locator(f"input[value='{slot_id}']")).to_have_count(0)
    site.audit(page, "check - slot taken meanwhile")
    pick(page)
    proceed(page)
    heading(page, "Check your answers before booking")  # straight back, answers kept
    finish(site, page, Booking())


def test_child_and_no_nhs_number_errors(site):
    page = site.open()
    page.goto("/book")
    pick(page, "Child blood test")
    proceed(page)
    page.get_by_label("What is your postcode?").fill("LS11")  # the first half is enough to search
    proceed(page)
    heading(page, "Where would you like to have your blood test?")
    expect(page.get_by_text("Only places with a children's clinic are shown.")).to_be_visible()
    assert page.get_by_role("radio").count() == 1
    for _ in range(3):
        pick(page)
        proceed(page)
    heading(page, "Do you know the child's NHS number?")
    pick(page, "No")
    proceed(page)
    label = "What is the child's home postcode?"
    heading(page, label)
    _mistakes(site, page, "home-postcode", [
        ({label: ""}, "Enter a postcode", "home_postcode"),
        ({label: "LS6"}, "Enter their full postcode, like LS1 4AB", "home_postcode"),
        ({label: "XYZ"}, "Enter a real postcode, like LS1 4AB", "home_postcode"),
    ])
    page.get_by_label(label).fill("LS6 2AB")
    proceed(page)
    page.get_by_label("First name").fill("Amira")
    page.get_by_label("Last name").fill("Khan")
    proceed(page)
    heading(page, "What is the child's date of birth?")
    _mistakes(site, page, "child date-of-birth", [
        (dict(zip(("Day", "Month", "Year"), ("1", "1", "1970"), strict=True)),
         "is for children under 16", "dob-day"),
    ])


def test_too_many_bookings_is_explained_on_the_check_page(site, live_server):
    patient = Patient()
    for day in range(3):  # the most one patient may hold at once
        book_directly(live_server, site_name="Eastmoor Clinic", day_index=day, patient=patient)
    page = site.open()
    book(site, page, patient=patient, confirm=False, on_page=nothing)
    proceed(page, "Book appointment")
    heading(page, "Check your answers before booking")
    items = error_summary(page)
    assert any("You already have 3 blood tests booked" in item for item in items), items
    site.audit(page, "check - too many bookings")


def test_too_many_attempts_from_one_device_is_explained(site, live_server):
    page = site.open()
    book(site, page, confirm=False, on_page=nothing)
    live_server.set(booking_limit_per_hour=0)
    proceed(page, "Book appointment")
    items = error_summary(page)
    assert any("too many bookings from this device" in item for item in items), items
    site.audit(page, "check - rate limited")
