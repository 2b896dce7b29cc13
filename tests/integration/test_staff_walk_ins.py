"""Staff add a walk-in on the today page (POST /staff/today/walk-in, CSRF on): the same check-in
as the kiosk's, labels as the site's setting says, audited, once per form; refusals in staff
words change nothing; the list is in the order Call next calls; a fasting request books the
fasting type. Both engines (the engine fixture)."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import Session, select

from booking_web.services import chairs, print_queue
from booking_web.services.accounts import key_for_token
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import create_request
from booking_web.services.site_admin import set_printer
from booking_web.services.staff_audit import Actor
from booking_web.services.staff_queue import call_next, day_list
from booking_web.services.staff_walk_ins import StaffWalkIn, add_walk_in
from booking_web.services.walk_ins import WalkInIdentity, set_walk_ins, walk_in
from shared.models import (
    Appointment,
    JobSource,
    LabelOutcome,
    LabRequest,
    Patient,
    PrintJob,
    PrintJobLabel,
    Specimen,
    StaffAudit,
)
from shared.timeutil import local_to_utc
from tests.conftest import NOW
from tests.factories import SETUP, SETUP_AT, make_clinic, make_patient, make_site, make_staff
from tests.integration.test_checkin import DAY, at, book, checkin, kiosk_key
from tests.integration.test_staff import csrf, post, sign_in
from tests.integration.test_walk_ins import family, request_for, walk, written
from tests.threads import race

ADMIN = Actor(user_id=None, username="ada", display_name="Ada")


def world(session: Session, *, cap: int | None = 4, per: str = "hour"):  # type: ignore[no-untyped-def]
    """Today's 09:00-12:00 clinic at a site taking walk-ins, and its phlebotomist 'pat'."""
    site = make_site(session, name="Leeds General")
    clinic = make_clinic(session, site=site, day=DAY, chairs=2)
    if cap is not None:
        set_walk_ins(session=session, actor=SETUP, now=SETUP_AT, site_id=site.id, cap=cap, per=per)
    make_staff(session, role="phlebotomist", username="pat", site_id=site.id)
    return site, clinic


def form(n: int = 0, **overrides: str) -> dict[str, str]:
    """The form filled in for walk-in patient n by NHS number (born 17 May 1970)."""
    values = {"nhs_number": make_patient(n).nhs_number, "dob-day": "17", "dob-month": "5",
              "dob-year": "1970"}
    values.update(overrides)
    return values


def request_with(session: Session, n: int, tests: list[str]) -> None:
    """An open request with these tests for walk-in patient n (born 17 May 1970)."""
    seed_catalogue(session=session)
    create_request(session=session, nhs_number=make_patient(n).nhs_number, tests=tests, requester="Dr Example",
                   given_name="Jane", family_name=family(n), date_of_birth=dt.date(1970, 5, 17),
                   api_key_id=None, now=NOW)


def add(client, data: dict[str, str], key: str | None = None):  # type: ignore[no-untyped-def]
    """Send the today page's "Add a walk-in" form as shown (its CSRF token and its key)."""
    page = client.get("/staff/today").text
    shown = re.search(r'name="key" value="([0-9a-f]{32})"', page)
    assert shown, "the today page has no Add a walk-in form"
    return client.post("/staff/today/walk-in", data={
        **data, "key": key or shown.group(1), "csrf_token": csrf(client, "/staff/today")})


