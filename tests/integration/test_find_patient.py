"""Find a patient (reception staff) over the Flask test client with CSRF on, on SQLite and
PostgreSQL: by NHS number typed with spaces, by booking reference, bad input, nobody found,
cancelled appointments, GP requests, who may search, the audit log, and a fixed number of
statements whatever the patient's history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
from sqlmodel import select

from booking_web.services.booking import book_appointment, cancel_appointment
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import create_request
from booking_web.services.patient_lookup import PAST_LIMIT, find_patient
from booking_web.services.staff_audit import Actor
from shared.models import CancelledBy, Patient, StaffAudit
from shared.nhs_number import format_nhs_number, make_test_number
from shared.references import format_reference
from tests.conftest import NOW
from tests.factories import audit_log, make_clinic, make_organisation, make_patient, make_site, make_staff, slots_of
from tests.integration.test_staff import post, sign_in
from tests.sql_log import statements

TODAY = dt.date(2026, 11, 23)  # NOW's London day (08:00)
NEXT_WEEK = TODAY + dt.timedelta(days=7)
PAGE = "/staff/find-a-patient"
NHS = make_test_number(481_516)
OTHER_NHS = make_test_number(234_234)
DOB = dt.date(1941, 2, 9)


def search(client, text: str):  # type: ignore[no-untyped-def]
    return post(client, PAGE, {"search": text})


def booked(session, settings, clinic, *, slot: int = 0, nhs: str = NHS, when: dt.datetime = NOW,  # type: ignore[no-untyped-def]
           request_number: str | None = None, given: str = "Ottilie", family: str = "Marchbanks-Vere"):
    """A booking for the search's patient (an old one is made with an earlier clock)."""
    quick = dataclasses.replace(settings, min_notice_minutes=0)
    return book_appointment(
        session=session, slot_id=slots_of(session, clinic)[slot].id, type_code="adult",  # type: ignore[arg-type]
        patient=make_patient(0, nhs_number=nhs, given_name=given, family_name=family, date_of_birth=DOB),
        now=when, settings=quick, request_number=request_number).appointment


def cancel(session, appt, when: dt.datetime = NOW, by: CancelledBy = CancelledBy.PATIENT):  # type: ignore[no-untyped-def]
    return cancel_appointment(session=session, reference=appt.reference, date_of_birth=DOB, now=when, by=by)


@pytest.fixture
def site(session):  # type: ignore[no-untyped-def]
    return make_site(session, name="Chapel Allerton Hospital")


@pytest.fixture
def phleb(session, site):  # type: ignore[no-untyped-def]
    return make_staff(session, role="phlebotomist", username="reception-rosalind", site_id=site.id)


def audits(session) -> list[StaffAudit]:  # type: ignore[no-untyped-def]
    """What the test did (not the set-up its fixtures did: accounts are audited too)."""
    return audit_log(session)


def test_found_by_nhs_number_typed_with_spaces(client, session, settings, site, phleb):
    seed_catalogue(session=session)
    number = create_request(session=session, nhs_number=NHS, tests=["FBC", "HBA1C"], requester="Dr Ingrid Holm",
                            api_key_id=None, now=NOW).request_number
    today = booked(session, settings, make_clinic(session, site=site, day=TODAY), request_number=number)
    elsewhere = make_site(session, name="Wetherby Health Centre")
    later = booked(session, settings, make_clinic(session, site=elsewhere, day=NEXT_WEEK), slot=3)
    sign_in(client, "reception-rosalind")
    assert f'href="{PAGE}">Find a patient</a>' in client.get("/staff/today").text  # in the staff menu
    before = len(audits(session))

    page = search(client, f" {NHS[:3]} {NHS[3:6]}  {NHS[6:]} ")
    assert page.status_code == 200
    text = page.text
    assert "MARCHBANKS-VERE, Ottilie" in text and "09-Feb-1941" in text and format_nhs_number(NHS) in text
    # Both upcoming appointments, soonest first, with date, time, place, tests and status.
    upcoming = text[text.index('id="upcoming"'):text.index("Past appointments")]
    assert upcoming.index(format_reference(today.reference)) < upcoming.index(format_reference(later.reference))
    assert "Today, Mon 23 Nov 2026, 09:00" in upcoming and "Chapel Allerton Hospital" in upcoming
    assert "Mon 30 Nov 2026, 09:30" in upcoming and "Wetherby Health Centre" in upcoming
    assert "Adult blood test: Full blood count, HbA1c" in upcoming and upcoming.count(">Booked<") == 2
    # Today's, at the phlebotomist's own site, opens on the today page; next week's elsewhere does not.
    assert upcoming.count("Open today's appointment") == 1
    assert f'href="/staff/today/{today.id}"' in upcoming and f"/staff/today/{later.id}" not in upcoming
    assert "No past appointments." in text
    # The GP request, with its tests and status.
    requests = text[text.index('id="requests"'):]
    assert number in requests and "Dr Ingrid Holm" in requests and "Booked" in requests
    # The field keeps what was typed.
    assert f'value=" {NHS[:3]} {NHS[3:6]}  {NHS[6:]} "' in text
    # The look is audited: who looked at whose record.
    [look] = audits(session)[before:]
    patient = session.exec(select(Patient).where(Patient.nhs_number == NHS)).one()
    assert (look.action, look.patient_id, look.appointment_id, look.username) == (
        "view", patient.id, None, "reception-rosalind")
    assert look.detail == "Find a patient by NHS number"
    # And the admin's audit log names the patient by their NHS number.
    make_staff(session, role="admin", username="audit-aurelia")
    post(client, "/staff/sign-out", {}, form_page="/staff/today")
    sign_in(client, "audit-aurelia")
    log = client.get("/staff/admin/audit?action=view").text
    assert "Find a patient by NHS number" in log and format_nhs_number(NHS) in log and "reception-rosalind" in log


