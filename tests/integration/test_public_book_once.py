"""The public site's 'Book appointment' books once: two presses at the same moment from one
browser (a double click) make one booking, and both lead to its confirmation. On both engines;
tests/browser/test_book_once.py does the same in Chromium."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import select

from shared.models import Appointment
from shared.references import format_reference
from tests.factories import make_clinic, make_site
from tests.integration.public_pages import press_twice_at_once
from tests.integration.test_public_booking import walk_to_check

DAY = dt.date(2026, 11, 25)


def test_book_pressed_twice_at_once_on_the_public_site_books_once(app, client, session):
    """Two presses of 'Book appointment' from one browser at the same moment (a double click):
    one booking, and both answers lead to its confirmation. No NHS number: only the key tells."""
    northgate = make_site(session, name="Northgate Health Centre", postcode="LS7 3AB",
                          latitude=53.8245, longitude=-1.5310)
    make_clinic(session, site=northgate, day=DAY, start=dt.time(9, 0), end=dt.time(12, 0), chairs=2)
    check = walk_to_check(client, time="9:10am", nhs=None)
    form = {"csrf_token": check.csrf,
            "booking_key": re.search(r'name="booking_key" value="(\w+)"', check.html).group(1)}  # type: ignore[union-attr]
    session.rollback()
    answers = press_twice_at_once(app, client, "/book/check", form, then="/book/confirmation")
    [appt] = session.exec(select(Appointment)).all()
    shown = format_reference(appt.reference)
    for answer in answers:
        assert isinstance(answer, tuple), answer
        status, location, page = answer
        assert status == 302 and location.endswith("/book/confirmation")
        assert shown in page
