"""No names, NHS numbers, dates of birth or contact details in application logs: every log record
made while one patient books on the pages, looks their booking up (wrong date of birth too),
checks in at the kiosk, is seen by staff and is sent messages by the scheduler, on SQLite and
PostgreSQL. The request lines are logged the way `phlebo serve` logs them (werkzeug's format,
through phlebo.logs)."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import traceback
import uuid
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlmodel import select
from werkzeug.serving import WSGIRequestHandler

from booking_web.notify.senders import LocalFileSender
from booking_web.scheduler import JOBS, JobContext, run_job
from phlebo import logs
from shared.models import Appointment, Patient
from shared.nhs_number import format_nhs_number, make_test_number
from tests.factories import make_clinic, make_partner_key, make_site, make_staff
from tests.integration.public_pages import get, submit
from tests.integration.test_checkin import DAY, at, kiosk_key
from tests.integration.test_public_booking import answer, choose
from tests.integration.test_staff import sign_in

GIVEN, FAMILY = "Philippa", "Quarrington-Smythe"
NHS = make_test_number(8642)
DOB = dt.date(1983, 7, 9)
WRONG_DOB = dt.date(1983, 7, 10)
MOBILE = "07700 900 461"
EMAIL = "philippa.q@example.com"
DAY_TEXT = "Monday 23 November 2026"  # DAY: the clinic runs today, so the kiosk can check in


class ServerLoggedClient(FlaskClient):
    """The test client, plus the request line werkzeug's server logs for each request (made by
    werkzeug's own WSGIRequestHandler.log_request, so the format is the real one)."""

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        """Send the request, then log it as the development server would."""
        response = super().open(*args, **kwargs)
        environ = response.request.environ
        handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
        handler.command = environ["REQUEST_METHOD"]
        handler.path = environ["RAW_URI"]  # the request target as sent: path and query string
        handler.request_version = "HTTP/1.1"
        handler.client_address = ("127.0.0.1", 50000)
        handler.log_request(response.status_code, response.content_length or "-")
        return response


@pytest.fixture
def server_logging() -> Iterator[None]:
    """phlebo.logs installed on the request loggers for this test only."""
    loggers = [logging.getLogger(name) for name in ("werkzeug", "gunicorn.access")]
    before = [list(lg.filters) for lg in loggers]
    logs.install()
    yield
    for lg, filters in zip(loggers, before, strict=True):
        lg.filters = filters


def personal_data() -> dict[str, str]:
    """Each way the patient's details could be written, by what it is."""
    values = {
        "given name": GIVEN,
        "family name": FAMILY,
        "family name (upper case)": FAMILY.upper(),
        "NHS number": NHS,
        "NHS number (spaced)": format_nhs_number(NHS),
        "NHS number (dashed)": format_nhs_number(NHS).replace(" ", "-"),
        "mobile": MOBILE,
        "mobile (no spaces)": MOBILE.replace(" ", ""),
        "mobile (international)": "+44" + MOBILE.replace(" ", "")[1:],
        "email": EMAIL,
        "email (URL-encoded)": EMAIL.replace("@", "%40"),
    }
    for label, day in (("date of birth", DOB), ("wrong date of birth", WRONG_DOB)):
        values.update({
            f"{label} (ISO)": day.isoformat(),
            f"{label} (d/m/Y)": day.strftime("%d/%m/%Y"),
            f"{label} (d-b-Y)": day.strftime("%d-%b-%Y"),
            f"{label} (words)": f"{day.day} {day.strftime('%B %Y')}",
            f"{label} (form fields)": f"dob-day={day.day}&dob-month={day.month}",
            f"{label} (compact)": day.strftime("%Y%m%d"),
        })
    return values


def record_text(record: logging.LogRecord) -> str:
    """Everything a handler could write for a record: the message, any traceback, the stack."""
    parts = [record.name, record.getMessage()]
    if record.exc_info:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def walk_to_check(client) -> None:  # type: ignore[no-untyped-def]
    """Every question page as the patient answers it, up to 'Check your answers'."""
    choose(client, "/book/type", "type", "Adult blood test", "/book/postcode")
    answer(client, "/book/postcode", {"postcode": "LS7 1AA"}, "/book/place")
    choose(client, "/book/place", "site_id", "Leeds General", "/book/date")
    choose(client, "/book/date", "date", DAY_TEXT, "/book/time")
    choose(client, "/book/time", "slot_id", "11:00am", "/book/nhs-number-known")
    answer(client, "/book/nhs-number-known", {"nhs_known": "yes"}, "/book/nhs-number")
    answer(client, "/book/nhs-number", {"nhs_number": format_nhs_number(NHS)}, "/book/name")
    answer(client, "/book/name", {"given_name": GIVEN, "family_name": FAMILY},
           "/book/date-of-birth")
    answer(client, "/book/date-of-birth",
           {"dob-day": str(DOB.day), "dob-month": str(DOB.month), "dob-year": str(DOB.year)},
           "/book/contact")
    answer(client, "/book/contact", {"mobile": MOBILE, "email": EMAIL}, "/book/test-request-number")
    answer(client, "/book/test-request-number", {"request_number": ""}, "/book/check")


