"""WCAG 1.4.10 reflow and 1.4.4 resize text: the journeys at 320 CSS pixels wide (a small phone,
or 1280 px at 400 % zoom), and at 200 % zoom on a 1280-px screen.

Browser zoom makes CSS pixels bigger, so a 1280-px window at 200 % lays out exactly like a
640-CSS-px viewport with devicePixelRatio 2: that is what the second size is (same media queries,
same line breaks), rendered at double density so screenshots look like the zoomed page."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.browser.pages import (
    Patient,
    Site,
    book,
    book_directly,
    expect_error,
    find_booking,
    heading,
    proceed,
)

# Whatever sticks out past the right edge of the viewport (elements, and text inside them),
# and any box that clips its own content sideways. Visually hidden text is clipped on purpose.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const hidden = el => el.closest('.nhsuk-u-visually-hidden, .nhsuk-skip-link:not(:focus)');
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (hidden(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width && r.height && (r.right > width + 1 || r.left < -1))
      out.push(`${name(el)} spans ${Math.round(r.left)}..${Math.round(r.right)}`);
    const s = getComputedStyle(el);
    if (s.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1)
      out.push(`${name(el)} clips ${el.scrollWidth - el.clientWidth}px of its content`);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim() || hidden(node.parentElement)) continue;
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    if (r.width && r.right > width + 1)
      out.push(`text "${node.textContent.trim().slice(0, 30)}" in ${name(node.parentElement)}`
               + ` ends at ${Math.round(r.right)}`);
  }
  return {scrollWidth: document.scrollingElement.scrollWidth, width: width, out: out};
}"""


def fits(site: Site, width: int):  # type: ignore[no-untyped-def]
    """An `on_page` check: a screenshot, no horizontal scroll, nothing cut off."""

    def check(page: Page, name: str) -> None:
        site.shot(page, f"{width}px {name}")
        result = page.evaluate(OVERFLOW)
        assert result["width"] == width, result
        assert result["scrollWidth"] <= width, (name, result)
        assert not result["out"], (name, page.url, result["out"])

    return check


def _widest_references() -> Callable[[], str]:
    """References of the widest letters only (a random one overflowed 320 px about 1 run in 10)."""
    wide = itertools.product("WM", repeat=9)
    return lambda: "".join(next(wide))


@pytest.mark.parametrize("width,scale", [(320, 1), (640, 2)], ids=["320px", "200pc-zoom"])
def test_pages_reflow_without_horizontal_scrolling(site, live_server, width, scale, monkeypatch):
    monkeypatch.setattr("booking_web.services.booking.new_reference", _widest_references())
    page = site.open(width=width, height=640, scale=scale)
    check = fits(site, width)
    long_words = Patient(given="Hubert", family="Wolfeschlegelsteinhausenbergerdorff",
                         email="hubert.wolfeschlegelsteinhausenbergerdorff@example.com")
    done = book(site, page, patient=long_words, on_page=check)
    assert len(done.pages) == 14

    page.goto("/book")  # a new booking: an error summary and an error message, at this size
    proceed(page)
    expect_error(page, "Select the type of blood test you need", "type")
    check(page, "type error")

    reference = book_directly(live_server, site_name="Westfield Surgery", day_index=2)
    find_booking(page, reference, ("1", "1", "2030"))
    expect_error(page, "Your date of birth must be in the past", "dob-day")
    check(page, "find your booking error")
    find_booking(page, reference, ("17", "5", "1970"))
    heading(page, "Your blood test appointment")
    check(page, "your appointment")
    page.get_by_role("button", name="Change time or place").click()
    heading(page, "Where would you like to have your blood test?")
    check(page, "change place")
    page.goto("/manage/cancel")
    heading(page, "Are you sure you want to cancel your appointment?")
    check(page, "cancel")