def test_found_by_booking_reference_typed_any_way(client, session, settings, site, phleb):
    appt = booked(session, settings, make_clinic(session, site=make_site(session, name="Seacroft"), day=NEXT_WEEK))
    sign_in(client, "reception-rosalind")
    typed = format_reference(appt.reference).lower().replace("-", " ")
    page = search(client, typed)
    assert page.status_code == 200
    assert "MARCHBANKS-VERE, Ottilie" in page.text and format_nhs_number(NHS) in page.text
    assert "Seacroft" in page.text and format_reference(appt.reference) in page.text
    assert "Open today's appointment" not in page.text  # not today, not at their site
    [look] = [a for a in audits(session) if a.action == "view"]
    assert look.detail == "Find a patient by booking reference" and look.patient_id == appt.patient_id


def test_a_patient_without_an_nhs_number_is_found_by_reference(client, session, settings, site, phleb):
    quick = dataclasses.replace(settings, min_notice_minutes=0)
    appt = book_appointment(
        session=session, slot_id=slots_of(session, make_clinic(session, site=site, day=NEXT_WEEK))[0].id,  # type: ignore[arg-type]
        type_code="adult", patient=make_patient(0, nhs_number=None, postcode="LS7 4SA", given_name="Eulalie",
                                                family_name="Thistlethwaite"),
        now=NOW, settings=quick).appointment
    sign_in(client, "reception-rosalind")
    page = search(client, appt.reference)
    assert "THISTLETHWAITE, Eulalie" in page.text and "Not given (booked with their postcode)" in page.text


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter the patient&#39;s NHS number or booking reference"),
    ("   ", "Enter the patient&#39;s NHS number or booking reference"),
    (NHS[:9] + str((int(NHS[9]) + 1) % 10), "This is not a valid NHS number"),
    (NHS[:3] + " " + NHS[3:6] + " " + NHS[6:9], "An NHS number is 10 digits, like 999 123 4567: this has 9"),
    (NHS + "1", "this has 11"),
    ("Marchbanks", "Enter a 10-digit NHS number, like 999 123 4567, or a booking reference"),
    ("ABC-DEF-GH1", "Enter a 10-digit NHS number"),  # 1 is never in a reference
])
def test_bad_input_is_explained_and_kept_and_nothing_is_looked_at(client, session, settings, site, phleb, typed,
                                                                  message):
    booked(session, settings, make_clinic(session, site=site, day=NEXT_WEEK))
    sign_in(client, "reception-rosalind")
    before = len(audits(session))
    page = search(client, typed)
    assert page.status_code == 400
    assert re.search(r'<a href="#search">[^<]*' + re.escape(message), page.text), page.text
    assert 'class="nhsuk-error-message" id="search-error"' in page.text
    assert f'value="{typed}"' in page.text and "<title>Error: Find a patient" in page.text
    assert "MARCHBANKS" not in page.text
    assert len(audits(session)) == before  # no search was made: nothing to audit