def book_on_the_pages(client) -> str:  # type: ignore[no-untyped-def]
    """The whole booking journey as a patient answers it; returns the booking reference."""
    walk_to_check(client)
    response = submit(client, "/book/check")
    assert response.status_code == 302, response.status_code
    confirmation = get(client, "/book/confirmation")
    match = re.search(r"[A-Z2-9]{3}-[A-Z2-9]{3}-[A-Z2-9]{3}", confirmation.text)
    assert match, confirmation.text
    return match.group(0)


def look_up(client, reference: str, day: dt.date):  # type: ignore[no-untyped-def]
    """'Find your booking' with a date of birth."""
    return submit(client, "/manage", {
        "reference": reference, "dob-day": str(day.day), "dob-month": str(day.month),
        "dob-year": str(day.year)})


def test_no_personal_data_in_any_log_record(app, session, settings, server_logging, caplog):
    caplog.set_level(logging.DEBUG)  # the root logger: every record any logger passes on
    app.test_client_class = ServerLoggedClient
    client = app.test_client()
    site = make_site(session, name="Leeds General", postcode="LS7 3AB", latitude=53.8245,
                     longitude=-1.5310)
    make_clinic(session, site=site, day=DAY, start=dt.time(9), end=dt.time(12))
    make_staff(session, role="phlebotomist", username="pat", site_id=site.id)

    # A patient books on the pages, then finds the booking: a wrong date of birth, a link with
    # the details in its query string, and the right date of birth.
    reference = book_on_the_pages(client)
    patient_pages = app.test_client()
    wrong = look_up(patient_pages, reference, WRONG_DOB)
    assert wrong.status_code == 400 and "Error:" in wrong.text
    query = (f"reference={reference}&dob-day={DOB.day}&dob-month={DOB.month}"
             f"&dob-year={DOB.year}&email={EMAIL}")
    assert patient_pages.get(f"/manage?{query}").status_code == 200
    assert look_up(patient_pages, reference, DOB).status_code in (302, 303)
    assert reference in get(patient_pages, "/manage/booking").text

    # The kiosk identifies the patient and checks them in; the wrong date of birth first.
    at(app, 10, 55)
    kiosk = kiosk_key(session, site)
    refused = client.post("/api/v1/kiosk/identify", headers=kiosk,
                          json={"reference": reference, "date_of_birth": WRONG_DOB.isoformat()})
    assert refused.status_code >= 400
    found = client.post("/api/v1/kiosk/identify", headers=kiosk,
                        json={"reference": reference, "date_of_birth": DOB.isoformat()})
    assert found.status_code == 200, found.json
    checked = client.post("/api/v1/kiosk/checkin", headers=kiosk, json={
        "reference": reference, "date_of_birth": DOB.isoformat(), "request_id": str(uuid.uuid4())})
    assert checked.status_code == 200, checked.json

    # Staff see the patient (full details on the page, none in the logs).
    appt = session.exec(select(Appointment).join(Patient).where(Patient.nhs_number == NHS)).one()
    sign_in(client, "pat")
    assert FAMILY.upper() in client.get("/staff/today").text
    assert format_nhs_number(NHS) in client.get(f"/staff/today/{appt.id}").text

    # The scheduler sends the confirmations (and anything else due) with the local sender.
    sender = LocalFileSender(settings.outbox_dir, settings.public_url)
    ctx = JobContext(engine=app.extensions["phlebo"].engine, settings=settings, sender=sender,
                     clock=app.extensions["phlebo"].clock)
    for name in JOBS:
        run_job(ctx, name)
    written = "".join(p.read_text() for p in settings.outbox_dir.glob("*.txt"))
    assert EMAIL in written  # the message files may hold contact details: they are the messages

    messages = [record_text(r) for r in caplog.records]
    assert any('"GET /manage?' in m for m in messages), "no request lines were logged"
    assert any("local outbox: wrote message" in m for m in messages), "the sender logged nothing"
    leaks = [(what, m) for m in messages for what, value in personal_data().items()
             if value.lower() in m.lower()]
    assert not leaks, "personal data in the logs:\n" + "\n".join(f"{w}: {m}" for w, m in leaks)


