"""'Book appointment' books once in a real browser: a double click, or the same check page sent
from a second tab after the first one booked, shows the booking made and never makes a second.
The patients here have no NHS number, so nothing but the journey's key can tell the two apart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import expect
from sqlalchemy import event
from sqlmodel import select

from shared.models import Appointment
from shared.models import Patient as PatientRow
from shared.references import normalise_reference
from tests.browser.pages import Patient, book, heading


def bookings_for(live_server, family: str) -> list[Appointment]:  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        return list(session.exec(select(Appointment).join(PatientRow, PatientRow.id == Appointment.patient_id)
                                 .where(PatientRow.family_name == family)))


@contextmanager
def slow_bookings(live_server, seconds: float) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Each chair claim takes this much longer: the first press is still being handled when the
    second arrives, as on a busy morning."""

    def slow(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("UPDATE SLOT SET BOOKED"):
            time.sleep(seconds)

    event.listen(live_server.engine, "before_cursor_execute", slow)
    try:
        yield
    finally:
        event.remove(live_server.engine, "before_cursor_execute", slow)


def test_a_double_click_on_book_makes_one_booking(site, live_server):
    page = site.open()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/book/check") else None)
    book(site, page, patient=Patient(family="Doubleclick", nhs=None), confirm=False)
    button = page.get_by_role("button", name="Book appointment", exact=True)
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    with slow_bookings(live_server, 0.5):
        page.mouse.click(x, y)
        page.wait_for_timeout(150)  # a second press while the first is on its way
        page.mouse.click(x, y)
        heading(page, "Appointment booked")
    reference = page.locator(".nhsuk-panel .phlebo-reference").inner_text().strip()
    site.shot(page, "after a double click")
    assert len(posts) == 2, posts  # the browser really sent the form twice
    [appt] = bookings_for(live_server, "Doubleclick")
    assert appt.reference == normalise_reference(reference)


def test_the_check_page_sent_again_from_another_tab_shows_the_booking_made(site, live_server):
    first = site.open()
    book(site, first, patient=Patient(family="Twotabs", nhs=None), confirm=False)
    second = first.context.new_page()  # the same journey, open in another tab
    second.goto("/book/check")
    heading(second, "Check your answers before booking")
    first.get_by_role("button", name="Book appointment", exact=True).click()
    heading(first, "Appointment booked")
    made = first.locator(".nhsuk-panel .phlebo-reference").inner_text().strip()
    second.get_by_role("button", name="Book appointment", exact=True).click()
    heading(second, "Appointment booked")
    expect(second.locator(".nhsuk-panel .phlebo-reference")).to_have_text(made)
    site.shot(second, "the second tab shows the booking made")
    [appt] = bookings_for(live_server, "Twotabs")
    assert appt.reference == normalise_reference(made)