def test_nobody_found_says_what_was_searched_and_records_the_search_without_it(client, session, settings, site,
                                                                               phleb):
    booked(session, settings, make_clinic(session, site=site, day=NEXT_WEEK))
    sign_in(client, "reception-rosalind")
    before = len(audits(session))
    page = search(client, format_nhs_number(OTHER_NHS))
    assert page.status_code == 200
    assert "No patient found" in page.text
    assert f"Nobody with the NHS number {format_nhs_number(OTHER_NHS)} has booked" in page.text
    assert "MARCHBANKS" not in page.text
    page = search(client, "HJK-MNP-QRS")
    assert "No booking has the reference HJK-MNP-QRS." in page.text
    found = audits(session)[before:]
    assert [(a.action, a.patient_id, a.appointment_id, a.lab_request_id) for a in found] == [
        ("search", None, None, None)] * 2
    assert [a.detail for a in found] == ["Find a patient by NHS number: nobody found",
                                         "Find a patient by booking reference: nobody found"]
    assert not any(OTHER_NHS in a.detail or "HJKMNPQRS" in a.detail for a in found)


def test_cancelled_appointments_are_shown_as_cancelled_and_past_ones_are_the_last_few(
        client, session, settings, site, phleb):
    # Seven past appointments in October, booked then (with October's clock), one cancelled by staff.
    past = []
    for week in range(7):
        day = dt.date(2026, 10, 5) + dt.timedelta(days=7 * week)
        when = dt.datetime.combine(day - dt.timedelta(days=3), dt.time(9), tzinfo=dt.UTC)
        appt = booked(session, settings, make_clinic(session, site=site, day=day), when=when)
        past.append(appt)
        if week == 6:
            cancel(session, appt, when, CancelledBy.STAFF)
    kept = booked(session, settings, make_clinic(session, site=site, day=NEXT_WEEK), slot=1)
    gone = booked(session, settings, make_clinic(session, site=site, day=NEXT_WEEK + dt.timedelta(days=1)))
    cancel(session, gone)
    sign_in(client, "reception-rosalind")
    text = search(client, NHS).text
    upcoming = text[text.index('id="upcoming"'):text.index("Past appointments")]
    assert format_reference(kept.reference) in upcoming and format_reference(gone.reference) in upcoming
    [row] = [r for r in upcoming.split("<tr ") if format_reference(gone.reference) in r]
    assert "Cancelled by the patient" in row and ">Booked<" not in row
    [row] = [r for r in upcoming.split("<tr ") if format_reference(kept.reference) in r]
    assert ">Booked<" in row and "Cancelled" not in row
    shown = text[text.index('id="past"'):text.index("Test requests")]
    assert f"The last {PAST_LIMIT}, most recent first." in text
    newest_first = [format_reference(a.reference) for a in reversed(past)]
    assert [r for r in newest_first if r in shown] == newest_first[:PAST_LIMIT]
    assert "Cancelled by staff" in shown and "Mon 16 Nov 2026" in shown
    assert "No test requests." in text


def test_only_reception_staff_may_search(client, session, settings, site):
    booked(session, settings, make_clinic(session, site=site, day=NEXT_WEEK))
    assert client.get(PAGE).headers["Location"].endswith("/staff/sign-in?next=/staff/find-a-patient")
    make_staff(session, role="manager", username="manager-mirabel")
    make_organisation(session)
    from tests.factories import make_requester
    make_requester(session, username="gp-gwendolen")
    for username in ("manager-mirabel", "gp-gwendolen"):
        sign_in(client, username)
        assert client.get(PAGE).status_code == 403
        assert "Find a patient" not in client.get("/staff/", follow_redirects=True).text
        post(client, "/staff/sign-out", {}, form_page="/staff/reports" if "manager" in username else "/staff/requests")
    make_staff(session, role="admin", username="admin-araminta")
    sign_in(client, "admin-araminta")
    page = search(client, NHS)
    assert "MARCHBANKS-VERE, Ottilie" in page.text
    assert [a.username for a in audits(session) if a.action == "view"] == ["admin-araminta"]


def _history(session, settings, site, *, weeks: int, requests: int, ahead: int) -> None:  # type: ignore[no-untyped-def]
    """A patient with `weeks` past appointments (some cancelled), two upcoming (one cancelled)
    and `requests` GP requests with tests."""
    seed_catalogue(session=session)
    for week in range(weeks):
        day = dt.date(2026, 6, 1) + dt.timedelta(days=7 * week)
        when = dt.datetime.combine(day - dt.timedelta(days=3), dt.time(9), tzinfo=dt.UTC)
        appt = booked(session, settings, make_clinic(session, site=site, day=day), when=when)
        if week % 3 == 0:
            cancel(session, appt, when)
    for n in range(requests):
        create_request(session=session, nhs_number=NHS, tests=["FBC", "UE", "LFT"][: 1 + n % 3],
                       requester=f"Dr {n}", api_key_id=None, now=NOW - dt.timedelta(days=n))
    soon = TODAY + dt.timedelta(days=ahead)
    booked(session, settings, make_clinic(session, site=site, day=soon))
    cancel(session, booked(session, settings, make_clinic(session, site=site, day=soon + dt.timedelta(days=1))))


