"""Staff pages over the Flask test client (CSRF on, as in production), on SQLite and PostgreSQL:
sign in, roles, the today page with label alerts, reprints, collection, requests, the audit log."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pypdfium2 as pdfium
import pytest
from sqlmodel import select

from booking_web.services import print_queue
from booking_web.services.site_admin import set_printer
from shared.models import Appointment, JobSource, PrintJob, StaffAudit
from shared.references import format_reference
from shared.timeutil import local_to_utc
from tests.factories import make_clinic, make_site, make_staff
from tests.integration.test_checkin import DAY, at, book, kiosk_key, report, six_test_request

PASSWORD = "correct horse battery"


def csrf(client, path: str) -> str:  # type: ignore[no-untyped-def]
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(client, path: str, data: dict, *, form_page: str | None = None):  # type: ignore[no-untyped-def]
    """Submit a form as a browser would: with the CSRF token from the page showing the form."""
    return client.post(path, data={**data, "csrf_token": csrf(client, form_page or path)})


def sign_in(client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return post(client, "/staff/sign-in", {"username": username, "password": password})


def text_of_pdf(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return "".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


@pytest.fixture
def site(session):  # type: ignore[no-untyped-def]
    return make_site(session, name="Leeds General")


@pytest.fixture
def phleb(session, site):  # type: ignore[no-untyped-def]
    return make_staff(session, role="phlebotomist", username="pat", site_id=site.id)


@pytest.fixture
def admin(session):  # type: ignore[no-untyped-def]
    return make_staff(session, role="admin", username="ada")


@pytest.fixture
def checked_in(client, app, session, settings, site):  # type: ignore[no-untyped-def]
    """A patient with six tests checked in at 08:55, the kiosk reporting a partial print."""
    clinic = make_clinic(session, site=site, day=DAY)
    appt = book(session, settings, clinic, request_number=six_test_request(session))
    at(app, 8, 55)
    kiosk = kiosk_key(session, site)
    body = client.post(
        "/api/v1/kiosk/checkin",
        headers=kiosk,
        json={
            "reference": appt.reference,
            "date_of_birth": "1970-05-17",
            "request_id": str(uuid.uuid4()),
        },
    ).json
    ids = [lab["specimen_id"] for lab in body["labels"]]
    report(
        client,
        kiosk,
        body["print_job"]["id"],
        {ids[0]: "confirmed", ids[1]: "unconfirmed"},
        "fault",
    )
    return appt, ids


# --- sign in and roles -----------------------------------------------------------------------


def test_sign_in_and_out(client, phleb):
    page = sign_in(client, "pat", "wrong password!")
    assert page.status_code == 400 and "There is a problem" in page.text
    assert '<a href="#username">Enter a correct username and password</a>' in page.text
    assert client.get("/staff/today").status_code == 302
    resp = sign_in(client, "pat")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/staff/today")
    assert "Today at Leeds General" in client.get("/staff/today").text
    post(client, "/staff/sign-out", {}, form_page="/staff/today")
    resp = client.get("/staff/today")
    assert resp.status_code == 302 and "/staff/sign-in" in resp.headers["Location"]


def test_a_form_without_its_csrf_token_is_refused(client, phleb):
    assert (
        client.post("/staff/sign-in", data={"username": "pat", "password": PASSWORD}).status_code
        == 400
    )


def test_sign_in_attempts_are_limited_per_username_and_per_address(client, phleb, session):
    for _ in range(5):
        assert sign_in(client, "pat", "not the password").status_code == 400
    resp = sign_in(client, "pat")  # even the right password, once the limit is reached
    assert resp.status_code == 429 and "Too many attempts" in resp.text
    make_staff(session, role="phlebotomist", username="other", site_id=phleb.site_id)
    codes = [sign_in(client, f"guess{i}", "nope nope nope").status_code for i in range(16)]
    assert codes[-1] == 429  # 20 tries from one address in the window
    assert sign_in(client, "other").status_code == 429


def test_a_phlebotomist_cannot_reach_admin_pages(client, phleb):
    sign_in(client, "pat")
    for path in (
        "/staff/admin",
        "/staff/admin/sites",
        "/staff/admin/sites/1",
        "/staff/admin/clinics",
        "/staff/admin/close-day",
        "/staff/admin/catalogue",
        "/staff/admin/catalogue/edit",
        "/staff/admin/audit",
    ):
        resp = client.get(path)
        assert resp.status_code == 403 and "for admins only" in resp.text, path
    csrf_token = csrf(client, "/staff/today")
    resp = client.post("/staff/admin/sites", data={"csrf_token": csrf_token, "name": "Sneaky"})
    assert resp.status_code == 403


def test_nobody_signed_in_is_sent_to_sign_in(client):
    for path in (
        "/staff/today",
        "/staff/admin",
        "/staff/admin/audit",
        "/staff/print-jobs/1/labels.pdf",
    ):
        resp = client.get(path)
        assert resp.status_code == 302 and "/staff/sign-in?next=" in resp.headers["Location"], path


# --- today ----------------------------------------------------------------------------------


def test_a_partial_print_is_an_alert_on_the_today_page(client, app, session, phleb, checked_in):
    appt, _ids = checked_in
    sign_in(client, "pat")
    page = client.get("/staff/today").text
    assert (
        "Labels did not all print" in page and "Number 1, TESTPERSON0, Jane: labels partial" in page
    )
    assert "Hand-label at the chair: Group and save" in page
    detail = client.get(f"/staff/today/{appt.id}").text
    assert "Partial: not every label printed." in detail
    assert "Unknown: it may have printed" in detail
    assert "Group and save: no label was printed" in detail
    assert "999" in detail and "17-May-1970" in detail  # staff see the full details


def test_a_printed_job_shows_no_alert(client, app, session, settings, site, phleb):
    appt = book(session, settings, make_clinic(session, site=site, day=DAY))
    at(app, 8, 55)
    kiosk = kiosk_key(session, site)
    body = client.post(
        "/api/v1/kiosk/checkin",
        headers=kiosk,
        json={
            "reference": appt.reference,
            "date_of_birth": "1970-05-17",
            "request_id": str(uuid.uuid4()),
        },
    ).json
    report(
        client,
        kiosk,
        body["print_job"]["id"],
        {lab["specimen_id"]: "confirmed" for lab in body["labels"]},
    )
    sign_in(client, "pat")
    page = client.get("/staff/today").text
    assert "Labels did not all print" not in page and "Printed" in page


def test_reprint_is_marked_recorded_and_capped(client, app, session, settings, phleb, checked_in):
    appt, ids = checked_in
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    resp = post(client, f"{path}/reprint", {"specimen_id": ids[1], "reason": ""}, form_page=path)
    assert (
        resp.status_code == 400
        and f'<a href="#reason-{ids[1]}">Select why the label is reprinted</a>' in resp.text
    )
    # The kiosk left this label unconfirmed: it may be on the printer, so staff say they looked.
    resp = post(client, f"{path}/reprint", {"specimen_id": ids[1], "reason": "unreadable"},
                form_page=path)
    assert resp.status_code == 400 and (  # a form sent back with its problem
        f'<a href="#checked-printer-{ids[1]}">Check the printer, then confirm this label is not '
        "on it</a>" in resp.text)
    reasons = [{"reason": "unreadable", "checked_printer": "yes"},
               {"reason": "other", "reason_other": "Tube swapped", "checked_printer": "yes"}]
    for n in range(settings.reprint_cap):
        resp = post(
            client,
            f"{path}/reprint",
            {"specimen_id": ids[1], **reasons[n]},
            form_page=path,
        )
        assert resp.status_code == 302, resp.text
        page = client.get(resp.headers["Location"]).text
        assert "Reprint recorded (marked REPRINT)" in page
        job_id = int(re.search(r"/staff/print-jobs/(\d+)/labels.pdf", page).group(1))
        pdf = client.get(f"/staff/print-jobs/{job_id}/labels.pdf")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert "REPRINT" in text_of_pdf(pdf.data) and ids[1] in text_of_pdf(pdf.data)
    page = client.get(path).text
    assert f"Reprinted {settings.reprint_cap} times: no more reprints." in page
    resp = post(
        client, f"{path}/reprint", {"specimen_id": ids[1], "reason": "lost"}, form_page=path
    )
    assert resp.status_code == 400 and "the most allowed" in resp.text
    rows = session.exec(
        select(StaffAudit).where(StaffAudit.action == "reprint").order_by(StaffAudit.id)
    ).all()
    assert [(r.username, r.detail) for r in rows] == [
        ("pat", f"{ids[1]} (1 of 2): Barcode will not scan (printer checked: the label was not "
                "there)"),
        ("pat", f"{ids[1]} (2 of 2): Other: Tube swapped (printer checked: the label was not "
                "there)"),
    ]
    staff_jobs = session.exec(select(PrintJob).where(PrintJob.source == JobSource.STAFF)).all()
    assert len(staff_jobs) == 2 and {j.requested_by for j in staff_jobs} == {"pat"}


@pytest.mark.parametrize(
    "form, field, message",
    [
        ({"reason": "other", "reason_other": " "}, "reason-other",
         "Enter why the label is reprinted"),
        ({"reason": "Smudged in the tray"}, "reason", "Select why the label is reprinted"),
        ({}, "reason", "Select why the label is reprinted"),
    ],
)
def test_a_reprint_reason_comes_from_the_list_or_other_with_words(
    client, session, phleb, checked_in, form, field, message
):
    appt, ids = checked_in
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    page = client.get(path).text
    for words in ("Damaged, creased or smudged", "Barcode will not scan",
                  "Did not print, or printed blank", "Lost or dropped", "Other"):
        hidden = f'<span class="nhsuk-u-visually-hidden"> label {ids[0]}</span>'
        assert f">{words}{hidden}</label>" in page
    resp = post(client, f"{path}/reprint", {"specimen_id": ids[0], **form}, form_page=path)
    assert resp.status_code == 400
    assert f'<a href="#{field}-{ids[0]}">{message}</a>' in resp.text
    assert session.exec(select(PrintJob).where(PrintJob.source == JobSource.STAFF)).all() == []


def test_a_kiosk_job_has_no_pdf_so_copies_only_come_from_audited_reprints(
    client, session, phleb, checked_in
):
    sign_in(client, "pat")
    kiosk_job = session.exec(select(PrintJob).where(PrintJob.source == JobSource.KIOSK)).one()
    assert client.get(f"/staff/print-jobs/{kiosk_job.id}/labels.pdf").status_code == 404


def test_reprint_goes_to_the_sites_printer_when_one_is_set(
    client, app, session, settings, admin, phleb, checked_in, tmp_path, site
):
    appt, ids = checked_in
    sign_in(client, "ada")
    target = tmp_path / "printer.bin"
    resp = post(
        client,
        f"/staff/admin/sites/{site.id}",
        {
            "name": site.name,
            "address": site.address,
            "postcode": "LS1 4AB",
            "latitude": "53.8",
            "longitude": "-1.55",
            "access_notes": "Ramp at the side door",
            "active": "yes",
            "printer_uri": f"file://{target}",
        },
    )
    assert resp.status_code == 302
    post(client, "/staff/sign-out", {}, form_page="/staff/admin")
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    resp = post(
        client, f"{path}/reprint", {"specimen_id": ids[0], "reason": "damaged"}, form_page=path
    )
    assert "is queued for the site&#39;s label printer" in client.get(resp.headers["Location"]).text
    assert not target.exists()  # the print worker sends it, not the web request
    sent = print_queue.run_due_jobs(session=session, settings=settings,
                                    clock=app.extensions["phlebo"].clock)
    assert [s.status for s in sent] == ["printed"]
    assert target.exists() and target.stat().st_size > 1000


def test_call_next_and_mark_collected(client, app, session, settings, phleb, checked_in):
    appt, _ids = checked_in
    sign_in(client, "pat")
    resp = post(client, "/staff/today/call-next", {}, form_page="/staff/today")
    assert "Call number 1: TESTPERSON0, Jane." in client.get(resp.headers["Location"]).text
    resp = post(client, "/staff/today/call-next", {}, form_page="/staff/today")
    assert "Nobody is waiting." in client.get(resp.headers["Location"]).text
    path = f"/staff/today/{appt.id}"
    resp = post(client, f"{path}/collected", {}, form_page=path)
    assert resp.status_code == 302
    session.expire_all()
    row = session.get(Appointment, appt.id)
    assert (
        row.status == "collected"
        and row.collected_by == "Phlebotomist"
        and row.collected_at is not None
    )
    assert "Collected 08:55 by Phlebotomist" in client.get("/staff/today").text
    resp = post(client, f"{path}/collected", {}, form_page="/staff/today")
    assert resp.status_code == 400 and "Only a checked-in patient" in resp.text


def test_staff_attach_a_request_before_check_in(client, app, session, settings, site, phleb):
    appt = book(session, settings, make_clinic(session, site=site, day=DAY))
    mine = six_test_request(session, n=0)
    someone_elses = six_test_request(session, n=3)
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    resp = post(client, f"{path}/request", {"request_number": someone_elses}, form_page=path)
    assert (
        resp.status_code == 400
        and '<a href="#request_number">That request is for a different patient</a>' in resp.text
    )
    resp = post(client, f"{path}/request", {"request_number": mine}, form_page=path)
    assert resp.status_code == 302 and mine in client.get(path).text
    assert "Hand-label at the chair: Group and save" in client.get("/staff/today").text


def test_staff_of_one_site_cannot_see_another_sites_patients(client, app, session, settings, phleb):
    elsewhere = make_site(session, name="Seacroft")
    appt = book(session, settings, make_clinic(session, site=elsewhere, day=DAY))
    sign_in(client, "pat")
    assert client.get(f"/staff/today/{appt.id}").status_code == 404
    assert "TESTPERSON0" not in client.get("/staff/today").text


def test_staff_cancel_is_audited(client, app, session, settings, site, phleb, admin):
    appt = book(session, settings, make_clinic(session, site=site, day=DAY))
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    resp = post(client, f"{path}/cancel", {"reason": ""}, form_page=path)
    assert '<a href="#cancel-reason">Enter why the booking is cancelled</a>' in resp.text
    assert (
        post(client, f"{path}/cancel", {"reason": "Patient phoned"}, form_page=path).status_code
        == 302
    )
    session.expire_all()
    assert session.get(Appointment, appt.id).status == "cancelled"
    post(client, "/staff/sign-out", {}, form_page="/staff/today")
    sign_in(client, "ada")
    page = client.get("/staff/admin/audit").text
    # References as patients see them, with dashes (issue 11 item 14).
    assert "Patient phoned" in page and format_reference(appt.reference) in page and "view" in page
    assert "pat" in page


NOW_0855 = local_to_utc(DAY, dt.time(8, 55))


def test_a_kiosk_job_with_no_report_becomes_a_label_by_label_alert(
    client, app, session, settings, site, phleb, tmp_path
):
    clinic = make_clinic(session, site=site, day=DAY)
    appt = book(session, settings, clinic, request_number=six_test_request(session))
    at(app, 8, 55)
    body = client.post(
        "/api/v1/kiosk/checkin",
        headers=kiosk_key(session, site),
        json={"reference": appt.reference, "date_of_birth": "1970-05-17",
              "request_id": str(uuid.uuid4())},
    ).json
    ids = [lab["specimen_id"] for lab in body["labels"]]
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    # Within the report time (60 s by default) the kiosk is still printing: no alert.
    app.extensions["phlebo"].clock = lambda: NOW_0855 + dt.timedelta(seconds=59)
    today = client.get("/staff/today").text
    assert "Labels did not all print" not in today and "Printing at the kiosk" in today
    # After it, every label is shown unknown: the kiosk may have printed any of them.
    app.extensions["phlebo"].clock = lambda: NOW_0855 + dt.timedelta(seconds=60)
    today = client.get("/staff/today").text
    assert "no report from the kiosk" in today
    assert f"Labels: {len(ids)} unknown: check the printer before reprinting." in today
    assert client.get(path).text.count("Unknown: it may have printed.") == len(ids)
    # A reprint of an unknown label needs the printer checked first...
    refused = post(client, f"{path}/reprint", {"specimen_id": ids[0], "reason": "lost"},
                   form_page=path)
    assert "Check the printer, then confirm this label is not on it" in refused.text
    assert session.exec(select(PrintJob).where(PrintJob.source == JobSource.STAFF)).all() == []
    # ...and once it prints, the label is printed (not "not confirmed yet" for ever).
    target = tmp_path / "printer.bin"
    set_printer(session=session, site_id=site.id, uri=f"file://{target}")
    done = post(client, f"{path}/reprint", {"specimen_id": ids[0], "reason": "lost",
                                            "checked_printer": "yes"}, form_page=path)
    assert done.status_code == 302
    sent = print_queue.run_due_jobs(session=session, settings=settings,
                                    clock=app.extensions["phlebo"].clock)
    assert [s.status for s in sent] == ["printed"]
    detail = client.get(path).text
    assert detail.count("Unknown: it may have printed.") == len(ids) - 1
    assert ">Printed</td>" in detail
    today = client.get("/staff/today").text
    assert f"1 printed, {len(ids) - 1} unknown: check the printer before reprinting" in today