def summary(page: str) -> str:
    """The error summary's text (or '' when the page has none)."""
    found = re.search(r'<div class="nhsuk-error-summary".*?</ul>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0))) if found else ""


def test_staff_add_a_walk_in_by_nhs_number_and_its_labels_go_to_the_site_printer(
        client, app, session, settings, tmp_path):
    site, _clinic = world(session)
    number = request_for(session, 0)
    target = tmp_path / "printer.bin"
    set_printer(session=session, site_id=site.id, uri=f"file://{target}")
    sign_in(client, "pat")
    at(app, 9, 20)
    done = add(client, form(0))
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).text
    assert f"Walk-in added: number 1, {family(0).upper()}, Jane." in page
    assert "queued for the site&#39;s label printer" in page
    appt = session.exec(select(Appointment)).one()
    assert appt.walk_in and appt.channel == "staff" and appt.status == "checked_in"
    assert appt.queue_number == 1 and appt.request_number == number
    assert session.exec(select(LabRequest)).one().status == "checked_in"
    # In the list: a walk-in, arrived at 09:20, its labels queued.
    assert "Walk-in</strong> arrived 09:20" in page and "Queued for the label printer" in page
    audit = session.exec(select(StaffAudit).where(StaffAudit.action == "walk-in")).one()
    assert audit.username == "pat" and audit.appointment_id == appt.id
    assert f"number 1, request {number}" in audit.detail
    # The print worker sends the first labels (not reprints) to the site's printer.
    job = session.exec(select(PrintJob)).one()
    assert job.source == JobSource.DESK and not target.exists()
    # A label still queued for the printer is not reprinted: it prints by itself.
    first = session.exec(select(Specimen).where(Specimen.appointment_id == appt.id)).first()
    assert first is not None
    path = f"/staff/today/{appt.id}"
    waiting = post(client, f"{path}/reprint", {"specimen_id": first.specimen_id, "reason": "lost"},
                   form_page=path)
    assert "waiting for the site&#39;s label printer" in waiting.text
    assert len(session.exec(select(PrintJob)).all()) == 1
    sent = print_queue.run_due_jobs(session=session, settings=settings, clock=app.extensions["phlebo"].clock)
    assert [s.status for s in sent] == ["printed"] and target.stat().st_size > 1000
    rows = session.exec(select(PrintJobLabel).where(PrintJobLabel.job_id == job.id)).all()
    assert rows and {r.outcome for r in rows} == {LabelOutcome.CONFIRMED}
    assert not any(r.reprint for r in rows)
    assert "Queued for the label printer" not in client.get("/staff/today").text


def test_name_postcode_and_date_of_birth_find_the_patient(client, app, session):
    _site, _clinic = world(session)
    request_for(session, 0)
    patient = session.exec(select(Patient)).one()
    patient.postcode = "LS1 4AB"
    session.add(patient)
    session.commit()
    sign_in(client, "pat")
    at(app, 9, 20)
    done = add(client, form(0, nhs_number="", given_name="jane", family_name=family(0).lower(),
                            postcode="ls14ab"))
    assert done.status_code == 302
    assert session.exec(select(Appointment)).one().queue_number == 1


def test_a_record_without_a_postcode_is_refused_clearly_by_name_and_found_by_nhs_number(client, app, session):
    _site, _clinic = world(session)
    request_for(session, 0)  # the record holds no postcode
    assert session.exec(select(Patient)).one().postcode == ""
    sign_in(client, "pat")
    at(app, 9, 20)
    before = written(session)
    refused = add(client, form(0, nhs_number="", given_name="Jane", family_name=family(0),
                               postcode="LS1 4AB"))
    assert refused.status_code == 400  # the page with an error summary (title "Error: ...")
    assert "No patient record matches those details" in summary(refused.text)
    assert "can only be found by its NHS number" in summary(refused.text)
    assert written(session) == before
    assert add(client, form(0)).status_code == 302


def test_the_kiosk_refuses_a_name_search_for_a_record_without_a_postcode_without_a_crash(
        client, app, session):
    site, _clinic = world(session)
    request_for(session, 0)
    kiosk = kiosk_key(session, site)
    at(app, 9, 20)
    for postcode in ("LS1 4AB", ""):
        resp = walk(client, kiosk, nhs_number=None, given_name="Jane", family_name=family(0),
                    postcode=postcode)
        assert resp.status_code in (409, 422) and resp.json["error"] in ("no_request", "invalid")


