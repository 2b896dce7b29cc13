"""The place page lists the nearest 10 places (issue 19: the search must not grow with the number
of places), "Show more places" adds 10 at a time and keeps the ones shown, a place from the second
page books, and the place an appointment is at now is always shown when changing. In real
Chromium, with axe on every page, by keyboard alone, on a phone, and in Welsh and Arabic.

Fifteen places of their own in Wharfedale (LS29), 1 to 15 ever further from the LS29 district's
middle: a patient there sees them first. The Leeds patients of the other browser test files
(LS7) still see the four demo places first, and A to Z these sort after them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from booking_web.services import availability
from shared.locales import translations
from shared.models import Appointment, Slot
from shared.models import Site as SiteRow
from shared.references import normalise_reference
from tests.browser.pages import (
    Patient,
    book,
    book_directly,
    find_booking,
    heading,
    pick,
    proceed,
)
from tests.conftest import NOW
from tests.factories import make_clinic, make_site, slots_of

PLACES = 15
NAMES = [f"Wharfedale Clinic {n}" for n in range(1, PLACES + 1)]
POSTCODE = "LS29 9AA"
FULL = 4  # this place's only clinic is fully booked: listed in its turn, with no times


@pytest.fixture(scope="module")
def wharfedale(live_server) -> list[str]:  # type: ignore[no-untyped-def]
    """The fifteen places, each with a morning clinic on each of the next five days."""
    with live_server.session() as session:
        for n, name in enumerate(NAMES, start=1):
            place = make_site(session, name=name, address=f"{n} Wharfe View, Ilkley",
                              postcode="LS29 8AB", latitude=53.9250 + 0.004 * n, longitude=-1.8220)
            for offset in range(2, 7) if n != FULL else (2,):
                clinic = make_clinic(session, site=place, day=NOW.date() + dt.timedelta(days=offset),
                                     start=dt.time(8 + n % 3, 0), end=dt.time(11, 0), types=("adult",))
                if n == FULL:
                    for slot in slots_of(session, clinic):
                        slot.booked = slot.capacity
                        session.add(slot)
                    session.commit()
    return NAMES


def _place_names(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("label.nhsuk-radios__label").all_inner_texts()]


def _to_the_place_page(page: Page, postcode: str = POSTCODE) -> None:
    page.goto("/")
    page.get_by_role("button", name="Start now").click()
    pick(page, "Adult blood test")
    proceed(page)
    page.get_by_label("What is your postcode?").fill(postcode)
    proceed(page)
    heading(page, "Where would you like to have your blood test?")


def test_the_nearest_ten_then_more_and_a_place_from_the_second_page_books(site, live_server,
                                                                          wharfedale):
    seen: dict[str, list[str]] = {}

    def on_page(page: Page, name: str) -> None:
        site.audit(page, name)
        if name.startswith("place"):
            seen[name] = _place_names(page)
            if name == "place":
                main = page.locator("main")
                expect(main).to_contain_text("Nearest to LS29 9AA first.")
                hint = page.locator(f"#site_id-{FULL}-item-hint")
                expect(hint).to_contain_text("No times free in the next 6 weeks")

    done = book(site, site.open(), place="Wharfedale Clinic 13", postcode=POSTCODE,
                more_places=1, on_page=on_page,
                patient=Patient(given="Eira", family="Wharfe-Jones", nhs=None,
                                email="eira@example.com", mobile=""))
    assert seen["place"] == wharfedale[:10]
    assert seen["place, 20 shown"][:15] == wharfedale  # the first ten kept, in their order
    with live_server.session() as session:  # and the places other test files added
        offering = availability.first_free_slots(session=session, postcode=POSTCODE,
                                                 type_code="adult", now=NOW,
                                                 settings=live_server.settings)
    assert len(seen["place, 20 shown"]) == min(20, len(offering))
    with live_server.session() as session:
        appt = session.exec(select(Appointment).where(
            Appointment.reference == normalise_reference(done.reference))).one()
        slot = session.get(Slot, appt.slot_id)
        place = session.get(SiteRow, slot.site_id)  # type: ignore[union-attr]
    assert place is not None and place.name == "Wharfedale Clinic 13"


def test_show_more_places_and_choose_one_by_keyboard_alone_on_a_phone(site, wharfedale):
    page = site.open(width=375, height=812)
    _to_the_place_page(page)
    site.audit(page, "place, phone")
    link = page.get_by_role("link", name="Show more places")
    for _ in range(80):  # Tab through the page to the link (bounded)
        if link.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("Tab never reached 'Show more places'")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"places=20#site_id-11$"))
    # The first new place is the one the page opens at (the patient's place in the list).
    expect(page.locator(":target")).to_have_attribute("id", "site_id-11")
    assert _place_names(page)[:15] == wharfedale
    site.audit(page, "place, 20 shown, phone")
    # Back into the radios (a radio group is one Tab stop; coming back in lands on its last
    # radio), then up with the arrow keys to the twelfth place, then on to Continue.
    for _ in range(80):
        if page.evaluate("document.activeElement.type === 'radio'"):
            break
        page.keyboard.press("Shift+Tab")
    else:
        raise AssertionError("Shift+Tab never reached the places")
    twelfth = page.get_by_role("radio", name="Wharfedale Clinic 12", exact=True)
    for _ in range(20):
        if twelfth.is_checked():
            break
        page.keyboard.press("ArrowUp")
    expect(twelfth).to_be_checked()
    expect(twelfth).to_be_focused()
    continue_button = page.get_by_role("button", name="Continue", exact=True)
    for _ in range(40):
        if continue_button.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    heading(page, "What day would you like to come?")
    expect(page.locator("main")).to_contain_text("at Wharfedale Clinic 12")
    site.audit(page, "date after a place from the second page, phone")


def test_changing_shows_the_current_place_even_beyond_the_nearest_ten(site, live_server,
                                                                      wharfedale):
    patient = Patient(given="Bryn", family="Ilkley", dob=("2", "3", "1961"))
    reference = book_directly(live_server, site_name="Wharfedale Clinic 15", day_index=0,
                              patient=patient)
    page = site.open()
    find_booking(page, reference, patient.dob)
    heading(page, "Your blood test appointment")
    page.get_by_role("button", name="Change time or place").click()
    heading(page, "Where would you like to have your blood test?")
    # The nearest ten to where the appointment is now, then the place itself (15th nearest).
    assert _place_names(page) == wharfedale[:10] + ["Wharfedale Clinic 15"]
    current = page.get_by_role("radio", name="Wharfedale Clinic 15", exact=True)
    expect(current).to_be_checked()
    expect(page.locator("#site_id-11-item-hint")).to_contain_text("Your appointment is here now")
    site.audit(page, "change, place")
    page.get_by_role("link", name="Show more places").click()
    names = _place_names(page)
    assert names[:15] == wharfedale and len(names) <= 20  # now in its own place, once
    assert names.count("Wharfedale Clinic 15") == 1
    expect(page.locator("#site_id-15-item-hint")).to_contain_text("Your appointment is here now")
    site.audit(page, "change, place, 20 shown")
    pick(page, "Wharfedale Clinic 14")
    proceed(page)
    heading(page, "What day would you like to come?")
    expect(page.locator("main")).to_contain_text("at Wharfedale Clinic 14")


@pytest.mark.parametrize("code,width", [("cy", 1280), ("ar", 375)])
def test_show_more_places_in_welsh_and_arabic(site, wharfedale, code, width):
    t = translations(code).ugettext
    page = site.open(width=width, height=900)
    _to_the_place_page(page)
    page.goto(page.url + f"?lang={code}")
    assert page.locator("html").get_attribute("lang") == code
    heading(page, t("Where would you like to have your blood test?"))
    link = page.get_by_role("link", name=t("Show more places"))
    expect(link).to_be_visible()
    if code == "ar":
        assert page.locator("html").get_attribute("dir") == "rtl"
    site.audit(page, f"{code} place")
    link.click()
    expect(page).to_have_url(re.compile(r"places=20"))
    assert _place_names(page)[:15] == wharfedale
    site.audit(page, f"{code} place, 20 shown")


def test_a_places_address_reads_left_to_right_inside_the_arabic_page(site, wharfedale):
    """'1 Wharfe View, Ilkley, LS29 8AB' on a right-to-left page: the house number stays before
    the street (without isolation the bidi algorithm put it after the postcode: '... 8AB 1')."""
    page = site.open(width=375, height=900)
    _to_the_place_page(page)
    page.goto(page.url + "?lang=ar")
    assert page.locator("html").get_attribute("dir") == "rtl"
    address = page.locator(".phlebo-hint-line", has_text="Wharfe View").first
    # Where the browser drew the first character ('1') and the 'W' of 'Wharfe', left to right.
    number_x, street_x = address.evaluate("""line => {
        const text = [...line.childNodes].find(n => n.nodeType === Node.TEXT_NODE && n.data.includes('Wharfe'));
        const at = i => { const r = document.createRange(); r.setStart(text, i); r.setEnd(text, i + 1);
                          return r.getBoundingClientRect().left; };
        const start = text.data.indexOf('1 Wharfe');
        return [at(start), at(start + 2)];
    }""")
    assert number_x < street_x
