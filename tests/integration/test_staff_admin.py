"""Admin pages: sites, clinic sessions, closing a day, the test catalogue (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue
from shared.models import (
    Appointment,
    AppointmentType,
    ClinicSession,
    ClinicSessionType,
    LabTest,
    Patient,
    Site,
    SitePrinter,
)
from tests.factories import make_clinic, make_site, make_staff
from tests.integration.test_checkin import book
from tests.integration.test_staff import post, sign_in


@pytest.fixture
def admin_client(client, session):  # type: ignore[no-untyped-def]
    make_staff(session, role="admin", username="ada")
    sign_in(client, "ada")
    return client


def test_add_a_site_with_errors_then_correctly(admin_client, session):
    resp = post(
        admin_client,
        "/staff/admin/sites",
        {
            "name": "",
            "address": "",
            "postcode": "nonsense",
            "latitude": "",
            "longitude": "",
            "printer_uri": "ftp://x",
        },
    )
    page = resp.text
    assert resp.status_code == 400 and "There is a problem" in page
    for field in ("name", "address", "postcode", "latitude", "printer_uri"):
        assert f'<a href="#{field}">' in page, field
    assert page.index('href="#name"') < page.index('href="#postcode"')
    resp = post(
        admin_client,
        "/staff/admin/sites",
        {
            "name": "Chapel Allerton",
            "address": "Harehills Lane, Leeds",
            "postcode": "ls7 4sa",
            "latitude": "",
            "longitude": "",
            "access_notes": "Lift to the first floor",
            "paediatric": "yes",
        },
    )
    assert resp.status_code == 302
    site = session.exec(select(Site).where(Site.name == "Chapel Allerton")).one()
    assert (
        site.postcode == "LS7 4SA"
        and site.paediatric
        and site.access_notes == "Lift to the first floor"
    )
    assert abs(site.latitude - 53.824) < 0.01  # the LS7 district centre
    assert "Added Chapel Allerton." in admin_client.get(resp.headers["Location"]).text


def test_edit_a_site_and_its_printer(admin_client, session):
    site = make_site(session, name="Wetherby")
    path = f"/staff/admin/sites/{site.id}"
    assert "Step-free access" in admin_client.get(path).text
    resp = post(
        admin_client,
        path,
        {
            "name": "Wetherby Health Centre",
            "address": "Hallfield Lane",
            "postcode": "LS22 6JS",
            "latitude": "53.93",
            "longitude": "-1.39",
            "access_notes": "Parking at the back",
            "active": "no",
            "printer_uri": "tcp://10.0.0.5:9100",
        },
    )
    assert resp.status_code == 302
    session.expire_all()
    row = session.get(Site, site.id)
    assert (row.name, row.access_notes, row.active) == (
        "Wetherby Health Centre",
        "Parking at the back",
        False,
    )
    assert session.get(SitePrinter, site.id).uri == "tcp://10.0.0.5:9100"
    assert 'value="tcp://10.0.0.5:9100"' in admin_client.get(path).text


def _day(name: str, day: str) -> dict[str, str]:
    """A date typed into the three boxes: '7 12 2026' -> name-day, name-month, name-year."""
    return dict(zip((f"{name}-day", f"{name}-month", f"{name}-year"), day.split(), strict=True))


def test_create_clinic_sessions_with_validation(admin_client, session):
    site = make_site(session)
    bad = post(
        admin_client,
        "/staff/admin/clinics",
        {
            "site_id": str(site.id),
            **_day("first_day", "7 12 2026"),
            **_day("last_day", "1 12 2026"),
            "start_time": "12:00",
            "end_time": "9am",
            "slot_minutes": "10",
            "chairs": "0",
            "type_codes": ["adult"],
        },
    )
    assert bad.status_code == 400
    for field in ("last_day-day", "weekdays", "end_time", "chairs"):
        assert f'<a href="#{field}">' in bad.text, field
    assert "The last day must be the same as or after the first day" in bad.text
    assert session.exec(select(ClinicSession)).all() == []
    resp = post(
        admin_client,
        "/staff/admin/clinics",
        {
            "site_id": str(site.id),
            **_day("first_day", "7 dec 2026"),
            **_day("last_day", "18 12 2026"),
            "weekdays": ["0", "2"],
            "start_time": "8.30am",
            "end_time": "12pm",
            "slot_minutes": "10",
            "chairs": "3",
            "type_codes": ["adult", "inr"],
        },
    )
    assert resp.status_code == 302
    assert "Created 4 clinic sessions." in admin_client.get(resp.headers["Location"]).text
    clinics = sorted(session.exec(select(ClinicSession)), key=lambda c: c.date)
    assert [c.date for c in clinics] == [
        dt.date(2026, 12, 7),
        dt.date(2026, 12, 9),
        dt.date(2026, 12, 14),
        dt.date(2026, 12, 16),
    ]
    assert {(c.start_time, c.end_time) for c in clinics} == {(dt.time(8, 30), dt.time(12))}


@pytest.mark.parametrize(
    ("fields", "link", "message"),
    [
        ({**_day("first_day", "31 11 2026")}, "first_day-day", "The first day must be a real date"),
        ({"first_day-day": "7", "first_day-year": "2026"}, "first_day-month",
         "The first day must include a month"),
        ({**_day("first_day", "7 12 26")}, "first_day-year", "Year must include 4 numbers"),
        ({"start_time": "8"}, "start_time", "Enter the start time as a time, like 8am"),
        ({"start_time": "25:00"}, "start_time", "Enter the start time as a time, like 8am"),
        ({"end_time": ""}, "end_time", "Enter the end time"),
        ({"site_id": ""}, "site_id", "Select a site"),
    ],
)
def test_clinic_form_dates_and_times_say_what_is_wrong(admin_client, session, fields, link,
                                                       message):
    site = make_site(session)
    form = {"site_id": str(site.id), **_day("first_day", "7 12 2026"),
            **_day("last_day", "18 12 2026"), "weekdays": ["0"], "start_time": "8am",
            "end_time": "12:00", "slot_minutes": "10", "chairs": "3", "type_codes": ["adult"]}
    for name in [k for k in form if k.startswith("first_day-")] if "first_day-day" in fields else []:
        form.pop(name)
    bad = post(admin_client, "/staff/admin/clinics", {**form, **fields})
    assert bad.status_code == 400
    assert f'<a href="#{link}">{message}' in bad.text, bad.text[:3000]
    assert session.exec(select(ClinicSession)).all() == []


def test_the_session_list_shows_the_types_each_session_offers(admin_client, session):
    site = make_site(session, name="Wetherby")
    make_clinic(session, site=site, day=dt.date(2026, 11, 30), types=("adult", "fasting"))
    make_clinic(session, site=site, day=dt.date(2026, 12, 1), start=dt.time(13),
                end=dt.time(15), types=("inr",))
    page = admin_client.get(f"/staff/admin/clinics?site_id={site.id}").text
    monday = page[page.index("Monday 30 November 2026"):page.index("Tuesday 1 December 2026")]
    assert "09:00 to 12:00" in monday and "3 chairs, 10-minute slots" in monday
    assert "Adult blood test<br>Fasting blood test" in monday and "INR" not in monday
    tuesday = page[page.index("Tuesday 1 December 2026"):]
    assert "13:00 to 15:00" in tuesday and "INR (anticoagulation) test" in tuesday
    assert f'href="/staff/admin/clinics?site_id={site.id}"' in admin_client.get(
        "/staff/admin/sites").text


def _close_form(site_id: object, day: dt.date | None, reason: str, **extra: str) -> dict:  # type: ignore[type-arg]
    parts = {}
    if day:
        parts = {"day-day": str(day.day), "day-month": str(day.month), "day-year": str(day.year)}
    return {"site_id": str(site_id), **parts, "reason": reason, **extra}


def test_closing_a_day_asks_first_then_cancels_and_keeps_the_list_to_phone(
    admin_client, session, settings
):
    site = make_site(session, name="Seacroft")
    day = dt.date(2026, 11, 23)
    clinic = make_clinic(session, site=site, day=day)
    booked = [book(session, settings, clinic, slot=i, n=i) for i in range(4)]
    nobody = session.get(Patient, booked[3].patient_id)
    nobody.mobile = ""
    session.add(nobody)
    session.commit()

    resp = post(admin_client, "/staff/admin/close-day", _close_form("", None, ""))
    assert resp.status_code == 400
    for field in ("site_id", "day-day", "reason"):
        assert f'<a href="#{field}">' in resp.text, field
    resp = post(admin_client, "/staff/admin/close-day",
                _close_form(site.id, day - dt.timedelta(days=1), "Burst pipe"))
    assert resp.status_code == 400 and "must be today or in the future" in resp.text

    # First the check: what it will cancel and the message patients get. Nothing changes yet.
    resp = post(admin_client, "/staff/admin/close-day", _close_form(site.id, day, "Burst pipe."))
    page = resp.text
    assert resp.status_code == 200 and "Close Seacroft on Monday 23 November 2026?" in page
    assert "Close the day and cancel 4 bookings" in page
    assert "1 of them has no mobile or email" in page
    assert "because the clinic is closed: Burst pipe. Please book a new time at" in page
    session.expire_all()
    assert session.get(ClinicSession, clinic.id).closed_at is None
    assert all(session.get(Appointment, a.id).status == "booked" for a in booked)

    resp = post(admin_client, "/staff/admin/close-day",
                _close_form(site.id, day, "Burst pipe", confirm="yes"))
    assert resp.status_code == 302
    closed_page = resp.headers["Location"]
    assert closed_page.endswith(f"/staff/admin/closed-days/{site.id}/2026-11-23")
    page = admin_client.get(closed_page).text
    assert "4 bookings were cancelled and the patients are being told." in page
    assert "Seacroft closed on Monday 23 November 2026" in page
    to_phone = page[page.index("Patients to phone (1)"):page.index("Patients told by text")]
    assert "TESTPERSON3, Jane" in to_phone and "No mobile or email" in to_phone
    told = page[page.index("Patients told by text or email (3)"):]
    assert "TESTPERSON0, Jane" in told and "Text to 07*******23: waiting to send" in told
    session.expire_all()
    assert {session.get(Appointment, a.id).status for a in booked} == {"cancelled"}

    # The list stays: the page answers later, and the day is linked from the close-day form.
    assert "Patients to phone (1)" in admin_client.get(closed_page).text
    form = admin_client.get("/staff/admin/close-day").text
    assert f'/staff/admin/closed-days/{site.id}/2026-11-23' in form
    again = post(admin_client, "/staff/admin/close-day", _close_form(site.id, day, "Burst pipe"))
    assert again.status_code == 400 and "That day is already closed at that site" in again.text
    assert admin_client.get(f"/staff/admin/closed-days/{site.id}/2026-11-24").status_code == 404


def test_edit_the_test_catalogue(admin_client, session):
    seed_catalogue(session=session)
    page = admin_client.get("/staff/admin/catalogue").text
    # In order of draw: citrate first, fluoride oxalate last.
    assert page.index(">INR<") < page.index(">UE<") < page.index(">FBC<") < page.index(">GLU<")
    assert "Transfusion: hand-label at the chair." in page
    bad = post(
        admin_client,
        "/staff/admin/catalogue/edit",
        {"code": "", "name": "", "container": "", "stage": "x"},
    )
    for field in ("code", "name", "container", "stage"):
        assert f'<a href="#{field}">' in bad.text, field
    resp = post(
        admin_client,
        "/staff/admin/catalogue/edit",
        {
            "code": "crp",
            "name": "C-reactive protein",
            "container": "Serum gel (SST)",
            "stage": "serum_gel",
            "shares_tube": "yes",
            "active": "yes",
        },
    )
    assert resp.status_code == 302
    row = session.get(LabTest, "CRP")
    assert row is not None and row.shares_tube and not row.transfusion
    resp = post(
        admin_client,
        "/staff/admin/catalogue/edit?code=HBA1C",
        {"code": "HBA1C", "name": "HbA1c", "container": "EDTA", "stage": "edta", "active": "yes"},
        form_page="/staff/admin/catalogue/edit?code=HBA1C",
    )
    session.expire_all()
    assert session.get(LabTest, "HBA1C").shares_tube is False


def test_the_clinic_form_offers_the_appointment_types_in_the_database(admin_client, session):
    site = make_site(session)
    session.add(AppointmentType(code="antenatal", name="Antenatal blood test",
                                duration_minutes=10, sort_order=6))
    session.commit()
    form = admin_client.get("/staff/admin/clinics").text
    assert 'value="antenatal"' in form and "Antenatal blood test" in form
    resp = post(admin_client, "/staff/admin/clinics", {
        "site_id": str(site.id), **_day("first_day", "7 12 2026"), **_day("last_day", "7 12 2026"),
        "weekdays": ["0"], "start_time": "08:30", "end_time": "09:30", "slot_minutes": "10",
        "chairs": "1", "type_codes": ["antenatal", "made-up"]})
    assert resp.status_code == 302
    [clinic] = session.exec(select(ClinicSession)).all()
    assert [t.type_code for t in session.exec(select(ClinicSessionType))] == ["antenatal"]
    assert clinic.date == dt.date(2026, 12, 7)
