"""The patient booking journey through the real pages, on SQLite and PostgreSQL: every question
page, 'Check your answers', the confirmation (reference, QR, calendar file, PDF letter) and every
error a patient can meet on the way."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import select

from booking_web.services import booking
from booking_web.services.qr import read_qr_payload
from shared.models import Appointment, Patient, Slot
from shared.nhs_number import format_nhs_number, make_test_number
from shared.references import format_reference
from shared.timeutil import local_to_utc
from tests.conftest import NOW
from tests.factories import audit_log, make_clinic, make_patient, make_site, slots_of
from tests.integration.public_pages import Page, get, parse, pdf_text, qr_text, submit


def six_test_request(session, *, nhs_number: str) -> str:  # type: ignore[no-untyped-def]
    """A test request held for this NHS number (the partner API's service), its number."""
    from booking_web.services.catalogue import seed_catalogue
    from booking_web.services.lab_requests import create_request

    seed_catalogue(session=session)
    return create_request(session=session, nhs_number=nhs_number, tests=["FBC", "UE"],
                          requester="Dr Example", api_key_id=None, now=NOW).request_number

DAY = dt.date(2026, 11, 25)  # Wednesday, two days after NOW
DAY_TEXT = "Wednesday 25 November 2026"
NHS = make_test_number(4242)


@pytest.fixture
def sites(session):  # type: ignore[no-untyped-def]
    """An adult clinic (near LS7), a children's clinic (LS11) and a far-away adult clinic (LS28)."""
    northgate = make_site(
        session,
        name="Northgate Health Centre",
        postcode="LS7 3AB",
        latitude=53.8245,
        longitude=-1.5310,
        access_notes="Step-free entrance from the car park.",
    )
    riverside = make_site(
        session,
        name="Riverside Children's Clinic",
        postcode="LS11 5QT",
        latitude=53.7805,
        longitude=-1.5525,
        paediatric=True,
        access_notes="Rainbow Room, ground floor.",
    )
    westfield = make_site(
        session, name="Westfield Surgery", postcode="LS28 7HB", latitude=53.7990, longitude=-1.6615
    )
    make_clinic(session, site=northgate, day=DAY, start=dt.time(9, 0), end=dt.time(12, 0), chairs=2)
    make_clinic(
        session,
        site=northgate,
        day=DAY + dt.timedelta(days=1),
        start=dt.time(9, 0),
        end=dt.time(10, 0),
    )
    make_clinic(
        session,
        site=riverside,
        day=DAY,
        start=dt.time(9, 0),
        end=dt.time(11, 0),
        slot_minutes=15,
        chairs=1,
        types=("child",),
    )
    make_clinic(session, site=westfield, day=DAY, start=dt.time(13, 0), end=dt.time(14, 0))
    return {"northgate": northgate, "riverside": riverside, "westfield": westfield}


def _slot(session, site, wall: dt.time) -> Slot:  # type: ignore[no-untyped-def]
    """The slot at a site at a London wall-clock time on DAY."""
    return session.exec(
        select(Slot).where(Slot.site_id == site.id, Slot.starts_at == local_to_utc(DAY, wall))
    ).one()


def answer(client, url: str, data: dict[str, str], expect_next: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """Answer one question page; it must move on (303/302). Returns where it went."""
    response = submit(client, url, data)
    assert response.status_code in (302, 303), (
        url,
        response.status_code,
        parse(response.data).summary_texts,
    )
    location = response.headers["Location"]
    if expect_next:
        assert location.endswith(expect_next), (url, location)
    return location


def choose(client, url: str, name: str, label: str, expect_next: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """Pick a radio on a page by its visible label."""
    page = get(client, url)
    return answer(client, url, {name: page.radio_value(name, label)}, expect_next)


def walk_to_check(
    client,
    *,
    type_label: str = "Adult blood test",
    postcode: str = "LS7 1AA",  # type: ignore[no-untyped-def]
    site: str = "Northgate Health Centre",
    time: str = "9:10am",
    nhs: str | None = NHS,
    dob: tuple[str, str, str] = ("17", "5", "1970"),
    given: str = "Zoë",
    family: str = "O'Brien",
    home_postcode: str = "LS6 2AB",
    request_number: str = "",
) -> Page:
    """Every question page in order, asserting each one's heading; ends on 'Check your answers'."""
    start = get(client, "/")
    assert start.h1 == "Book a blood test"
    first = client.get(start.link("Start now"))
    assert first.headers["Location"].endswith("/book/type")
    page = get(client, "/book/type")
    assert page.h1 == "What type of blood test do you need?" and page.csrf
    choose(client, "/book/type", "type", type_label, "/book/postcode")
    assert get(client, "/book/postcode").h1 == "What is your postcode?"
    answer(client, "/book/postcode", {"postcode": postcode}, "/book/place")
    assert get(client, "/book/place").h1 == "Where would you like to have your blood test?"
    choose(client, "/book/place", "site_id", site, "/book/date")
    date_page = get(client, "/book/date")
    assert date_page.h1 == "What day would you like to come?"
    choose(client, "/book/date", "date", DAY_TEXT, "/book/time")
    time_page = get(client, "/book/time")
    assert time_page.h1 == "What time would you like to come?"
    choose(client, "/book/time", "slot_id", time, "/book/nhs-number-known")
    assert get(client, "/book/nhs-number-known").h1.startswith("Do you know")
    if nhs is not None:
        answer(client, "/book/nhs-number-known", {"nhs_known": "yes"}, "/book/nhs-number")
        nhs_page = get(client, "/book/nhs-number")
        field = nhs_page.inputs["nhs_number"]
        assert field["inputmode"] == "numeric" and field["autocomplete"] == "off"
        assert "nhsuk-input--width-10" in field["class"]  # 23ex: room for '999 123 4567' and more
        assert "This is a 10 digit number, like 999 123 4567" in nhs_page.text
        answer(
            client,
            "/book/nhs-number",
            {"nhs_number": format_nhs_number(nhs).replace(" ", "-")},
            "/book/name",
        )
    else:
        answer(client, "/book/nhs-number-known", {"nhs_known": "no"}, "/book/home-postcode")
        answer(client, "/book/home-postcode", {"home_postcode": home_postcode}, "/book/name")
    name_page = get(client, "/book/name")
    assert name_page.inputs["given_name"]["autocomplete"] == "given-name"
    assert name_page.inputs["family_name"]["autocomplete"] == "family-name"
    answer(
        client, "/book/name", {"given_name": given, "family_name": family}, "/book/date-of-birth"
    )
    dob_page = get(client, "/book/date-of-birth")
    assert "<fieldset" in dob_page.html and "<legend" in dob_page.html
    assert [dob_page.inputs[f"dob-{p}"]["autocomplete"] for p in ("day", "month", "year")] == [
        "bday-day",
        "bday-month",
        "bday-year",
    ]
    assert all(
        dob_page.inputs[f"dob-{p}"]["inputmode"] == "numeric" for p in ("day", "month", "year")
    )
    answer(
        client,
        "/book/date-of-birth",
        dict(zip(("dob-day", "dob-month", "dob-year"), dob, strict=True)),
        "/book/contact",
    )
    answer(
        client,
        "/book/contact",
        {"mobile": "07700 900 982", "email": ""},
        "/book/test-request-number",
    )
    answer(client, "/book/test-request-number", {"request_number": request_number}, "/book/check")
    check = get(client, "/book/check")
    assert check.h1 == "Check your answers before booking"
    return check


def confirm(client) -> Page:  # type: ignore[no-untyped-def]
    """Press 'Book appointment' and follow to the confirmation page."""
    response = submit(client, "/book/check")
    assert response.status_code == 302, parse(response.data).summary_texts
    assert response.headers["Location"].endswith("/book/confirmation")
    return get(client, "/book/confirmation")


def test_start_page_says_what_you_need_and_links_to_book_and_manage(client):
    page = get(client, "/")
    assert page.title == "Book a blood test – NHS"
    assert "It takes about 5 minutes" in page.text and "NHS number" in page.text
    assert page.link("Start now") == "/book"
    assert page.link("Change or cancel a booking") == "/manage"
    assert '<html lang="en-GB">' in page.html


def test_adult_journey_to_confirmation_with_qr_calendar_and_letter(
    client, session, settings, sites
):
    request_number = six_test_request(session, nhs_number=NHS)
    # Typed as people copy it off a form: spaces, small letters.
    typed = f"{request_number[:2].lower()} {request_number[2:6]} {request_number[6:]}"
    check = walk_to_check(client, request_number=typed)
    for shown in (
        "Adult blood test",
        "Northgate Health Centre",
        DAY_TEXT,
        "9:10am",
        format_nhs_number(NHS),
        "Zoë O'Brien",
        "17 May 1970",
        "07700 900982",
        request_number,
    ):
        assert shown in check.text, shown
    assert check.link("Change name").endswith("/book/name?from=check")

    page = confirm(client)
    appt = session.exec(select(Appointment)).one()
    assert page.title.startswith("Appointment booked")
    panel = re.search(r'<div class="nhsuk-panel">(.*?)</div>\s*</div>', page.html, re.S)
    assert panel and format_reference(appt.reference) in panel.group(1)
    assert re.fullmatch(r"[A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3}", format_reference(appt.reference))
    for shown in (
        DAY_TEXT,
        "9:10am",
        "Northgate Health Centre",
        "LS7 3AB",
        "Step-free entrance from the car park",
    ):
        assert shown in page.text, shown
    assert appt.request_number == request_number and appt.type_code == "adult"
    patient = session.get(Patient, appt.patient_id)
    assert (
        patient.nhs_number == NHS
        and patient.family_name == "O'Brien"
        and patient.mobile == "07700900982"
    )

    claim = read_qr_payload(secret=settings.secret_key, text=qr_text(page))
    assert (claim.reference, claim.site_id, claim.day) == (
        appt.reference,
        sites["northgate"].id,
        DAY,
    )

    ics = client.get(page.link("Add to your calendar"))
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    [event] = Calendar.from_ical(ics.data).walk("VEVENT")
    start = event.decoded("dtstart")
    assert start.tzinfo is not None
    assert start.astimezone(ZoneInfo("Europe/London")).replace(tzinfo=None) == dt.datetime(
        2026, 11, 25, 9, 10
    )
    assert "Northgate Health Centre" in str(event["location"])
    assert format_reference(appt.reference) in str(event["description"])
    assert "O'Brien" not in ics.data.decode()  # calendars are often shared: no name

    letter = client.get(page.link("appointment letter"))
    assert letter.status_code == 200 and letter.mimetype == "application/pdf"
    assert letter.data.startswith(b"%PDF")
    text = pdf_text(letter.data)
    assert format_reference(appt.reference).encode() in text
    assert b"9:10am" in text and b"Northgate Health Centre" in text

    # The journey is over: the form sent again (Back, then 'Book') shows the booking made, and
    # without the form's key, the finished journey's page; neither books twice.
    key = re.search(r'name="booking_key" value="([0-9a-f]{32})"', check.html).group(1)
    again = client.post("/book/check", data={"csrf_token": check.csrf, "booking_key": key})
    assert again.status_code == 302 and again.headers["Location"].endswith("/book/confirmation")
    assert format_reference(appt.reference) in get(client, "/book/confirmation").text
    fresh = client.post("/book/check", data={"csrf_token": check.csrf})
    assert fresh.status_code == 302 and fresh.headers["Location"].endswith("/book/booked")
    assert len(session.exec(select(Appointment)).all()) == 1


def test_child_journey_lists_only_childrens_clinics(client, session, settings, sites):
    client.get("/book")
    choose(client, "/book/type", "type", "Child blood test")
    answer(client, "/book/postcode", {"postcode": "LS7 1AA"})
    place = get(client, "/book/place")
    names = [label for _v, label, _c in place.radios["site_id"]]
    assert len(names) == 1 and names[0].startswith("Riverside Children's Clinic")
    assert "Only places with a children's clinic are shown" in place.text
    check = walk_to_check(
        client,
        type_label="Child blood test",
        site="Riverside Children's Clinic",
        time="9:15am",
        dob=("3", "4", "2018"),
        given="Amira",
        family="Khan",
    )
    assert "The child's details" in check.text
    page = confirm(client)
    appt = session.exec(select(Appointment)).one()
    assert appt.type_code == "child" and appt.site_id == sites["riverside"].id
    assert format_reference(appt.reference) in page.text and "Rainbow Room" in page.text
    assert (
        read_qr_payload(secret=settings.secret_key, text=qr_text(page)).reference == appt.reference
    )


def test_without_nhs_number_asks_home_postcode_and_books(client, session, sites):
    check = walk_to_check(client, nhs=None, home_postcode="ls6 2ab")
    assert "Not known" in check.text and "LS6 2AB" in check.text
    page = confirm(client)
    appt = session.exec(select(Appointment)).one()
    patient = session.get(Patient, appt.patient_id)
    assert patient.nhs_number is None and patient.postcode == "LS6 2AB"
    assert format_reference(appt.reference) in page.text


def test_sites_are_listed_nearest_first_with_miles(client, sites):
    client.get("/book")
    choose(client, "/book/type", "type", "Adult blood test")
    answer(client, "/book/postcode", {"postcode": "LS28 1AA"})
    page = get(client, "/book/place")
    labels = [label for _v, label, _c in page.radios["site_id"]]
    assert labels[0].startswith("Westfield Surgery") and labels[-1].startswith(
        "Northgate Health Centre"
    )
    assert re.search(r"Westfield Surgery.*?\d+\.\d miles away", page.text)


def test_unknown_postcode_lists_places_a_to_z_with_a_message(client, sites):
    client.get("/book")
    choose(client, "/book/type", "type", "Adult blood test")
    answer(client, "/book/postcode", {"postcode": "SW1A 1AA"})
    page = get(client, "/book/place")
    labels = [label.split(" ")[0] for _v, label, _c in page.radios["site_id"]]
    assert labels == sorted(labels)
    assert (
        "We could not find how far places are from SW1A 1AA, so they are listed from A to Z"
        in page.text
    )
    assert "miles away" not in page.text


def test_a_place_with_no_free_dates_says_so_and_offers_other_places(client, session, sites):
    empty = make_site(session, name="Aardvark Empty Clinic", postcode="LS1 4AB")
    for slot in slots_of(session, make_clinic(session, site=empty, day=DAY, chairs=1)):
        slot.booked = slot.capacity  # every time taken
        session.add(slot)
    session.commit()
    client.get("/book")
    choose(client, "/book/type", "type", "Adult blood test")
    answer(client, "/book/postcode", {"postcode": "LS1 4AB"})
    choose(client, "/book/place", "site_id", "Aardvark Empty Clinic")
    page = get(client, "/book/date")
    assert page.h1 == "There are no free appointments at Aardvark Empty Clinic"
    assert page.link("Choose another place").endswith("/book/place")


def test_fasting_only_offers_times_before_half_past_ten(client, session, sites):
    client.get("/book")
    choose(client, "/book/type", "type", "Fasting blood test")
    answer(client, "/book/postcode", {"postcode": "LS7 1AA"})
    choose(client, "/book/place", "site_id", "Northgate Health Centre")
    choose(client, "/book/date", "date", DAY_TEXT)
    times = [label for _v, label, _c in get(client, "/book/time").radios["slot_id"]]
    assert times[0] == "9:00am" and times[-1] == "10:20am"


def test_pages_refuse_to_skip_ahead(client, sites):
    for url in ("/book/postcode", "/book/time", "/book/name", "/book/check"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith(
            "/book/type"
        ), url
    assert client.get("/book/confirmation").headers["Location"].endswith("/")


def _to(client, step: str) -> None:  # type: ignore[no-untyped-def]
    """Answer everything before `step` (valid answers)."""
    order = [
        "type",
        "postcode",
        "place",
        "date",
        "time",
        "known",
        "nhs",
        "name",
        "dob",
        "contact",
        "request",
    ]
    steps = {
        "type": lambda: choose(client, "/book/type", "type", "Adult blood test"),
        "postcode": lambda: answer(client, "/book/postcode", {"postcode": "LS7 1AA"}),
        "place": lambda: choose(client, "/book/place", "site_id", "Northgate"),
        "date": lambda: choose(client, "/book/date", "date", DAY_TEXT),
        "time": lambda: choose(client, "/book/time", "slot_id", "9:10am"),
        "known": lambda: answer(client, "/book/nhs-number-known", {"nhs_known": "yes"}),
        "nhs": lambda: answer(client, "/book/nhs-number", {"nhs_number": NHS}),
        "name": lambda: answer(client, "/book/name", {"given_name": "Ann", "family_name": "Lee"}),
        "dob": lambda: answer(
            client, "/book/date-of-birth", {"dob-day": "1", "dob-month": "2", "dob-year": "1960"}
        ),
        "contact": lambda: answer(client, "/book/contact", {"mobile": "07700900982"}),
        "request": lambda: answer(client, "/book/test-request-number", {"request_number": ""}),
    }
    client.get("/book")
    for name in order[: order.index(step)]:
        steps[name]()


@pytest.mark.parametrize(
    "step,url,data,field,message",
    [
        ("type", "/book/type", {}, "type", "Select the type of blood test you need"),
        ("postcode", "/book/postcode", {"postcode": ""}, "postcode", "Enter a postcode"),
        (
            "postcode",
            "/book/postcode",
            {"postcode": "NOT A CODE"},
            "postcode",
            "Enter a real postcode, like LS1 4AB",
        ),
        ("place", "/book/place", {}, "site_id", "Select a place for your blood test"),
        (
            "place",
            "/book/place",
            {"site_id": "99999"},
            "site_id",
            "Select a place for your blood test",
        ),
        ("date", "/book/date", {"date": "2026-11-30"}, "date", "Select a date"),
        ("time", "/book/time", {}, "slot_id", "Select a time"),
        (
            "known",
            "/book/nhs-number-known",
            {},
            "nhs_known",
            "Select yes if you know your NHS number",
        ),
        ("nhs", "/book/nhs-number", {"nhs_number": ""}, "nhs_number", "Enter your NHS number"),
        (
            "nhs",
            "/book/nhs-number",
            {"nhs_number": "999 123 456"},
            "nhs_number",
            "Your NHS number must be 10 digits long",
        ),
        (
            "nhs",
            "/book/nhs-number",
            {"nhs_number": "999 123 4568"},
            "nhs_number",
            "Check your NHS number: it is not a valid NHS number. "
            "It is 10 digits, like 999 123 4567",
        ),
        (
            "nhs",
            "/book/nhs-number",
            {"nhs_number": "ABC"},
            "nhs_number",
            "Your NHS number must contain only numbers, spaces and dashes",
        ),
        (
            "name",
            "/book/name",
            {"given_name": "", "family_name": "Lee"},
            "given_name",
            "Enter your first name",
        ),
        (
            "name",
            "/book/name",
            {"given_name": "Ann", "family_name": "L33"},
            "family_name",
            "Your last name must only include letters, spaces, hyphens and apostrophes",
        ),
        ("dob", "/book/date-of-birth", {}, "dob-day", "Enter your date of birth"),
        (
            "dob",
            "/book/date-of-birth",
            {"dob-day": "1", "dob-month": "1", "dob-year": "2027"},
            "dob-day",
            "Your date of birth must be in the past",
        ),
        (
            "dob",
            "/book/date-of-birth",
            {"dob-day": "31", "dob-month": "2", "dob-year": "1970"},
            "dob-day",
            "Your date of birth must be a real date",
        ),
        (
            "dob",
            "/book/date-of-birth",
            {"dob-day": "1", "dob-month": "", "dob-year": "1970"},
            "dob-month",
            "Your date of birth must include a month",
        ),
        (
            "dob",
            "/book/date-of-birth",
            {"dob-day": "1", "dob-month": "1", "dob-year": "2015"},
            "dob-day",
            "is for people aged 16 or over. For children under 16, choose 'Child blood test'.",
        ),
        (
            "contact",
            "/book/contact",
            {"mobile": "", "email": ""},
            "mobile",
            "Enter a mobile phone number or an email address",
        ),
        (
            "contact",
            "/book/contact",
            {"mobile": "0113 496 0000", "email": ""},
            "mobile",
            "Enter a UK mobile phone number, like 07700 900 982",
        ),
        (
            "contact",
            "/book/contact",
            {"mobile": "", "email": "not-an-email"},
            "email",
            "Enter an email address in the correct format, like name@example.com",
        ),
        (
            "request",
            "/book/test-request-number",
            {"request_number": "<script>"},
            "request_number",
            "A test request number is RQ and 8 numbers, like RQ00012345. "
            "Leave this empty if you do not have one",
        ),
    ],
)
def test_every_question_shows_its_errors(client, sites, step, url, data, field, message):
    _to(client, step)
    response = submit(client, url, data)
    assert response.status_code == 400
    page = parse(response.data)
    assert page.title.startswith("Error: ")
    [(href, text)] = page.summary_links
    assert href == "#" + field and text.endswith(
        message
    )  # exact, bar the type name it may start with
    error_id = field if not field.startswith("dob-") else "dob"
    assert page.field_errors[error_id] == text
    assert f'id="{field}"' in page.html  # the summary link lands on a real field


def test_slot_taken_meanwhile_goes_back_to_time_with_an_error(client, session, settings, sites):
    walk_to_check(client, time="9:10am")
    slot = _slot(session, sites["northgate"], dt.time(9, 10))
    for n in range(slot.capacity):  # other patients take every chair first
        booking.book_appointment(
            session=session,
            slot_id=slot.id,
            type_code="adult",
            patient=make_patient(70 + n),
            now=NOW,
            settings=settings,
        )
    response = submit(client, "/book/check")
    assert response.status_code == 302 and "/book/time" in response.headers["Location"]
    page = get(client, response.headers["Location"])
    assert page.title.startswith("Error: ")
    assert (
        "#slot_id",
        "Sorry, that time has just been taken. Select another time.",
    ) in page.summary_links
    assert "9:10am" not in [label for _v, label, _c in page.radios["slot_id"]]
    # Choosing another time goes straight back to 'Check your answers', then books.
    location = answer(
        client, response.headers["Location"], {"slot_id": page.radio_value("slot_id", "9:20am")}
    )
    assert location.endswith("/book/check")
    assert "9:20am" in confirm(client).text


def test_too_many_bookings_is_shown_on_check_page(client, session, settings, sites):
    clinic_slots = session.exec(select(Slot).where(Slot.site_id == sites["westfield"].id)).all()
    for slot in clinic_slots[:3]:
        booking.book_appointment(
            session=session,
            slot_id=slot.id,
            type_code="adult",
            patient=make_patient(nhs_number=NHS, given_name="Zoë", family_name="O'Brien",
                                 date_of_birth=dt.date(1970, 5, 17)),
            now=NOW,
            settings=settings,
        )
    walk_to_check(client)
    response = submit(client, "/book/check")
    assert response.status_code == 400
    page = parse(response.data)
    assert page.title.startswith("Error: ")
    assert any("You already have 3 blood tests booked" in t for t in page.summary_texts)


def test_nhs_number_with_another_date_of_birth_is_refused_on_the_check_page(
    client, session, settings, sites
):
    booking.book_appointment(
        session=session,
        slot_id=_slot(session, sites["northgate"], dt.time(9, 0)).id,
        type_code="adult",
        patient=make_patient(nhs_number=NHS, given_name="Zoë", family_name="O'Brien",
                             date_of_birth=dt.date(1950, 1, 1)),
        now=NOW,
        settings=settings,
    )
    walk_to_check(client)
    response = submit(client, "/book/check")
    assert response.status_code == 400
    page = parse(response.data)
    # On the check page, where each answer has its Change link; the same words as for a
    # different name, so which part was wrong is not given away.
    assert page.title.startswith("Error: ") and page.h1 == "Check your answers before booking"
    assert any("do not match what we hold for this NHS number" in t for t in page.summary_texts)


def test_a_later_booking_as_peggy_is_refused_and_margaret_keeps_her_name(client, session, settings, sites):
    """Issue 11 item 1: Margaret Brown (999 001 0005, born 3 February 1948) is booked; the same
    NHS number and date of birth with the first name Peggy is refused, nothing is booked, her
    booking still says Margaret, and the attempt is in the audit log."""
    booking.book_appointment(
        session=session,
        slot_id=_slot(session, sites["northgate"], dt.time(9, 0)).id,
        type_code="adult",
        patient=make_patient(nhs_number="9990010005", given_name="Margaret", family_name="Brown",
                             date_of_birth=dt.date(1948, 2, 3)),
        now=NOW,
        settings=settings,
    )
    walk_to_check(client, nhs="9990010005", given="Peggy", family="Brown", dob=("3", "2", "1948"))
    response = submit(client, "/book/check")
    assert response.status_code == 400
    page = parse(response.data)
    assert any("do not match what we hold for this NHS number" in t for t in page.summary_texts)
    assert any("call the booking line" in t for t in page.summary_texts)
    # The answers are kept, so the patient can change the one that is wrong.
    assert "Peggy Brown" in page.text
    session.expire_all()
    assert len(session.exec(select(Appointment)).all()) == 1
    patient = session.exec(select(Patient).where(Patient.nhs_number == "9990010005")).one()
    assert (patient.given_name, patient.family_name) == ("Margaret", "Brown")
    [entry] = audit_log(session)
    assert (entry.action, entry.patient_id, entry.username) == ("booking_refused", patient.id, "Public booking site")


def test_booking_submissions_are_rate_limited_per_address(app, client, settings, sites):
    app.extensions["phlebo"].settings = dataclasses.replace(settings, booking_limit_per_hour=1)
    walk_to_check(client, time="9:10am")
    confirm(client)
    walk_to_check(client, time="9:20am", nhs=make_test_number(5151))
    response = submit(client, "/book/check")
    assert response.status_code == 429
    page = parse(response.data)
    assert page.title.startswith("Error: ")
    assert any("too many bookings from this device" in t for t in page.summary_texts)


def test_change_links_on_check_page_come_back_to_it(client, sites):
    check = walk_to_check(client)
    url = check.link("Change name")
    assert get(client, url).link("Back").endswith("/book/check")
    assert answer(client, url, {"given_name": "Ann", "family_name": "Lee"}).endswith("/book/check")
    assert "Ann Lee" in get(client, "/book/check").text
    # Changing the place means choosing a new date and time before coming back.
    url = check.link("Change place")
    location = choose(client, url, "site_id", "Westfield Surgery")
    assert location.endswith("/book/date?from=check")
    location = choose(client, location, "date", DAY_TEXT)
    assert choose(client, location, "slot_id", "1:00pm").endswith("/book/check")
    assert "Westfield Surgery" in get(client, "/book/check").text


def test_post_without_csrf_token_is_refused(app, client, sites):
    app.config["WTF_CSRF_ENABLED"] = True
    get(client, "/book/type")
    response = client.post("/book/type", data={"type": "adult"})
    assert response.status_code == 400
    assert (
        client.get("/book/postcode").headers["Location"].endswith("/book/type")
    )  # nothing was saved


def test_pages_have_no_inline_script_or_style_and_unique_titles(client, sites):
    walk_to_check(client)
    titles = set()
    for url in (
        "/",
        "/book/type",
        "/book/postcode",
        "/book/place",
        "/book/date",
        "/book/time",
        "/book/nhs-number-known",
        "/book/nhs-number",
        "/book/name",
        "/book/date-of-birth",
        "/book/contact",
        "/book/test-request-number",
        "/book/check",
        "/manage",
    ):
        response = client.get(url)
        html = response.data.decode()
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html and "<style" not in html, url
        titles.add(parse(html).title)
    assert len(titles) == 14


def test_letter_prints_names_in_any_script_and_says_when_cancelled():
    from booking_web.services.appointment_summary import AppointmentSummary
    from booking_web.services.letters import letter_pdf

    start = local_to_utc(DAY, dt.time(9, 10))
    summary = AppointmentSummary(
        "DJFR4HYW8", "DJF-R4H-YW8", "cancelled", "adult", "Adult blood test", start,
        start + dt.timedelta(minutes=10), DAY_TEXT, "9:10am", 1, "Northgate Health Centre",
        "12 Northgate Road, Leeds", "LS7 3AB", "", "Łukasz 王小明", "Drink water.", "PHLEBO1.x",
    )  # fmt: skip
    pdf = letter_pdf(summary, manage_url="https://example.nhs.uk/manage")
    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF") and b"DJF-R4H-YW8" in text
    assert b"CANCELLED" in text
    assert b"FontFile2" in pdf  # a Unicode TrueType font is embedded for the name


def _place_hints(page: Page) -> dict[str, str]:
    """Each place's name -> the hint its radio is described by (what a screen reader reads next)."""
    hints = {}
    for value, label, _checked in page.radios["site_id"]:
        radio = next(
            a
            for a in page.inputs.values()
            if a.get("name") == "site_id" and a.get("value") == value
        )
        found = re.search(rf'id="{radio["aria-describedby"]}">(.*?)</div>', page.html, re.S)
        assert found, label
        hints[label] = " / ".join(
            line.strip() for line in re.split(r"<[^>]+>", found.group(1)) if line.strip()
        )
    return hints


def test_places_show_their_earliest_free_time_for_the_test(client, session, sites):
    early = _slot(session, sites["northgate"], dt.time(9, 0))
    early.booked = early.capacity
    session.add(early)
    session.commit()
    client.get("/book")
    choose(client, "/book/type", "type", "Adult blood test")
    answer(client, "/book/postcode", {"postcode": "LS7 1AA"})
    adult = _place_hints(get(client, "/book/place"))
    when = "Earliest time: Wednesday 25 November 2026 at 9:10am"  # 9:00 is full
    assert re.match(rf"\d+\.\d miles away / {when} / ", adult["Northgate Health Centre"])
    assert "Earliest time: Wednesday 25 November 2026 at 1:00pm" in adult["Westfield Surgery"]
    # The children's clinic takes no adults: not offered at all (issue 11 item 5).
    assert "Riverside Children's Clinic" not in adult
    client.get("/book")
    choose(client, "/book/type", "type", "Fasting blood test")
    answer(client, "/book/postcode", {"postcode": "LS7 1AA"})
    fasting = _place_hints(get(client, "/book/place"))
    assert "at 9:10am" in fasting["Northgate Health Centre"]
    assert "No times free in the next 6 weeks" in fasting["Westfield Surgery"]  # 1pm: too late


def test_an_earliest_time_today_or_tomorrow_says_so():
    from booking_web.public.choose import _earliest_hint
    from booking_web.services.availability import FreeSlot

    def slot(day: dt.date) -> FreeSlot:
        starts = dt.datetime.combine(day, dt.time(10, 10), tzinfo=dt.UTC)  # GMT in November
        return FreeSlot(1, 1, starts, starts + dt.timedelta(minutes=10), 1)

    today = dt.date(2026, 11, 23)
    assert _earliest_hint([slot(today)], 6, today=today) == (
        "Earliest time: today, Monday 23 November 2026 at 10:10am")
    assert _earliest_hint([slot(dt.date(2026, 11, 24))], 6, today=today) == (
        "Earliest time: tomorrow, Tuesday 24 November 2026 at 10:10am")
    assert _earliest_hint([slot(dt.date(2026, 11, 25))], 6, today=today) == (
        "Earliest time: Wednesday 25 November 2026 at 10:10am")
    assert _earliest_hint([], 6, today=today) == "No times free in the next 6 weeks"
