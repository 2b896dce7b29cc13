"""A test request's language in a real Chromium: the requester answers "Language for messages
to the patient" with the keyboard alone (each language named in itself, lang and dir set; axe on
every page), sees it on the check page and the request's page; the link in a Welsh invitation
opens the booking pages in Welsh, an Arabic one in Arabic, right to left."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import submit_request
from booking_web.services.organisations import create_organisation, organisation_by_code
from shared.locales import translations
from shared.models import LabRequest, OutboxMessage
from shared.nhs_number import make_test_number
from tests.browser.pages import heading, staff_sign_in
from tests.browser.test_keyboard import Keyboard
from tests.conftest import NOW
from tests.factories import SETUP, make_requester

EARLIEST, LATEST = dt.date(2026, 11, 30), dt.date(2026, 12, 4)
ODS = "W97022"  # this file's own practice (one live server for the whole run)


def _practice(live_server) -> None:  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        seed_catalogue(session=session)
        if organisation_by_code(session=session, ods_code=ODS) is None:
            create_organisation(session=session, ods_code=ODS, name="Llandaff Surgery", actor=SETUP, now=NOW)


def test_the_requester_chooses_welsh_with_the_keyboard_alone(site, live_server):
    _practice(live_server)
    with live_server.session() as session:
        make_requester(session, ODS, username="llandaff-gp")
    page = site.open()
    staff_sign_in(page, "llandaff-gp")
    keys = Keyboard(page)
    keys.arrive()
    keys.press("a:New request", "Who is the request for?")
    nhs = make_test_number(886_100)
    keys.type_into("#nhs_number", nhs)
    keys.type_into("#given_name", "Rhiannon")
    keys.type_into("#family_name", "Price-Jones")
    for part, value in (("#dob-day", "19"), ("#dob-month", "7"), ("#dob-year", "1956")):
        keys.type_into(part, value)
    keys.type_into("#mobile", "07700 900 741")
    group = page.get_by_role("group", name="Language for messages to the patient")
    expect(group.get_by_role("radio", name="English")).to_be_checked()  # unless the requester says
    for name, lang, direction in (("Cymraeg", "cy", "ltr"), ("Polski", "pl", "ltr"), ("العربية", "ar", "rtl")):
        label = page.locator(f"label[lang='{lang}']")
        expect(label).to_have_text(name)
        expect(label).to_have_attribute("dir", direction)
    site.audit(page, "request patient: the language question")
    keys.tab_to("#language")  # Tab lands on the chosen radio; the arrows move the choice
    page.keyboard.press("ArrowDown")
    expect(group.get_by_role("radio", name="Cymraeg")).to_be_checked()
    keys.press("button:Continue", "Which tests?")
    keys.tab_to("#tests")
    page.keyboard.press("Space")
    keys.press("button:Continue", "About the request")
    keys.tab_to("#urgency")
    page.keyboard.press("Space")
    keys.choose("#when")
    keys.press("button:Continue", "Check the request before sending it")
    row = page.locator(".nhsuk-summary-list__row", has_text="Language for messages")
    expect(row).to_contain_text("Welsh (Cymraeg)")
    expect(row.locator("span[lang='cy']")).to_have_text("Cymraeg")
    site.audit(page, "check the request: Welsh")
    keys.press("button:Send request", "Request sent")
    with live_server.session() as session:
        req = session.exec(select(LabRequest).where(LabRequest.nhs_number == nhs)).one()
        invites = session.exec(select(OutboxMessage).where(OutboxMessage.lab_request_id == req.id)).all()
    assert req.language == "cy" and [m.language for m in invites] == ["cy"]
    page.goto(f"/staff/requests/{req.request_number}")
    heading(page, req.request_number)
    expect(page.locator(".nhsuk-summary-list__row", has_text="Language for messages")).to_contain_text(
        "Welsh (Cymraeg)")
    expect(page.locator("main")).to_contain_text("Invitation to book by text message in Welsh (Cymraeg)")
    site.audit(page, "one request: Welsh")


def _invited(live_server, code: str, number: int) -> str:  # type: ignore[no-untyped-def]
    """A request in `code` for a new patient: the link its invitation carries (path and query)."""
    _practice(live_server)
    with live_server.session() as session:
        req = submit_request(
            session=session, nhs_number=make_test_number(number), tests=["FBC"], requester="Dr Morgan",
            organisation=ODS, given_name="Layla", family_name="Haddad", date_of_birth="1979-05-21",
            mobile="07700 900 842", earliest=EARLIEST.isoformat(), latest=LATEST.isoformat(), language=code,
            now=NOW, settings=live_server.settings,
        ).request
        [invite] = session.exec(select(OutboxMessage).where(OutboxMessage.lab_request_id == req.id)).all()
    assert invite.language == code
    return "/r/" + invite.personalisation["invite_url"].split("/r/", 1)[1]


def test_the_link_in_a_welsh_invitation_opens_the_pages_in_welsh(site, live_server):
    link = _invited(live_server, "cy", 886_200)
    assert link.endswith("?lang=cy")
    page = site.open(width=390, height=844)  # on a phone, from the text message
    page.goto(link)
    heading(page, translations("cy").ugettext("What is the date of birth of the person having the test?"))
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.locator(".phlebo-languages__current")).to_have_text("Cymraeg")
    site.audit(page, "invitation link: Welsh")


def test_the_link_in_an_arabic_invitation_opens_the_pages_in_arabic_right_to_left(site, live_server):
    link = _invited(live_server, "ar", 886_300)
    assert link.endswith("?lang=ar")
    page = site.open(width=390, height=844)
    page.goto(link)
    heading(page, translations("ar").ugettext("What is the date of birth of the person having the test?"))
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.locator("h1").evaluate("e => getComputedStyle(e).direction") == "rtl"
    site.audit(page, "invitation link: Arabic")
