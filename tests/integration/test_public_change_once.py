"""The public site's 'Confirm new appointment' changes once: two presses at the same moment (a
double click) or the confirm form sent again after the change (a second tab, Back and resend)
show the change made, never "That is the time you already have" (which would send the patient
to choose another time, and move a booking that had moved as they asked). On both engines."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import select

from shared.models import Appointment, Slot
from shared.references import format_reference
from tests.integration.public_pages import Page, get, press_twice_at_once, submit
from tests.integration.test_public_manage import DAY, _slot, booked, open_booking  # noqa: F401 (fixture)

NEXT_DAY = DAY + dt.timedelta(days=1)


def walk_to_change_check(client, time: str = "11:20am") -> Page:  # type: ignore[no-untyped-def]
    """From the open booking to 'Confirm new appointment' for `time` at Eastmoor the next day."""
    client.get("/manage/change")
    place = get(client, "/manage/change/place")
    submit(client, "/manage/change/place", {"site_id": place.radio_value("site_id", "Eastmoor")}, page=place)
    dates = get(client, "/manage/change/date")
    submit(client, "/manage/change/date", {"date": dates.radio_value("date", "26 November")}, page=dates)
    times = get(client, "/manage/change/time")
    submit(client, "/manage/change/time", {"slot_id": times.radio_value("slot_id", time)}, page=times)
    return get(client, "/manage/change/check")


def change_form(check: Page) -> dict[str, str]:
    """What the confirm button sends: the CSRF token and the journey's key."""
    key = re.search(r'name="change_key" value="(\w+)"', check.html)
    return {"csrf_token": check.csrf, "change_key": key.group(1) if key else ""}


def assert_moved_once(session, booked) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """The booking is at 11:20am at Eastmoor, with one chair taken there and none left behind."""
    session.expire_all()
    [appt] = session.exec(select(Appointment)).all()
    new_slot = _slot(session, booked["eastmoor"].id, NEXT_DAY, dt.time(11, 20))
    assert (appt.reference, appt.slot_id) == (booked["appt"].reference, new_slot.id)
    assert session.get(Slot, new_slot.id).booked == 1
    assert session.get(Slot, booked["slot"].id).booked == 0


def test_confirm_pressed_twice_at_once_changes_once_and_both_show_the_change(app, client, session, booked):  # noqa: F811
    open_booking(client, booked["appt"])
    form = change_form(walk_to_change_check(client))
    session.rollback()
    answers = press_twice_at_once(app, client, "/manage/change/check", form, then="/manage/booking")
    for answer in answers:
        assert isinstance(answer, tuple), answer
        status, location, page = answer
        assert (status, location.endswith("/manage/booking")) == (302, True), answer
        assert "Your appointment has been changed" in page
        assert f"Your booking reference is still {format_reference(booked['appt'].reference)}" in page
    assert_moved_once(session, booked)


def test_the_confirm_form_sent_again_after_the_change_shows_the_change(client, session, booked):  # noqa: F811
    open_booking(client, booked["appt"])
    form = change_form(walk_to_change_check(client))
    first = client.post("/manage/change/check", data=form)
    assert first.status_code == 302 and first.headers["Location"].endswith("/manage/booking")
    get(client, "/manage/booking")  # the notice is shown once
    again = client.post("/manage/change/check", data=form)  # Back, and the form sent again
    assert again.status_code == 302 and again.headers["Location"].endswith("/manage/booking"), again.headers
    page = get(client, "/manage/booking")
    assert "Your appointment has been changed" in page.text
    assert "11:20am" in page.text and "Eastmoor Clinic" in page.text
    assert_moved_once(session, booked)


def test_a_new_change_journey_gets_a_new_key(client, session, booked):  # noqa: F811
    """Changing again later is a new change, not the first one answered again."""
    open_booking(client, booked["appt"])
    first = change_form(walk_to_change_check(client))
    assert client.post("/manage/change/check", data=first).status_code == 302
    get(client, "/manage/booking")
    second = change_form(walk_to_change_check(client, "11:30am"))
    assert second["change_key"] != first["change_key"]
    assert client.post("/manage/change/check", data=second).status_code == 302
    session.expire_all()
    [appt] = session.exec(select(Appointment)).all()
    assert appt.slot_id == _slot(session, booked["eastmoor"].id, NEXT_DAY, dt.time(11, 30)).id
