"""A patient books, changes and cancels in Welsh and in Arabic in real Chromium, finding every
button, field and heading by its words in the catalogue, with axe on every page and screenshots
(phone size for Arabic, where mirroring shows most); and the reflow checks in every language."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from shared.locales import SHIPPED, translations
from shared.nhs_number import format_nhs_number
from tests.browser.pages import Patient, heading, pick


def _t(code: str):  # type: ignore[no-untyped-def]
    return translations(code).ugettext


def _press(page: Page, text: str) -> None:
    page.get_by_role("button", name=text, exact=True).click()


def book_in(site, page: Page, code: str) -> str:  # type: ignore[no-untyped-def]
    """Every booking page in `code`, audited; the reference from the confirmation."""
    t, patient = _t(code), Patient()
    page.goto(f"/?lang={code}")
    assert page.locator("html").get_attribute("lang") == code
    heading(page, t("Book a blood test"))
    site.audit(page, f"{code} start")
    page.get_by_role("button", name=t("Start now")).click()
    steps = [
        ("What type of blood test do you need?", lambda: pick(page, t("Adult blood test"))),
        ("What is your postcode?", lambda: page.get_by_label(t("What is your postcode?")).fill(
            "LS7 1AA")),
        ("Where would you like to have your blood test?", lambda: pick(page)),
        ("What day would you like to come?", lambda: pick(page)),
        ("What time would you like to come?", lambda: pick(page)),
        ("Do you know your NHS number?", lambda: pick(page, t("Yes"))),
        ("What is your NHS number?", lambda: page.get_by_label(t("What is your NHS number?")).fill(
            format_nhs_number(patient.nhs or ""))),
        ("What is your name?", lambda: (page.get_by_label(t("First name")).fill(patient.given),
                                        page.get_by_label(t("Last name")).fill(patient.family))),
        ("What is your date of birth?", lambda: [
            page.get_by_label(t(label), exact=True).fill(value)
            for label, value in zip(("Day", "Month", "Year"), patient.dob, strict=True)]),
        ("How can we contact you?", lambda: page.get_by_label(t("UK mobile phone number")).fill(
            patient.mobile)),
        ("Do you have a test request number? (optional)", lambda: None),
    ]
    for title, answer in steps:
        heading(page, t(title))
        site.audit(page, f"{code} {title}")
        answer()
        _press(page, t("Continue"))
    heading(page, t("Check your answers before booking"))
    expect(page.locator("main")).to_contain_text(f"{patient.given} {patient.family}")
    site.audit(page, f"{code} check your answers")
    _press(page, t("Book appointment"))
    heading(page, t("Appointment booked"))
    site.audit(page, f"{code} confirmation")
    return page.locator(".nhsuk-panel .phlebo-reference").inner_text().strip()


@pytest.mark.parametrize("code", ["cy", "ar"])
def test_book_change_and_cancel_in_welsh_and_arabic(site, code):  # type: ignore[no-untyped-def]
    t = _t(code)
    page = site.open(width=390 if code == "ar" else 1280, height=844 if code == "ar" else 900)
    reference = book_in(site, page, code)

    page.goto("/manage")
    heading(page, t("Find your booking"))
    page.get_by_label(t("Booking reference")).fill(reference)
    for label, value in zip(("Day", "Month", "Year"), Patient().dob, strict=True):
        page.get_by_label(t(label), exact=True).fill(value)
    site.audit(page, f"{code} find your booking")
    _press(page, t("Find booking"))
    heading(page, t("Your blood test appointment"))
    site.audit(page, f"{code} your appointment")

    page.get_by_role("button", name=t("Change time or place")).click()
    for title in ("Where would you like to have your blood test?",
                  "What day would you like to come?"):
        heading(page, t(title))
        pick(page)
        _press(page, t("Continue"))
    heading(page, t("What time would you like to come?"))
    site.audit(page, f"{code} change time")
    page.get_by_role("radio").last.check()  # a different time from the one booked
    _press(page, t("Continue"))
    heading(page, t("Check your new appointment"))
    site.audit(page, f"{code} check your new appointment")
    _press(page, t("Confirm new appointment"))
    heading(page, t("Your blood test appointment"))
    expect(page.get_by_role("alert")).to_contain_text(t("Your appointment has been changed"))
    site.audit(page, f"{code} changed")

    page.get_by_role("link", name=t("Cancel this appointment")).click()
    heading(page, t("Are you sure you want to cancel your appointment?"))
    site.audit(page, f"{code} cancel")
    _press(page, t("Yes, cancel appointment"))
    heading(page, t("Your appointment has been cancelled"))
    expect(page.locator("main")).to_contain_text(reference)
    site.audit(page, f"{code} cancelled")


@pytest.mark.parametrize("code", SHIPPED)
def test_patient_pages_reflow_at_320_px_in_every_language(site, code):  # type: ignore[no-untyped-def]
    """WCAG 1.4.10: at 320 CSS px (400 % zoom) nothing scrolls sideways, in every language (the
    longest words are Welsh and Polish; Arabic is mirrored)."""
    page = site.open(width=320, height=640)
    page.goto(f"/?lang={code}")
    for path in ("/", "/book/type", "/book/postcode", "/manage"):
        page.goto(path)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 320, (code, path, wide)
        site.shot(page, f"{code} reflow {path}")
