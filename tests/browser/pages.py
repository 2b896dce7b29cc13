"""Driving the patient pages in a real browser the way a patient does (by label and button text),
and checking each page on the way: a screenshot, and axe-core's WCAG 2.2 AA rules."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Page, expect
from sqlmodel import select

from booking_web.services import availability, booking
from shared.models import Site as SiteRow
from shared.models import Slot
from shared.nhs_number import format_nhs_number, make_test_number
from shared.references import format_reference
from tests.conftest import NOW
from tests.factories import make_patient, make_site

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

AXE_FILE = Path(__file__).resolve().parents[2] / "booking_web" / "static" / "vendor" / "axe.min.js"
# axe is served to the page from a same-origin test-only address (fulfilled by Playwright, never
# by the app), so the page's CSP (script-src 'self') allows it and nothing about the CSP changes.
AXE_URL = "/__browser-tests__/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# resultTypes: full details for violations only, the others are counted (faster).
AXE_RUN = ("tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
           " resultTypes: ['violations']})")
_patients = itertools.count(1)


class Site:
    """One test's browser contexts on the live server, and the checks run on every page."""

    def __init__(self, browser: Any, server: LiveServer, artifacts: Path):
        self.browser, self.server, self.artifacts = browser, server, artifacts
        self.contexts: list[Any] = []
        self.shots = itertools.count(1)
        self.audited: list[str] = []

    def open(self, *, width: int = 1280, height: int = 900, scale: float = 1,
             javascript: bool = True) -> Page:
        """A fresh browser context (no cookies) and a page in it."""
        if not AXE_FILE.exists():
            raise AssertionError(f"{AXE_FILE} is missing: run `make assets`")
        context = self.browser.new_context(
            base_url=self.server.url, viewport={"width": width, "height": height},
            device_scale_factor=scale, java_script_enabled=javascript, locale="en-GB",
        )
        context.set_default_timeout(10_000)
        context.route("**" + AXE_URL, lambda route: route.fulfill(
            path=str(AXE_FILE), content_type="text/javascript"))
        # The NHS fonts come from assets.nhs.uk: no internet in tests, so the fallback (Arial) is
        # used, the same every run. Anything else off-site would be a defect (CSP 'self').
        context.route("https://assets.nhs.uk/**", lambda route: route.abort())
        self.contexts.append(context)
        return context.new_page()

    def close(self) -> None:
        """Close every context this test opened."""
        for context in self.contexts:
            context.close()

    def shot(self, page: Page, name: str) -> Path:
        """A full-page screenshot, numbered in the order taken."""
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
        path = self.artifacts / f"{next(self.shots):02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def audit(self, page: Page, name: str) -> None:
        """Screenshot the page, then fail with every WCAG 2.2 AA violation axe-core finds."""
        self.shot(page, name)
        violations = axe_violations(page)
        assert not violations, f"axe on {name} ({page.url}):\n" + "\n".join(violations)
        # Not an axe rule, but two choices a screen reader announces alike cannot be told apart.
        labels = page.locator("input[type=radio]").evaluate_all(
            "els => els.map(e => e.name + ': ' + e.labels[0].innerText.trim())")
        assert len(labels) == len(set(labels)), f"radios with the same label on {name}: {labels}"
        # Each error summary link into the page must land on a field the patient can type in or
        # choose. (The staff today page's label alert links to other pages: to each patient.)
        targets = page.locator(".nhsuk-error-summary a[href^='#']").evaluate_all(
            "links => links.map(a => [a.getAttribute('href'),"
            " document.getElementById(a.hash.slice(1))?.matches('input, select, textarea')])")
        assert all(ok for _href, ok in targets), f"error links to no field on {name}: {targets}"
        self.audited.append(name)


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations on the page, one readable line set per rule."""
    page.add_script_tag(url=AXE_URL)
    result = page.evaluate(AXE_RUN, WCAG_TAGS)
    lines = []
    for v in result["violations"]:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v['helpUrl']}]")
        for node in v["nodes"]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:160]}")
            lines.append(f"       {node['failureSummary']}".replace("\n", " "))
    return lines


# The booking journey.


def _new_nhs_number() -> str:
    """A 999-range NHS number no other test uses (seeds 10 apart: a seed with no check digit
    moves on to the next one)."""
    return make_test_number(700_000 + 10 * next(_patients))


@dataclass
class Patient:
    """Who the test is for, as typed into the pages."""

    given: str = "Zoë"
    family: str = "O'Brien"
    dob: tuple[str, str, str] = ("17", "5", "1970")
    nhs: str | None = field(default_factory=lambda: _new_nhs_number())
    home_postcode: str = "LS6 2AB"
    mobile: str = "07700 900 982"
    email: str = ""
    request_number: str = ""  # a request held for the patient's NHS number, when given


def nothing(_page: Page, _name: str) -> None:
    """An `on_page` check that checks nothing (when the pages are not the point of the test)."""


def heading(page: Page, text: str) -> None:
    """Wait for the page whose h1 contains `text` (the caption may share the h1's label)."""
    expect(page.locator("h1")).to_contain_text(text)


def proceed(page: Page, button: str = "Continue") -> None:
    """Press the form's button."""
    page.get_by_role("button", name=button, exact=True).click()


def pick(page: Page, label: str | None = None) -> str:
    """Check the radio with this label (the first one when None); returns its value."""
    radio = (page.get_by_role("radio", name=label, exact=True) if label
             else page.get_by_role("radio").first)
    radio.check()
    return radio.get_attribute("value") or ""


def error_summary(page: Page) -> list[str]:
    """The error summary's items, after checking the page says 'Error:' in its title."""
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    assert page.title().startswith("Error: "), page.title()
    return [t.strip() for t in page.locator(".nhsuk-error-summary li").all_inner_texts()]


def expect_error(page: Page, message: str, field_id: str | None = None) -> None:
    """The message is in the summary, linked to the field, and shown by the field itself."""
    items = error_summary(page)
    assert any(message in item for item in items), (message, items)
    if field_id:
        link = page.locator(".nhsuk-error-summary a", has_text=message)
        expect(link).to_have_attribute("href", "#" + field_id)
        expect(page.locator(f"#{field_id}")).to_have_count(1)
        expect(page.locator(".nhsuk-error-message", has_text=message)).to_be_visible()


@dataclass
class Booking:
    """What the journey chose, for checks afterwards."""

    slot_id: int = 0
    reference: str = ""
    pages: list[str] = field(default_factory=list)


OnPage = Callable[[Page, str], None]


def book(site: Site, page: Page, *, test: str = "Adult blood test", place: str | None = None,
         day: str | None = None, time: str | None = None, patient: Patient | None = None,
         postcode: str = "LS7 1AA", confirm: bool = True, on_page: OnPage | None = None,
         more_places: int = 0) -> Booking:
    """Every page from the start page to the confirmation, checking each one on the way with
    `on_page(page, name)` (by default: screenshot and axe); "Show more places" pressed
    `more_places` times before the place is chosen."""
    patient = patient or Patient()
    done = Booking()
    child = test.startswith("Child")
    on_page = on_page or site.audit

    def check(name: str) -> None:
        done.pages.append(name)
        on_page(page, name)

    page.goto("/")
    heading(page, "Book a blood test")
    check("start")
    page.get_by_role("button", name="Start now").click()
    heading(page, "What type of blood test do you need?")
    check("type")
    pick(page, test)
    proceed(page)
    heading(page, "What is your postcode?")
    check("postcode")
    page.get_by_label("What is your postcode?").fill(postcode)
    proceed(page)
    heading(page, "Where would you like to have your blood test?")
    check("place")
    for more in range(more_places):
        page.get_by_role("link", name="Show more places").click()
        expect(page).to_have_url(re.compile(rf"places={10 * (more + 2)}"))
        check(f"place, {10 * (more + 2)} shown")
    pick(page, place)
    proceed(page)
    heading(page, "What day would you like to come?")
    check("date")
    pick(page, day)
    proceed(page)
    heading(page, "What time would you like to come?")
    check("time")
    done.slot_id = int(pick(page, time))
    proceed(page)
    your = "the child's" if child else "your"
    heading(page, f"Do you know {your} NHS number?")
    check("nhs-number-known")
    if patient.nhs:
        pick(page, "Yes")
        proceed(page)
        heading(page, f"What is {your} NHS number?")
        check("nhs-number")
        page.get_by_label(f"What is {your} NHS number?").fill(format_nhs_number(patient.nhs))
    else:
        pick(page, "No")
        proceed(page)
        heading(page, f"What is {your} home postcode?")
        check("home-postcode")
        page.get_by_label(f"What is {your} home postcode?").fill(patient.home_postcode)
    proceed(page)
    heading(page, f"What is {your} name?")
    check("name")
    page.get_by_label("First name").fill(patient.given)
    page.get_by_label("Last name").fill(patient.family)
    proceed(page)
    heading(page, f"What is {your} date of birth?")
    check("date-of-birth")
    for label, value in zip(("Day", "Month", "Year"), patient.dob, strict=True):
        page.get_by_label(label, exact=True).fill(value)
    proceed(page)
    heading(page, "How can we contact you?")
    check("contact")
    page.get_by_label("UK mobile phone number").fill(patient.mobile)
    page.get_by_label("Email address").fill(patient.email)
    proceed(page)
    heading(page, "Do you have a test request number?")
    check("test-request-number")
    page.get_by_label("Do you have a test request number?").fill(patient.request_number)
    proceed(page)
    heading(page, "Check your answers before booking")
    check("check-your-answers")
    expect(page.locator("main")).to_contain_text(f"{patient.given} {patient.family}")
    if confirm:
        finish(site, page, done, on_page=on_page)
    return done


def finish(site: Site, page: Page, done: Booking, *, on_page: OnPage | None = None) -> None:
    """Press 'Book appointment' on the check page and read the reference off the confirmation."""
    proceed(page, "Book appointment")
    heading(page, "Appointment booked")
    done.reference = page.locator(".nhsuk-panel .phlebo-reference").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3}", done.reference), done.reference
    done.pages.append("confirmation")
    (on_page or site.audit)(page, "confirmation")


