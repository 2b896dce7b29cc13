"""The booking line (issue 11 item 9): wherever the site tells a patient to call, it gives the
number and when the line is open (PHLEBO_BOOKING_PHONE, PHLEBO_BOOKING_PHONE_HOURS), as a link a
phone can dial; every patient page's footer carries it too. Production refuses to start without
a number."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from booking_web.services import booking
from shared.config import Settings
from tests.conftest import NOW
from tests.factories import make_patient
from tests.integration.public_pages import get, parse, submit
from tests.integration.test_check_config import phlebo, production
from tests.integration.test_public_booking import _slot, sites, walk_to_check  # noqa: F401 (fixture)
from tests.integration.test_public_manage import lookup

NUMBER, HOURS = "01632 960 123", "Monday to Saturday, 9am to 5pm"  # not the demo's own
TEL = 'href="tel:+441632960123"'


@pytest.fixture
def line(app, settings):  # type: ignore[no-untyped-def]
    """The running app with its own booking line."""
    changed = dataclasses.replace(settings, booking_phone=NUMBER, booking_phone_hours=HOURS)
    app.extensions["phlebo"].settings = changed
    return changed


def _says_call_with_number(html: str, sentence_start: str) -> None:
    """The sentence telling the patient to call, with the number as a tel: link and the hours."""
    at = html.index(sentence_start)
    sentence = html[at:html.index("</p>", at)]
    assert TEL in sentence and NUMBER in sentence and HOURS in sentence, sentence


def test_the_start_page_and_the_lookup_page_give_the_number(client, line):
    _says_call_with_number(get(client, "/").html, "If you cannot use this service, call the booking line")
    _says_call_with_number(get(client, "/manage").html, "If you have lost your booking reference, call")


def test_every_patient_page_footer_has_the_booking_line(client, line):
    for path in ("/", "/manage", "/book/type"):
        page = get(client, path)
        footer = page.html[page.html.index('<footer'):]
        assert NUMBER in footer and TEL in footer and HOURS in footer, path


def test_refusals_that_say_call_give_the_number(app, client, session, line, sites):
    # A lookup refused for too many tries.
    app.extensions["phlebo"].settings = dataclasses.replace(line, lookup_limit_per_minute=1)
    lookup(client, "ABC-DEF-GHJ")
    refused = parse(lookup(client, "ABC-DEF-GHK").data)
    assert any("call the booking line on 01632 960 123 (Monday to Saturday, 9am to 5pm)" in t
               for t in refused.summary_texts), refused.summary_texts
    # A booking refused because the details do not match the record (issue 11 item 1).
    app.extensions["phlebo"].settings = line
    booking.book_appointment(session=session, slot_id=_slot(session, sites["northgate"], dt.time(9, 0)).id,
                             type_code="adult", patient=make_patient(nhs_number="9990010005", given_name="Margaret",
                                                                    family_name="Brown", date_of_birth=dt.date(1948, 2, 3)),
                             now=NOW, settings=line)
    walk_to_check(client, nhs="9990010005", given="Peggy", family="Brown", dob=("3", "2", "1948"))
    check = parse(submit(client, "/book/check").data)
    assert any("call the booking line on 01632 960 123 (Monday to Saturday, 9am to 5pm)" in t
               for t in check.summary_texts), check.summary_texts


def test_the_settings_and_the_demo_number(tmp_path):
    env = {"PHLEBO_INSTANCE_DIR": str(tmp_path)}
    demo = Settings.from_env(env)
    assert demo.booking_phone.startswith("01632 960") and demo.booking_phone_hours
    mine = Settings.from_env({**env, "PHLEBO_BOOKING_PHONE": NUMBER, "PHLEBO_BOOKING_PHONE_HOURS": HOURS})
    assert (mine.booking_phone, mine.booking_phone_hours) == (NUMBER, HOURS)


def test_production_needs_a_real_looking_number(tmp_path):
    env = production(tmp_path)
    del env["PHLEBO_BOOKING_PHONE"]
    result = phlebo(env, "check-config")
    assert result.returncode == 1 and "Problem: PHLEBO_BOOKING_PHONE is not set" in result.stdout
    result = phlebo(production(tmp_path, PHLEBO_BOOKING_PHONE="call us"), "check-config")
    assert result.returncode == 1
    assert "Problem: PHLEBO_BOOKING_PHONE is 'call us', not a UK phone number" in result.stdout
