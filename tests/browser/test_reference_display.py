"""Booking references inside sentences in real Chromium: in every shipped language the example
reference (ABC-DEF-GHJ) in the error summary, beside the field and in the hints, and a real
reference on the booking's page, sit on one line and read left to right, even in Arabic at
320 px where the sentence around them runs right to left and wraps."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page

from shared.locales import LANGUAGES
from tests.browser.pages import book_directly

# Each character's left edge, in the order of the text: increasing when it reads left to right.
_CHARACTER_LEFTS = """el => {
  const text = el.firstChild, lefts = [];
  for (let i = 0; i < text.length; i++) {
    const r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + 1);
    lefts.push(r.getBoundingClientRect().left);
  }
  return lefts;
}"""


def _one_line_left_to_right(reference: Locator, shown: str) -> None:
    """The reference is one isolated left-to-right run on one line, its characters in order."""
    assert reference.inner_text() == shown
    assert reference.evaluate("el => el.tagName") == "BDI"
    assert reference.get_attribute("dir") == "ltr"
    assert reference.evaluate("el => getComputedStyle(el).whiteSpace") == "nowrap"
    assert reference.evaluate("el => el.getClientRects().length") == 1  # not split over lines
    box = reference.bounding_box()
    line = reference.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert box and box["height"] < 1.5 * line
    lefts = reference.evaluate(_CHARACTER_LEFTS)
    assert len(lefts) == len(shown) and lefts == sorted(lefts) and len(set(lefts)) == len(lefts)


def _lookup_with_a_bad_reference(page: Page, code: str) -> None:
    page.goto(f"/?lang={code}")
    page.goto("/manage")
    page.locator("#reference").fill("ABC")
    for box, value in (("day", "17"), ("month", "5"), ("year", "1970")):
        page.locator(f"#dob-{box}").fill(value)
    page.locator("form button[type=submit]").first.click()


@pytest.mark.parametrize("code", list(LANGUAGES))
def test_the_example_reference_stays_whole_and_left_to_right(site, code):  # type: ignore[no-untyped-def]
    """/manage's error summary, error message and hint, and the waiting list's hint."""
    page = site.open(width=320, height=700)
    _lookup_with_a_bad_reference(page, code)
    assert (page.locator("html").get_attribute("dir") == "rtl") == (code == "ar")
    summary = page.locator(".nhsuk-error-summary li bdi")
    assert summary.count() == 1
    _one_line_left_to_right(summary, "ABC-DEF-GHJ")
    _one_line_left_to_right(page.locator("#reference-error bdi"), "ABC-DEF-GHJ")
    _one_line_left_to_right(page.locator("#reference-hint bdi"), "ABC-DEF-GHJ")
    site.shot(page, f"{code} manage lookup errors 320")
    page.goto("/waiting-list/join")
    _one_line_left_to_right(page.locator("#reference-hint bdi"), "ABC-DEF-GHJ")
    site.shot(page, f"{code} waiting list join 320")


def test_a_real_reference_in_arabic_stays_whole_and_left_to_right(site, live_server):  # type: ignore[no-untyped-def]
    """The booking's page in Arabic at 320 px: the reference under the heading and in the
    check-in steps reads in order."""
    reference = book_directly(live_server, site_name="Northgate Health Centre", day_index=5)
    page = site.open(width=320, height=700)
    _lookup_with_a_bad_reference(page, "ar")
    page.locator("#reference").fill(reference)
    page.locator("form button[type=submit]").first.click()
    caption = page.locator(".nhsuk-caption-l bdi")
    _one_line_left_to_right(caption, reference)
    in_steps = page.locator("p bdi", has_text=reference)
    assert in_steps.count() == 1  # "No QR code? ... type in booking reference ZS2-..."
    _one_line_left_to_right(in_steps, reference)
    site.shot(page, "ar booking page 320")
