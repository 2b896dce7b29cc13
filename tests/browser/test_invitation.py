"""The patient's side of a test request in a real Chromium: the link from the invitation, the date
of birth, only dates inside the window the practice asked for and fasting times, the check page
and the confirmation naming the tests; and the same request booked from NHS login's "Your blood
tests". Every page checked by axe-core."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect
from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import submit_request
from booking_web.services.organisations import create_organisation, organisation_by_code
from shared.locales import translations
from shared.models import Appointment, LabRequest, OutboxMessage
from shared.nhs_number import make_test_number
from shared.timeutil import format_date, to_local
from tests.browser.pages import error_summary, heading, pick, proceed
from tests.browser.test_nhs_login_journeys import AOIFE, nhs_login  # noqa: F401 (nhs_login: a fixture)
from tests.conftest import NOW
from tests.factories import SETUP

EARLIEST, LATEST = dt.date(2026, 11, 30), dt.date(2026, 12, 4)  # next week, Monday to Friday


def _request(live_server, nhs_number: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A request for FBC, UE and GLU next week; its number and the link its invitation carries."""
    with live_server.session() as session:
        seed_catalogue(session=session)
        if organisation_by_code(session=session, ods_code="B82010") is None:
            create_organisation(session=session, ods_code="B82010", name="Beck Surgery", actor=SETUP, now=NOW)
        number = submit_request(
            session=session, nhs_number=nhs_number, tests=["FBC", "UE", "GLU"], requester="Dr Beck",
            organisation="B82010", given_name="Edith", family_name="Ng", date_of_birth="1950-02-01",
            mobile="07700 900 612", earliest=EARLIEST.isoformat(), latest=LATEST.isoformat(), now=NOW,
            settings=live_server.settings,
        ).request.request_number
        req = session.exec(select(LabRequest).where(LabRequest.request_number == number)).one()
        message = session.exec(select(OutboxMessage).where(OutboxMessage.template == "invite",
                                                           OutboxMessage.lab_request_id == req.id)).one()
        assert req.status == "invited"
        return number, message.personalisation["invite_url"]


def test_the_patient_books_through_the_invitation_link(site, live_server):
    nhs = make_test_number(884_000)
    number, url = _request(live_server, nhs)
    path = url.split("/r/", 1)[1]
    page = site.open(width=390, height=844)  # on a phone, from the text message
    page.goto(f"/r/{path}")
    heading(page, "What is the date of birth of the person having the test?")
    expect(page.locator("main")).not_to_contain_text("Edith")
    expect(page.locator("main")).to_contain_text(format_date(EARLIEST))
    site.audit(page, "invitation: date of birth")
    page.get_by_label("Day").fill("2")
    page.get_by_label("Month").fill("1")
    page.get_by_label("Year").fill("1950")
    proceed(page)
    expect(page.locator("main")).to_contain_text("does not match")
    assert error_summary(page)
    site.audit(page, "invitation: date of birth wrong")
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("2")
    proceed(page)
    page.get_by_label("Postcode").fill("LS7 1AA")
    site.audit(page, "invitation: postcode")
    proceed(page)
    site.audit(page, "invitation: place")
    pick(page)
    proceed(page)
    heading(page, "What day would you like to come?")
    site.audit(page, "invitation: date")
    labels = page.locator(".nhsuk-radios__label").all_inner_texts()
    allowed = {format_date(EARLIEST + dt.timedelta(days=n)) for n in range(5)}
    assert labels and set(labels) <= allowed, labels
    pick(page)
    proceed(page)
    site.audit(page, "invitation: time")
    times = page.locator(".nhsuk-radios__label").all_inner_texts()
    for label in times:  # fasting: nothing after half past ten
        hour, minute = re.fullmatch(r"(\d+):(\d\d)(am|pm)", label.strip()).group(1, 2)  # type: ignore[union-attr]
        assert "am" in label and (int(hour), int(minute)) <= (10, 30), label
    pick(page)
    proceed(page)
    heading(page, "Check your booking")
    expect(page.locator("main")).to_contain_text("Fasting blood test")
    expect(page.locator("main")).to_contain_text("Glucose (fasting)")
    site.audit(page, "invitation: check")
    proceed(page, "Book appointment")
    heading(page, "Appointment booked")
    expect(page.locator("main")).to_contain_text("Full blood count")
    site.audit(page, "invitation: booked")
    with live_server.session() as session:
        appt = session.exec(select(Appointment).where(Appointment.request_number == number)).one()
        assert appt.type_code == "fasting" and EARLIEST <= to_local(appt.starts_at).date() <= LATEST
        assert session.exec(select(LabRequest).where(LabRequest.request_number == number)).one().status == "booked"
    # The link is spent.
    again = site.open()
    response = again.goto(f"/r/{path}")
    assert response is not None and response.status == 404
    heading(again, "This link does not work")
    site.audit(again, "invitation: link used")