def test_the_statements_do_not_grow_with_the_patients_history(engine, session, settings, site, phleb):
    _history(session, settings, site, weeks=1, requests=1, ahead=7)
    actor = Actor(phleb.id, phleb.username, phleb.display_name)
    with statements(engine) as small:
        one = find_patient(session=session, query=NHS, actor=actor, now=NOW)
    assert one.patient is not None and len(one.patient.past) == 1 and len(one.patient.requests) == 1

    _history(session, settings, make_site(session, name="Otley Wharfedale"), weeks=24, requests=12, ahead=14)
    with statements(engine) as large:
        many = find_patient(session=session, query=NHS, actor=actor, now=NOW)
    assert many.patient is not None
    assert len(many.patient.past) == PAST_LIMIT and many.patient.more_past
    assert len(many.patient.upcoming) == 4 and len(many.patient.requests) == 10 and many.patient.more_requests
    assert all(r.tests for r in many.patient.requests)
    # The patient, upcoming, past, requests, their tests, the audit row.
    assert len(small) == len(large) == 6, large
    with statements(engine) as nobody:
        assert find_patient(session=session, query=OTHER_NHS, actor=actor, now=NOW).patient is None
    assert len(nobody) == 3  # the patient, requests for the number alone, the audit row
    with statements(engine) as nobody:
        assert find_patient(session=session, query="HJK-MNP-QRS", actor=actor, now=NOW).patient is None
    assert len(nobody) == 2  # the patient, the audit row


def test_an_nhs_number_with_test_requests_but_no_bookings_shows_the_requests(client, session, site, phleb):
    seed_catalogue(session=session)
    older = create_request(session=session, nhs_number=OTHER_NHS, tests=["TSH"], requester="Dr Older",
                           api_key_id=None, now=NOW - dt.timedelta(days=20))
    newer = create_request(session=session, nhs_number=OTHER_NHS, tests=["UE", "FBC"], requester="Dr Newer",
                           api_key_id=None, now=NOW - dt.timedelta(days=1))
    sign_in(client, "reception-rosalind")
    text = search(client, OTHER_NHS).text
    assert f"No bookings for NHS number {format_nhs_number(OTHER_NHS)}" in text and "No patient found" not in text
    table = text[text.index('id="requests"'):]
    assert table.index(newer.request_number) < table.index(older.request_number)
    assert "Urea and electrolytes, Full blood count" in table and "Thyroid" in table
    [look] = audits(session)
    assert (look.action, look.patient_id, look.lab_request_id) == ("view", None, newer.id)
    assert look.detail == "Find a patient by NHS number: no patient record, 2 test request(s)"


def test_a_past_booking_with_no_outcome_says_so(client, session, settings, site, phleb):
    day = dt.date(2026, 11, 16)
    booked(session, settings, make_clinic(session, site=site, day=day),
           when=dt.datetime(2026, 11, 13, 9, tzinfo=dt.UTC))
    sign_in(client, "reception-rosalind")
    text = search(client, NHS).text
    assert "Booked: no outcome recorded" in text[text.index('id="past"'):]


def test_today_at_another_site_opens_only_for_an_admin_running_no_site(client, session, settings, site, phleb):
    appt = booked(session, settings, make_clinic(session, site=make_site(session, name="Harehills Corner"), day=TODAY))
    sign_in(client, "reception-rosalind")
    text = search(client, NHS).text
    assert "Today, Mon 23 Nov 2026, 09:00" in text and "Harehills Corner" in text
    assert "Open today's appointment" not in text  # the today page shows only their own site's
    assert client.get(f"/staff/today/{appt.id}").status_code == 404
    post(client, "/staff/sign-out", {}, form_page="/staff/today")
    make_staff(session, role="admin", username="admin-philippa")
    sign_in(client, "admin-philippa")
    text = search(client, NHS).text
    assert f'href="/staff/today/{appt.id}"' in text
    assert "MARCHBANKS-VERE, Ottilie" in client.get(f"/staff/today/{appt.id}").text
