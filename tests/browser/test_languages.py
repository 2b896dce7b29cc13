"""The patient pages in each shipped language in real Chromium: axe clean, Arabic mirrored (the
back link at the right, pointing right; radios at the right), screenshots at 1280 and 390 px."""

from __future__ import annotations

import pytest

from shared.locales import SHIPPED

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
