"""The staff pages for labels at the chair (Flask client, both engines): an admin sets a site to
print at the chair with its chairs; the kiosk checks in; the today page calls the next patient to
a chair; the patient page confirms identity and the worker prints; a printer fault shows on the
today page."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlmodel import select

from booking_web.services import print_queue
from hardware_sim import SimPrinterServer, VirtualPrinter
from shared.models import Chair, SitePrinting, StaffAudit
from tests.factories import make_clinic, make_site, make_staff
from tests.integration.test_checkin import DAY, at, book, kiosk_key, six_test_request
from tests.integration.test_staff import post, sign_in


@pytest.fixture
def printer(tmp_path: Path):  # type: ignore[no-untyped-def]
    with SimPrinterServer(VirtualPrinter(tmp_path / "labels", language="zpl")) as server:
        yield server


def test_an_admin_sets_up_chairs_and_a_phlebotomist_prints_at_the_chair(
        client, app, session, settings, printer):
    site = make_site(session, name="Chapel Allerton")
    make_staff(session, role="admin", username="ada")
    make_staff(session, role="phlebotomist", username="pat", site_id=site.id)
    sign_in(client, "ada")
    chairs_page = f"/staff/admin/sites/{site.id}/chairs"
    early = post(client, f"/staff/admin/sites/{site.id}/label-settings",
                 {"print_at": "chair"}, form_page=chairs_page)
    assert "Add a chair with its label printer before printing at the chair" in early.text
    bad = post(client, chairs_page, {"name": "", "printer_uri": "lpt1"})
    assert "Enter the chair or room name" in bad.text and "Unknown printer address" in bad.text
    for name, uri in (("Chair 1", "tcp://127.0.0.1:9"), ("Chair 2", printer.uri)):
        saved = post(client, chairs_page, {"name": name, "printer_uri": uri})
        assert saved.status_code == 302, saved.text[:500]
    no_approver = post(client, f"/staff/admin/sites/{site.id}/label-settings",
                       {"print_at": "chair", "transfusion_labels": "yes"}, form_page=chairs_page)
    assert "Enter who in the laboratory approved" in no_approver.text
    done = post(client, f"/staff/admin/sites/{site.id}/label-settings", {"print_at": "chair"},
                form_page=chairs_page)
    assert done.status_code == 302
    assert session.get(SitePrinting, site.id).print_at == "chair"  # type: ignore[union-attr]

    clinic = make_clinic(session, site=site, day=DAY)
    appt = book(session, settings, clinic, request_number=six_test_request(session))
    at(app, 8, 55)
    body = client.post("/api/v1/kiosk/checkin", headers=kiosk_key(session, site), json={
        "reference": appt.reference, "date_of_birth": "1970-05-17",
        "request_id": str(uuid.uuid4())}).json
    assert body["labels"] == [] and body["queue_number"] == 1

    client = app.test_client()  # the phlebotomist's own browser
    sign_in(client, "pat")
    today = client.get("/staff/today").text
    assert "Call next to Chair 1" in today and "Call next to Chair 2" in today
    chair2 = session.exec(select(Chair).where(Chair.name == "Chair 2")).one()
    called = post(client, f"/staff/today/chairs/{chair2.id}/call-next", {},
                  form_page="/staff/today")
    assert called.status_code == 302
    assert "Called 08:55 to Chair 2" in client.get("/staff/today").text
    page = f"/staff/today/{appt.id}"
    form = client.get(page).text
    assert "Confirm who the patient is" in form and f'value="{chair2.id}" checked' in form
    printer.printer.set_paper_out(after=2)
    wrong = post(client, f"{page}/identify", {"chair_id": str(chair2.id), "dob-day": "18",
                                              "dob-month": "5", "dob-year": "1970"},
                 form_page=page)
    assert "does not match this booking" in wrong.text
    right = post(client, f"{page}/identify", {"chair_id": str(chair2.id), "dob-day": "17",
                                              "dob-month": "5", "dob-year": "1970"},
                 form_page=page)
    assert right.status_code == 302
    assert "Labels print at Chair 2" in client.get(page).text
    sent = print_queue.run_due_jobs(session=session, clock=lambda: app.extensions[
        "phlebo"].clock(), settings=settings)
    assert [s.status for s in sent] == ["partial"]
    today = client.get("/staff/today").text
    assert "Label printer problem" in today and "Chair 2 printer: paper out" in today
    printer.printer.load_paper()
    later = at(app, 8, 57)
    assert [s.status for s in print_queue.run_due_jobs(
        session=session, clock=lambda: later, settings=settings)] == ["printed"]
    assert "Label printer problem" not in client.get("/staff/today").text
    actions = [a.action for a in session.exec(select(StaffAudit).order_by(StaffAudit.id))]
    assert "identify failed" in actions and "identify" in actions and "call" in actions
