"""What a patient sees when the database is away: a kind page, in the NHS style, that passes
axe (WCAG 2.2 AA), says to try again in a minute and that going back and sending again will not
book twice; in Chromium, at desktop and phone widths."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, exc

from shared.locales import translations
from tests.browser.pages import heading


@contextmanager
def database_away(live_server) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Every statement fails as it does when the server is gone."""

    def away(*_args: object) -> None:
        raise exc.OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))

    event.listen(live_server.engine, "before_cursor_execute", away)
    try:
        yield
    finally:
        event.remove(live_server.engine, "before_cursor_execute", away)


def test_the_try_again_page_is_kind_and_accessible(site, live_server):
    for width in (1280, 320):
        page = site.open(width=width, height=800)
        with database_away(live_server):
            answer = page.goto("/book/type")
            assert answer is not None and answer.status == 503
            assert answer.headers["retry-after"] == "30"
            heading(page, "Sorry, there is a problem with the service")
            text = page.locator("main").inner_text()
            assert "Try again in a minute." in text and "You will not be booked twice." in text
            site.audit(page, f"unavailable at {width} px")
        page.goto("/book/type")  # back: the same address works again
        heading(page, "What type of blood test do you need?")


@pytest.mark.parametrize("code", ["cy", "ar"])
def test_the_try_again_page_is_in_the_language_the_patient_chose(site, live_server, code):  # type: ignore[no-untyped-def]
    """The language is in the patient's session cookie, so it is known without the database."""
    page = site.open(width=390, height=800)
    page.goto(f"/?lang={code}")
    with database_away(live_server):
        answer = page.goto("/book/type")
        assert answer is not None and answer.status == 503
        assert page.locator("html").get_attribute("lang") == code
        assert (page.locator("html").get_attribute("dir") == "rtl") == (code == "ar")
        words = translations(code).ugettext
        heading(page, words("Sorry, there is a problem with the service"))
        assert words("Try again in a minute.") in page.locator("main").inner_text()
        site.audit(page, f"unavailable in {code}")