def test_a_database_error_is_logged_without_the_patients_details(
    app, engine, session, server_logging, caplog
):
    """An unexpected database failure while booking (SQLite's 'database is locked' under load,
    a dropped PostgreSQL connection) is logged with its traceback: the SQL parameters, which
    hold the patient's details, must not be in it."""
    caplog.set_level(logging.DEBUG)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: log it, answer 503
    app.test_client_class = ServerLoggedClient
    client = app.test_client()
    site = make_site(session, name="Leeds General", postcode="LS7 3AB", latitude=53.8245,
                     longitude=-1.5310)
    make_clinic(session, site=site, day=DAY, start=dt.time(9), end=dt.time(12))
    walk_to_check(client)

    def fail_on_patient_insert(_cursor, statement, _parameters, _context):  # type: ignore[no-untyped-def]
        # Raised where the driver would raise it, so SQLAlchemy wraps it with the statement.
        if statement.lstrip().upper().startswith("INSERT INTO PATIENT"):
            raise engine.dialect.loaded_dbapi.OperationalError("simulated: database is locked")

    event.listen(engine, "do_execute", fail_on_patient_insert)
    try:
        response = submit(client, "/book/check")
    finally:
        event.remove(engine, "do_execute", fail_on_patient_insert)
    assert response.status_code == 503  # the database is away: try again in a minute
    messages = [record_text(r) for r in caplog.records]
    assert any("simulated: database is locked" in m for m in messages), "the error was not logged"
    leaks = [(what, m) for m in messages for what, value in personal_data().items()
             if value.lower() in m.lower()]
    assert not leaks, "personal data in the logs:\n" + "\n".join(f"{w}: {m}" for w, m in leaks)


def test_json_log_lines_carry_the_request_and_no_personal_data(app, session, settings):
    """The production format: every line written while a patient books on the pages and checks
    in at the kiosk is one JSON object; each request has an access line with its id, route,
    status and duration; nothing in any line is the patient's."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        client = app.test_client()
        site = make_site(session, name="Leeds General", postcode="LS7 3AB", latitude=53.8245,
                         longitude=-1.5310)
        make_clinic(session, site=site, day=DAY, start=dt.time(9), end=dt.time(12))
        reference = book_on_the_pages(client)
        at(app, 10, 55)
        kiosk = kiosk_key(session, site)
        checked = client.post(
            "/api/v1/kiosk/checkin", headers={**kiosk, "X-Request-ID": "kiosk-7f3a"},
            json={"reference": reference, "date_of_birth": DOB.isoformat(),
                  "request_id": str(uuid.uuid4())})
        assert checked.status_code == 200, checked.json
        assert checked.headers["X-Request-ID"] == "kiosk-7f3a"
        # A partner looks the booking up: the reference is in the address, the DOB in the query.
        partner = {"Authorization": f"Bearer {make_partner_key(session)}"}
        found = client.get(f"/api/v1/appointments/{reference}?date_of_birth={DOB.isoformat()}",
                           headers=partner)
        assert found.status_code == 200, found.json
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

    lines = stream.getvalue().splitlines()
    events = [json.loads(line) for line in lines]  # every line parses
    access = [e for e in events if e["logger"] == "phlebo.access"]
    assert len(access) >= 12, access  # each page of the journey, and the check-in
    for line in access:
        assert {"time", "level", "request_id", "method", "route", "status", "duration_ms"} <= set(
            line), line
        assert isinstance(line["status"], int) and line["duration_ms"] >= 0
    checkin = [e for e in access if e["route"] == "/api/v1/kiosk/checkin"]
    assert [(e["request_id"], e["status"]) for e in checkin] == [("kiosk-7f3a", 200)]
    assert {"/book/check", "/book/confirmation", "/api/v1/appointments/<reference>"} <= {
        e["route"] for e in access}
    assert len({e["request_id"] for e in access}) == len(access)  # one id per request
    leaks = [(what, line) for line in lines for what, value in personal_data().items()
             if value.lower() in line.lower()]
    assert not leaks, "personal data in the logs:\n" + "\n".join(f"{w}: {m}" for w, m in leaks)
    assert reference not in stream.getvalue()  # the route, never the address asked for