def test_a_p9_patient_books_their_practices_request_from_your_blood_tests(site, live_server, nhs_login):  # noqa: F811
    """NHS login has checked who they are: "Your blood tests" lists the test the practice asked
    for, and booking it asks no date of birth and offers only the window's dates."""
    with live_server.session() as session:
        seed_catalogue(session=session)
        if organisation_by_code(session=session, ods_code="B82010") is None:
            create_organisation(session=session, ods_code="B82010", name="Beck Surgery", actor=SETUP, now=NOW)
        number = submit_request(
            session=session, nhs_number=AOIFE.nhs, tests=["FBC"], requester="Dr Beck", organisation="B82010",
            given_name=AOIFE.given, family_name=AOIFE.family, date_of_birth="1987-02-28",
            earliest=EARLIEST.isoformat(), latest=LATEST.isoformat(), now=NOW,
        ).request.request_number
    page = site.open(width=390, height=844)
    page.goto("/nhs-login/start/manage")
    heading(page, "Sign in with a test user")
    page.get_by_role("button", name="Continue as Aoife Ní Bhriain-Okafor").click()
    heading(page, "Your blood tests")
    main = page.locator("main")
    expect(main).to_contain_text("Tests to book")
    expect(main).to_contain_text(f"Beck Surgery asked for this test between {format_date(EARLIEST)} and "
                                 f"{format_date(LATEST)}.")
    site.audit(page, "your blood tests: a test to book")
    page.get_by_role("link", name=re.compile("^Book an appointment")).click()
    heading(page, "What is your postcode?")  # no date of birth asked
    page.get_by_label("Postcode").fill("LS7 1AA")
    proceed(page)
    pick(page)
    proceed(page)
    labels = page.locator(".nhsuk-radios__label").all_inner_texts()
    assert labels and set(labels) <= {format_date(EARLIEST + dt.timedelta(days=n)) for n in range(5)}, labels
    pick(page)
    proceed(page)
    pick(page)
    proceed(page)
    heading(page, "Check your booking")
    expect(main).to_contain_text("Full blood count")
    proceed(page, "Book appointment")
    heading(page, "Appointment booked")
    with live_server.session() as session:
        appt = session.exec(select(Appointment).where(Appointment.request_number == number)).one()
        assert appt.type_code == "adult" and EARLIEST <= to_local(appt.starts_at).date() <= LATEST


def test_the_invitation_in_arabic_with_a_wrong_date_of_birth(site, live_server):  # type: ignore[no-untyped-def]
    """The invitation's pages in Arabic: the date-of-birth question, its refusal in the error
    summary (right to left) and beside the boxes, and the dead-link page; axe clean."""
    words = translations("ar").ugettext
    _number, url = _request(live_server, make_test_number(884_100))
    page = site.open(width=390, height=844)
    page.goto("/?lang=ar")
    page.goto("/r/" + url.split("/r/", 1)[1])
    heading(page, words("What is the date of birth of the person having the test?"))
    assert page.locator("html").get_attribute("dir") == "rtl"
    for box, value in (("day", "2"), ("month", "1"), ("year", "1950")):
        page.locator(f"#dob-{box}").fill(value)
    page.get_by_role("button", name=words("Continue"), exact=True).click()
    refusal = words("That date of birth does not match the one your GP practice gave us. Check it and try again.")
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    assert [t.strip() for t in summary.locator("li").all_inner_texts()] == [refusal]
    assert page.title().startswith(words("Error:"))
    assert page.locator(".nhsuk-error-message", has_text=refusal).count() == 1
    assert summary.evaluate("el => getComputedStyle(el).direction") == "rtl"
    site.audit(page, "invitation in arabic: wrong date of birth")
    page.goto("/r/not-a-link")
    heading(page, words("This link does not work"))
    site.audit(page, "invitation in arabic: dead link")
