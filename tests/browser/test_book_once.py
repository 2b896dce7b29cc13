"""'Book appointment' books once in a real browser: a double click, or the same check page sent
from a second tab after the first one booked, shows the booking made and never makes a second.
The patients here have no NHS number, so nothing but the journey's key can tell the two apart.
'Confirm new appointment' likewise: a double click shows the change made."""

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
from tests.browser.pages import Patient, book, book_directly, find_booking, heading, pick, proceed


def bookings_for(live_server, family: str) -> list[Appointment]:  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        return list(session.exec(select(Appointment).join(PatientRow, PatientRow.id == Appointment.patient_id)
                                 .where(PatientRow.family_name == family)))


@contextmanager
def slow_bookings(live_server, seconds: float) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Each chair claim (a booking's, or a change's) takes this much longer: the first press is
    still being handled when the second arrives, as on a busy morning."""

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


def double_click(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Two presses of a button, the second while the first is on its way."""
    button = page.get_by_role("button", name=name, exact=True)
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.click(x, y)
    page.wait_for_timeout(150)
    page.mouse.click(x, y)


def test_a_double_click_on_confirm_new_appointment_shows_the_change(site, live_server):
    reference = book_directly(live_server, site_name="Northgate Health Centre", day_index=4)
    page = site.open()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url)
            if r.method == "POST" and r.url.endswith("/manage/change/check") else None)
    find_booking(page, reference, ("17", "5", "1970"))
    page.get_by_role("button", name="Change time or place").click()
    pick(page, "Eastmoor Clinic")
    proceed(page)
    pick(page)
    proceed(page)
    new_slot = int(pick(page))
    proceed(page)
    heading(page, "Check your new appointment")
    with slow_bookings(live_server, 0.5):
        double_click(page, "Confirm new appointment")
        heading(page, "Your blood test appointment")
    expect(page.get_by_role("alert")).to_contain_text("Your appointment has been changed")
    site.shot(page, "after a double click on confirm new appointment")
    assert len(posts) == 2, posts  # the browser really sent the form twice
    with live_server.session() as session:
        [appt] = session.exec(select(Appointment).where(Appointment.reference == normalise_reference(reference)))
    assert appt.slot_id == new_slot