def test_missing_and_wrong_fields_are_named_in_the_error_summary_and_change_nothing(client, app, session):
    _site, _clinic = world(session)
    request_for(session, 0)
    sign_in(client, "pat")
    at(app, 9, 20)
    before = written(session)
    empty = summary(add(client, {"nhs_number": ""}).text)
    assert "Enter their NHS number, or their name and postcode" in empty
    assert "Enter their date of birth" in empty and "first name" not in empty
    page = add(client, {"nhs_number": "", "given_name": "Jane", "dob-day": "31", "dob-month": "2",
                        "dob-year": "1970"}).text
    found = summary(page)
    for text in ("Enter their last name", "Enter their postcode", "must be a real date"):
        assert text in found
    assert "first name" not in found
    assert '<a href="#family_name">' in page and '<a href="#dob-day">' in page
    assert '<details class="nhsuk-details" id="add-walk-in" open>' in page
    wrong = add(client, form(0, nhs_number="999 123 4568")).text
    assert "NHS number" in summary(wrong) and '<a href="#nhs_number">' in wrong
    assert 'value="999 123 4568"' in wrong  # what was typed is kept to correct
    assert written(session) == before


def test_refusals_are_in_staff_words_audited_and_change_nothing(client, app, session):
    _site, _clinic = world(session)
    request_for(session, 0)
    request_with(session, 5, ["FBC"])
    sign_in(client, "pat")
    # Patient 5's request is done already: a known patient with no open request is told so.
    at(app, 9, 20)
    assert add(client, form(5)).status_code == 302
    before = written(session)
    again = add(client, form(5))
    assert "has no open blood test request for today" in summary(again.text)
    unknown = add(client, form(7))
    assert "No patient record matches those details" in summary(unknown.text)
    at(app, 12, 30)
    closed = add(client, form(0))
    assert "No clinic is running at this site now" in summary(closed.text)
    assert written(session) == before
    refusals = session.exec(select(StaffAudit).where(StaffAudit.action == "walk-in refused")
                            .order_by(StaffAudit.id)).all()  # type: ignore[arg-type]
    record_of = {p.nhs_number: p.id for p in session.exec(select(Patient))}
    # A refusal about a known patient is recorded against them (it copies no NHS number); one
    # that matches nobody keeps what was typed.
    assert [(r.detail, r.patient_id) for r in refusals] == [
        ("walk_in_no_request", record_of[make_patient(5).nhs_number]),
        (f"walk_in_no_patient: nhs:{make_patient(7).nhs_number}", None),
        ("walk_in_no_clinic", record_of[make_patient(0).nhs_number])]


def test_a_site_without_walk_ins_shows_no_form_and_refuses_one(client, app, session):
    _site, _clinic = world(session, cap=None)
    request_for(session, 0)
    sign_in(client, "pat")
    at(app, 9, 20)
    page = client.get("/staff/today").text
    assert "This site does not take walk-ins." in page and 'name="key"' not in page
    before = written(session)
    refused = client.post("/staff/today/walk-in", data={**form(0), "key": "a" * 32,
                                                        "csrf_token": csrf(client, "/staff/today")})
    assert "This site does not take walk-ins. An admin can turn them on" in summary(refused.text)
    assert written(session) == before


def test_when_walk_ins_are_full_staff_may_add_one_over_the_limit_and_it_is_recorded(client, app, session):
    _site, _clinic = world(session, cap=1)
    request_for(session, 0)
    request_for(session, 1)
    sign_in(client, "pat")
    at(app, 9, 20)
    assert add(client, form(0)).status_code == 302
    before = written(session)
    full = add(client, form(1))
    assert "Walk-ins are full: this site takes 1 an hour" in summary(full.text)
    assert 'id="over_cap"' in full.text and written(session) == before
    key = re.search(r'name="key" value="([0-9a-f]{32})"', full.text).group(1)  # type: ignore[union-attr]
    over = client.post("/staff/today/walk-in", data={**form(1), "over_cap": "yes", "key": key,
                                                     "csrf_token": csrf(client, "/staff/today")})
    assert over.status_code == 302
    assert "number 2" in client.get(over.headers["Location"]).text
    audit = session.exec(select(StaffAudit).where(StaffAudit.action == "walk-in")
                         .order_by(StaffAudit.id.desc())).first()  # type: ignore[union-attr]
    assert audit is not None and "over the walk-in cap" in audit.detail
    session.expire_all()
    assert sorted(r.status for r in session.exec(select(LabRequest))) == ["checked_in", "checked_in"]


