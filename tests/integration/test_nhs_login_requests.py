"""NHS login's "Your blood tests" and the tests a GP practice asked for, on SQLite and PostgreSQL:
a P9 patient sees their requests still to book with the window, books one without being asked
their date of birth (only dates inside the window offered), and never sees or opens anyone
else's request, a booked one or one whose window has ended."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import submit_request
from shared.models import Appointment, LabRequest
from tests.conftest import NOW
from tests.factories import make_clinic, make_organisation, make_site
from tests.integration.public_pages import get, submit
from tests.integration.test_nhs_login import JOAN, _sign_in, clock, nhs  # noqa: F401 (clock, nhs: fixtures)


def _request(engine, *, nhs_number: str = JOAN.nhs_number, given: str = JOAN.given_name,  # type: ignore[no-untyped-def]
             earliest: str = "2026-11-25", latest: str = "2026-11-26", tests: tuple[str, ...] = ("FBC", "GLU")) -> str:
    with Session(engine, expire_on_commit=False) as s:
        seed_catalogue(session=s)
        if not s.exec(select(LabRequest)).first():
            make_organisation(s, name="Moortown Surgery")
        return submit_request(
            session=s, nhs_number=nhs_number, tests=list(tests), requester="Dr A", organisation="B86001",
            given_name=given, family_name=JOAN.family_name, date_of_birth=JOAN.date_of_birth.isoformat(),
            earliest=earliest, latest=latest, now=NOW,
        ).request.request_number


def _clinics(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as s:
        site = make_site(s, name="Northgate Health Centre", postcode="LS7 3AB")
        for day in (dt.date(2026, 11, 24), dt.date(2026, 11, 25), dt.date(2026, 11, 26), dt.date(2026, 11, 27)):
            make_clinic(s, site=site, day=day, start=dt.time(8), end=dt.time(12), slot_minutes=30)


def test_a_p9_patient_books_the_test_their_practice_asked_for_inside_its_window(nhs, engine):  # noqa: F811
    app, _sim = nhs
    number = _request(engine)
    _clinics(engine)
    client = app.test_client()
    _sign_in(client, "p9-joan", purpose="manage")
    page = get(client, "/your-blood-tests")
    assert "Tests to book" in page.text
    assert ("Moortown Surgery asked for these tests between Wednesday 25 November 2026 and Thursday 26 "
            "November 2026. You will need to fast before it.") in page.text
    assert "Full blood count, Glucose (fasting)" in page.text
    start = client.get(page.link("Book an appointment"))
    # NHS login has checked who they are: the date of birth is not asked.
    assert start.status_code == 302 and start.location == "/book/invitation/postcode"
    assert client.get("/book/invitation/date-of-birth").status_code == 302
    submit(client, "/book/invitation/postcode", {"postcode": "LS7 3AB"})
    places = get(client, "/book/invitation/place")
    submit(client, "/book/invitation/place", {"site_id": places.radio_value("site_id", "Northgate")}, page=places)
    dates = get(client, "/book/invitation/date")
    assert [label for _v, label, _c in dates.radios["date"]] == ["Wednesday 25 November 2026",
                                                                   "Thursday 26 November 2026"]
    submit(client, "/book/invitation/date", {"date": "2026-11-25"}, page=dates)
    times = get(client, "/book/invitation/time")
    submit(client, "/book/invitation/time", {"slot_id": times.radio_value("slot_id", "8:30am")}, page=times)
    check = get(client, "/book/invitation/check")
    assert "Fasting blood test" in check.text and "Glucose (fasting)" in check.text
    booked = submit(client, "/book/invitation/check", page=check)
    assert booked.status_code == 302 and booked.location == "/book/confirmation"
    with Session(engine) as s:
        appt = s.exec(select(Appointment)).one()
        assert appt.request_number == number and appt.type_code == "fasting"
    # Booked: no longer a test to book; the booking is listed instead.
    after = get(client, "/your-blood-tests")
    assert "Tests to book" not in after.text and "Wednesday 25 November 2026" in after.text
    assert client.get(f"/your-blood-tests/requests/{number}").status_code == 404


def test_someone_elses_and_ended_requests_are_neither_listed_nor_opened(nhs, engine, clock):  # noqa: F811
    app, _sim = nhs
    theirs = _request(engine, nhs_number="9999800041", given="Other")
    ended = _request(engine, earliest="2026-11-24", latest="2026-11-24")
    clock.now = dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)  # midnight in London: the window has ended
    client = app.test_client()
    _sign_in(client, "p9-joan", purpose="manage")
    page = get(client, "/your-blood-tests")
    assert "Tests to book" not in page.text
    for number in (theirs, ended, "RQ99999999", "not-a-number"):
        response = client.get(f"/your-blood-tests/requests/{number}")
        assert response.status_code == 404, number
    assert client.get("/book/invitation/postcode").status_code == 302  # no journey was started


def test_signed_out_the_request_link_asks_to_sign_in(nhs, engine):  # noqa: F811
    app, _sim = nhs
    number = _request(engine)
    response = app.test_client().get(f"/your-blood-tests/requests/{number}")
    assert response.status_code == 302 and response.location == "/manage"