def find_booking(page: Page, reference: str, dob: tuple[str, str, str]) -> None:
    """'Find your booking' with the reference and date of birth."""
    page.goto("/manage")
    heading(page, "Find your booking")
    page.get_by_label("Booking reference").fill(reference)
    for label, value in zip(("Day", "Month", "Year"), dob, strict=True):
        page.get_by_label(label, exact=True).fill(value)
    proceed(page, "Find booking")


# Changing the database behind the browser's back, through the services.


def fill_slot(server: LiveServer, slot_id: int) -> None:
    """Other patients take every free chair in the slot."""
    with server.session() as session:
        slot = session.get(Slot, slot_id)
        assert slot is not None
        for _ in range(slot.capacity - slot.booked):
            booking.book_appointment(
                session=session, slot_id=slot_id, type_code="adult", patient=make_patient(
                    next(_patients), date_of_birth=dt.date(1966, 6, 6)),
                now=NOW, settings=server.app.extensions["phlebo"].settings)
        session.refresh(slot)
        assert slot.booked == slot.capacity


def book_directly(server: LiveServer, *, site_name: str, day_index: int = 3,
                  nhs: str | None = None, dob: dt.date = dt.date(1970, 5, 17),
                  type_code: str = "adult", patient: Patient | None = None) -> str:
    """A booking made through the service (not the pages): the first free time on the
    `day_index`-th free date at the site, for `patient` (their NHS number, name and date of birth)
    or for a made-up patient. Returns the reference as printed ('ABC-DEF-GHJ')."""
    settings = server.app.extensions["phlebo"].settings
    with server.session() as session:
        site = session.exec(select(SiteRow).where(SiteRow.name == site_name)).one()
        day = availability.free_dates(session=session, site_id=site.id, type_code=type_code,  # type: ignore[arg-type]
                                      now=NOW, settings=settings)[day_index]
        slot = availability.free_slots(session=session, site_id=site.id, day=day,  # type: ignore[arg-type]
                                       type_code=type_code, now=NOW, settings=settings)[0]
        details = make_patient(next(_patients), date_of_birth=dob,
                               **({"nhs_number": nhs} if nhs else {}))
        if patient is not None:
            day, month, year = (int(p) for p in patient.dob)
            details = make_patient(nhs_number=patient.nhs, given_name=patient.given,
                                   family_name=patient.family, date_of_birth=dt.date(year, month, day))
        appt = booking.book_appointment(session=session, slot_id=slot.slot_id, type_code=type_code,
                                        patient=details, now=NOW, settings=settings).appointment
        return format_reference(appt.reference)


# Staff pages.

STAFF_PASSWORD = "correct horse battery"  # what tests.factories.make_staff gives everyone


def staff_sign_in(page: Page, username: str, password: str = STAFF_PASSWORD) -> None:
    """Sign in on the staff sign-in page."""
    page.goto("/staff/sign-in")
    heading(page, "Sign in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    proceed(page, "Sign in")


def far_site(server: LiveServer, name: str, **overrides: object) -> SiteRow:
    """A site for staff tests, in Cornwall: last in every list the Leeds patients see, so the
    patient tests that share the live server pick the same places as before."""
    values: dict[str, object] = dict(name=name, address=f"1 {name} Road, Truro",
                                     postcode="TR1 3LJ", latitude=50.2632, longitude=-5.0510)
    values.update(overrides)
    with server.session() as session:
        return make_site(session, **values)