def test_the_same_form_sent_twice_adds_one_walk_in(client, app, session):
    _site, _clinic = world(session)
    request_for(session, 0)
    request_for(session, 1)
    sign_in(client, "pat")
    at(app, 9, 20)
    page = client.get("/staff/today").text
    key = re.search(r'name="key" value="([0-9a-f]{32})"', page).group(1)  # type: ignore[union-attr]
    first = add(client, form(0), key=key)
    second = add(client, form(0), key=key)
    assert first.status_code == second.status_code == 302
    assert "already added: the form was sent twice" in client.get(second.headers["Location"]).text
    # A second press of the same form never checks in someone else, whatever was typed.
    third = add(client, form(1), key=key)
    assert "number 1" in client.get(third.headers["Location"]).text
    assert len(session.exec(select(Appointment)).all()) == 1
    assert len(session.exec(select(PrintJob)).all()) == 1
    assert len(session.exec(select(StaffAudit).where(StaffAudit.action == "walk-in")).all()) == 1


def test_at_a_site_printing_at_the_chair_a_staff_walk_in_prints_nothing_until_the_chair(client, app, session):
    site, _clinic = world(session)
    chairs.save_chair(session=session, site_id=site.id, chair_id=None, name="Chair 1",
                      printer_uri="tcp://127.0.0.1:9", actor=SETUP, now=NOW)
    chairs.save_site_printing(session=session, site_id=site.id, actor=ADMIN, now=NOW,
                              form=chairs.PrintingForm("chair"))
    request_for(session, 0)
    sign_in(client, "pat")
    at(app, 9, 20)
    done = add(client, form(0))
    assert "print at the chair once you confirm who they are" in client.get(done.headers["Location"]).text
    assert session.exec(select(PrintJob)).all() == []
    assert session.exec(select(Appointment)).one().status == "checked_in"


def test_without_a_site_printer_the_labels_are_not_sent_and_staff_are_told_to_reprint(client, app, session):
    _site, _clinic = world(session)
    request_for(session, 0)
    sign_in(client, "pat")
    at(app, 9, 20)
    done = add(client, form(0))
    page = client.get(done.headers["Location"]).text
    assert "No label printer is set up for this site: open their page and reprint" in page
    assert "Labels did not all print" in page  # the alert stays until they are reprinted
    job = session.exec(select(PrintJob)).one()
    assert job.next_try_at is None and job.status == "failed"


def test_the_list_is_in_the_order_call_next_calls(client, app, session, settings):
    site, clinic = world(session)
    b910 = book(session, settings, clinic, slot=1, n=10)  # 09:10
    b900 = book(session, settings, clinic, slot=0, n=11)  # 09:00
    b940 = book(session, settings, clinic, slot=4, n=12)  # 09:40, never arrives
    request_for(session, 0)
    request_for(session, 1, urgency="urgent")
    request_for(session, 2)
    kiosk = kiosk_key(session, site)
    sign_in(client, "pat")
    at(app, 8, 55)
    assert checkin(client, kiosk, b910.reference).status_code == 200  # number 1
    assert checkin(client, kiosk, b900.reference).status_code == 200  # number 2
    at(app, 9, 5)
    assert add(client, form(0)).status_code == 302  # number 3, arrived 09:05
    at(app, 9, 30)
    assert add(client, form(1)).status_code == 302  # number 4, urgent
    at(app, 9, 31)
    assert walk(client, kiosk, n=2).status_code == 200  # number 5, arrived 09:31
    session.expire_all()
    listed = [r.queue_number for r in day_list(session=session, site_id=site.id, day=DAY)]
    page = client.get("/staff/today").text
    on_page = [int(n) for n in re.findall(r'No\. </span><span>(\d+)</span>', page)]
    assert on_page == listed[:5] and b940.id in [r.appointment_id for r in day_list(
        session=session, site_id=site.id, day=DAY)][5:]
    actor = Actor(user_id=None, username="phleb", display_name="Phlebotomist")
    called = []
    while (row := call_next(session=session, site_id=site.id, day=DAY, actor=actor,
                            now=local_to_utc(DAY, dt.time(9, 40 + len(called))))) is not None:
        called.append(row.queue_number)
    assert called == [4, 2, 3, 1, 5]
    assert listed[:5] == called  # the list showed them in the order they were called
    # Once called they lead the list, in the order they were called; then those still to come.
    after = day_list(session=session, site_id=site.id, day=DAY)
    assert [r.queue_number for r in after][:5] == [4, 2, 3, 1, 5] and after[5].appointment_id == b940.id


