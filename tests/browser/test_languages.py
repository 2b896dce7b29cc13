"""The patient pages in each shipped language in real Chromium: axe clean, Arabic mirrored (the
back link at the right, pointing right; radios at the right), screenshots at 1280 and 390 px."""

from __future__ import annotations

import pytest

from shared.locales import SHIPPED, translations

PAGES = ("/", "/book/type", "/manage")


@pytest.mark.parametrize("code", SHIPPED)
@pytest.mark.parametrize("width", [1280, 390])
def test_patient_pages_in_each_language_are_accessible(site, code, width):  # type: ignore[no-untyped-def]
    page = site.open(width=width)
    page.goto(f"/?lang={code}")
    assert page.locator("html").get_attribute("lang") == code
    assert (page.locator("html").get_attribute("dir") == "rtl") == (code == "ar")
    for path in PAGES:
        page.goto(path)
        site.audit(page, f"{code} {width} {path}")
    # A question answered with nothing shows its error summary, in the language.
    page.goto("/book/type")
    page.locator("form button[type=submit]").first.click()
    site.audit(page, f"{code} {width} type error")
    assert page.locator(".nhsuk-error-summary").count() == 1


def test_arabic_mirrors_the_back_link_and_the_radios(site):  # type: ignore[no-untyped-def]
    page = site.open(width=1280)
    page.goto("/?lang=ar")
    page.goto("/book/type")
    back = page.locator(".nhsuk-back-link").bounding_box()
    heading = page.locator(".nhsuk-grid-column-two-thirds").first.bounding_box()
    radio = page.locator(".nhsuk-radios__item").first.bounding_box()
    label = page.locator(".nhsuk-radios__label").first.bounding_box()
    assert back and heading and radio and label
    # The back link and the page's column both start at the right of the page.
    assert abs((back["x"] + back["width"]) - (heading["x"] + heading["width"])) < 40
    # The radio circle is at the right of its label.
    circle_x = page.locator(".nhsuk-radios__label").first.evaluate(
        "el => el.getBoundingClientRect().right - parseFloat(getComputedStyle(el, '::before').right)")
    assert circle_x > label["x"] + label["width"] - 5


@pytest.mark.parametrize("code", ["cy", "ar"])
def test_an_error_summary_reads_in_the_language_and_arabic_runs_right_to_left(site, code):  # type: ignore[no-untyped-def]
    """A lookup with a badly typed reference and an impossible date: both errors, in the summary
    and beside their fields, are the catalogue's words; in Arabic the summary runs right to left
    from the right of the page; axe clean."""
    page = site.open(width=1280)
    page.goto(f"/?lang={code}")
    page.goto("/manage")
    page.locator("#reference").fill("ABC")
    for box, value in (("day", "31"), ("month", "2"), ("year", "1970")):
        page.locator(f"#dob-{box}").fill(value)
    page.locator("form button[type=submit]").first.click()
    summary = page.locator(".nhsuk-error-summary")
    words = translations(code).ugettext
    expected = [words("Your booking reference is 9 letters and numbers, like ABC-DEF-GHJ"),
                words("Your date of birth must be a real date")]
    assert summary.locator("li").all_inner_texts() == expected
    assert all(text not in page.locator("main").inner_text() for text in (
        "Your booking reference is 9 letters", "must be a real date"))
    for text in expected:  # beside the field too
        assert page.locator(".nhsuk-error-message", has_text=text).count() == 1
    rtl = code == "ar"
    assert summary.evaluate("el => getComputedStyle(el).direction") == ("rtl" if rtl else "ltr")
    # Where the heading's words are (not its box, which is the summary's width).
    left, right = summary.locator("h2").evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " const b = r.getBoundingClientRect(); return [b.left, b.right]; }")
    box = summary.bounding_box()
    assert box and right - left < box["width"] - 100  # the words are shorter than the box
    if rtl:  # they start at the right of the summary
        assert (box["x"] + box["width"]) - right < 40
    else:
        assert left - box["x"] < 40
    site.audit(page, f"{code} lookup errors")