def test_a_fasting_request_walks_in_as_a_fasting_test_where_the_clinic_has_one(client, app, session, settings):
    site, _clinic = world(session)  # the clinic offers adult, fasting and INR tests
    fasting = make_patient(3)
    request_with(session, 3, ["GLU", "FBC"])
    request_for(session, 0)  # FBC and U&E: no fasting
    sign_in(client, "pat")
    at(app, 9, 20)
    assert add(client, form(3)).status_code == 302
    assert walk(client, kiosk_key(session, site), n=0).status_code == 200
    types = {a.patient_id: a.type_code for a in session.exec(select(Appointment))}
    by_nhs = {p.nhs_number: p.id for p in session.exec(select(Patient))}
    assert types[by_nhs[fasting.nhs_number]] == "fasting"
    assert types[by_nhs[make_patient(0).nhs_number]] == "adult"
    assert "Fasting blood test" in client.get("/staff/today").text


def test_a_fasting_request_at_a_clinic_without_fasting_tests_gets_its_adult_test(session, settings):
    site = make_site(session, name="Leeds General")
    make_clinic(session, site=site, day=DAY, types=("inr", "adult"))
    set_walk_ins(session=session, actor=SETUP, now=SETUP_AT, site_id=site.id, cap=4)
    patient = make_patient(3)
    request_with(session, 3, ["GLU"])
    kiosk = kiosk_key(session, site)
    key_id = key_for_token(session=session, token=kiosk["Authorization"][7:]).id
    walk_in(session=session, site_id=site.id, api_key_id=key_id,
            who=WalkInIdentity(dt.date(1970, 5, 17), nhs_number=patient.nhs_number),
            request_id="9f1c7f0e-4a7b-4c55-9f39-1d1f0c1b2a3c", now=local_to_utc(DAY, dt.time(9, 20)),
            settings=settings)
    assert session.exec(select(Appointment)).one().type_code == "adult"


def test_the_admin_reads_who_added_a_walk_in_in_the_audit_log(client, app, session):
    _site, _clinic = world(session)
    request_for(session, 0)
    make_staff(session, role="admin", username="ada")
    sign_in(client, "pat")
    at(app, 9, 20)
    assert add(client, form(0)).status_code == 302
    add(client, form(6))  # nobody: refused
    post(client, "/staff/sign-out", {}, form_page="/staff/today")
    sign_in(client, "ada")
    log = client.get("/staff/admin/audit?action=walk-in").text
    assert '<option value="walk-in" selected>Checked in a walk-in</option>' in log
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*number 1, request(?:(?!</tr>).)*</tr>", log, re.S)
    assert row and "pat" in row.group(0) and make_patient(0).nhs_number[:3] in row.group(0)
    refused = client.get("/staff/admin/audit?action=walk-in+refused").text
    assert "walk_in_no_patient" in refused and "number 1" not in refused
    assert "<td class=\"nhsuk-table__cell\">Walk-in refused</td>" in refused


def test_presses_of_one_form_at_the_same_moment_add_one_walk_in(engine, session, settings):
    site, _clinic = world(session)
    request_for(session, 0)
    pat = Actor(user_id=1, username="pat", display_name="Phlebotomist")
    when = local_to_utc(DAY, dt.time(9, 20))

    def press(_i: int) -> StaffWalkIn:
        with Session(engine, expire_on_commit=False) as own:
            return add_walk_in(session=own, site_id=site.id, key="b" * 32, actor=pat, now=when, settings=settings,
                               who=WalkInIdentity(dt.date(1970, 5, 17), nhs_number=make_patient(0).nhs_number))

    results = race(4, press)
    assert all(isinstance(r, StaffWalkIn) for r in results), results
    assert {r.queue_number for r in results} == {1}
    assert sorted(r.again for r in results) == [False, True, True, True]
    session.expire_all()
    assert len(session.exec(select(Appointment)).all()) == 1
    assert len(session.exec(select(StaffAudit).where(StaffAudit.action == "walk-in")).all()) == 1
