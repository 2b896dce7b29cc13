"""Every change staff make to how the service is set up is in the audit log, through the admin
pages (CSRF on), on SQLite and PostgreSQL: who, when and what it was before and after; a refused
change (bad input) writes no row; the audit page says each in plain words and filters by action."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import Session, col, select

from booking_web.services.catalogue import seed_catalogue
from shared.models import Chair, ClinicSession, LabTest, Organisation, OutboxMessage, OutboxStatus, Site, StaffAudit
from tests.conftest import NOW
from tests.factories import make_clinic, make_organisation, make_patient, make_site, make_staff, slots_of
from tests.integration.test_staff import post, sign_in


@pytest.fixture
def ada(session):  # type: ignore[no-untyped-def]
    """The admin 'ada', signed in on `client` by the tests that use her."""
    return make_staff(session, role="admin", username="ada")


def audit_rows(session: Session, *actions: str) -> list[StaffAudit]:
    """The audit rows of these actions, oldest first."""
    session.expire_all()
    return list(session.exec(select(StaffAudit).where(col(StaffAudit.action).in_(actions))
                             .order_by(col(StaffAudit.id))))


def audit_count(session: Session) -> int:
    session.expire_all()
    return len(session.exec(select(StaffAudit)).all())


def by_ada(row: StaffAudit, ada) -> bool:  # type: ignore[no-untyped-def]
    """The row names ada (her account and name) and the page's clock."""
    return (row.staff_user_id, row.username, row.at) == (ada.id, "ada", NOW)


# --- organisations and their codes ------------------------------------------------------------


def test_adding_and_changing_an_organisation_are_audited_and_refusals_are_not(client, session, ada):
    sign_in(client, "ada")
    before = audit_count(session)
    refused = post(client, "/staff/admin/organisations", {"ods_code": "B8-6", "name": ""})
    assert refused.status_code == 400 and audit_count(session) == before
    assert post(client, "/staff/admin/organisations", {"ods_code": "m85001", "name": "Valley Medical Centre",
                                                        "address": "2 Valley Road, Leeds"}).status_code == 302
    [added] = audit_rows(session, "organisation_add")
    assert by_ada(added, ada)
    assert added.detail == ('M85001: name "Valley Medical Centre"; address "2 Valley Road, Leeds"; '
                            "may request tests yes")
    org = session.exec(select(Organisation).where(Organisation.ods_code == "M85001")).one()
    path = f"/staff/admin/organisations/{org.id}"
    bad = post(client, path, {"name": "", "address": "", "active": "no"})
    assert bad.status_code == 400 and audit_rows(session, "organisation_change") == []
    assert post(client, path, {"name": "Valley MC", "address": "2 Valley Road, Leeds", "active": "no"}
                ).status_code == 302
    [changed] = audit_rows(session, "organisation_change")
    assert by_ada(changed, ada)
    assert changed.detail == 'M85001: name "Valley Medical Centre" to "Valley MC"; may request tests yes to no'


def test_setting_and_removing_an_organisations_codes_are_audited(client, session, ada):
    seed_catalogue(session=session)
    org = make_organisation(session, "C85001", "Bridge Practice")
    sign_in(client, "ada")
    path = f"/staff/admin/organisations/{org.id}/codes"
    before = audit_count(session)
    refused = post(client, path, {"external_code": "", "test_code": "NOPE"})
    assert refused.status_code == 400 and audit_count(session) == before
    assert post(client, path, {"external_code": "ice-fbc", "test_code": "FBC"}).status_code == 302
    assert post(client, path, {"external_code": "ICE-FBC", "test_code": "UE"}).status_code == 302
    assert post(client, path, {"remove": "ICE-FBC"}).status_code == 302
    assert post(client, path, {"remove": "ICE-FBC"}).status_code == 404  # gone: nothing to audit
    rows = audit_rows(session, "code_map_set", "code_map_remove")
    assert all(by_ada(r, ada) for r in rows)
    assert [(r.action, r.detail) for r in rows] == [
        ("code_map_set", "C85001: code ICE-FBC means Full blood count (FBC); new"),
        ("code_map_set", "C85001: code ICE-FBC means Urea and electrolytes (UE); was FBC"),
        ("code_map_remove", "C85001: code ICE-FBC removed (it meant UE)"),
    ]


# --- sites, clinics, chairs --------------------------------------------------------------------

SITE = {"name": "Chapel Allerton", "address": "Harehills Lane, Leeds", "postcode": "LS7 4SA", "latitude": "53.82",
        "longitude": "-1.53", "access_notes": "Lift to the first floor"}


def test_adding_and_changing_a_site_are_audited_with_before_and_after(client, session, ada):
    sign_in(client, "ada")
    before = audit_count(session)
    refused = post(client, "/staff/admin/sites", {**SITE, "postcode": "nonsense"})
    assert refused.status_code == 400 and audit_count(session) == before
    assert post(client, "/staff/admin/sites", SITE).status_code == 302
    [added] = audit_rows(session, "site_add")
    assert by_ada(added, ada)
    assert added.detail == ('Chapel Allerton: name "Chapel Allerton"; address "Harehills Lane, Leeds"; postcode '
                            '"LS7 4SA"; latitude 53.82; longitude -1.53; access notes "Lift to the first floor"; '
                            "sees children no; open yes; reprint printer (none)")
    site = session.exec(select(Site)).one()
    path = f"/staff/admin/sites/{site.id}"
    bad = post(client, path, {**SITE, "printer_uri": "ftp://printer"})
    assert bad.status_code == 400 and "There is a problem" in bad.text
    assert audit_rows(session, "site_change") == []
    changed = {**SITE, "access_notes": "Lift broken: ground floor room", "active": "no",
               "printer_uri": "tcp://10.0.0.5:9100"}
    assert post(client, path, changed).status_code == 302
    [change] = audit_rows(session, "site_change")
    assert by_ada(change, ada)
    assert change.detail == ('Chapel Allerton: access notes "Lift to the first floor" to "Lift broken: ground floor '
                             'room"; open yes to no; reprint printer (none) to "tcp://10.0.0.5:9100"')


def test_adding_clinic_sessions_is_audited_and_a_refused_plan_is_not(client, session, ada):
    site = make_site(session, name="Wetherby")
    sign_in(client, "ada")
    form = {"site_id": str(site.id), "first_day-day": "7", "first_day-month": "12", "first_day-year": "2026",
            "last_day-day": "18", "last_day-month": "12", "last_day-year": "2026", "weekdays": ["0", "2"],
            "start_time": "8.30am", "end_time": "12pm", "slot_minutes": "10", "chairs": "3",
            "type_codes": ["adult", "inr"]}
    before = audit_count(session)
    refused = post(client, "/staff/admin/clinics", {**form, "chairs": "0"})
    assert refused.status_code == 400 and audit_count(session) == before
    assert post(client, "/staff/admin/clinics", form).status_code == 302
    assert len(session.exec(select(ClinicSession)).all()) == 4
    [added] = audit_rows(session, "clinic_sessions_add")
    assert by_ada(added, ada)
    assert added.detail == ("Wetherby: 4 sessions, 2026-12-07 to 2026-12-18 on Mon, Wed, 08:30 to 12:00, "
                            "10-minute slots, 3 chairs, types adult, inr")


def test_adding_and_changing_a_chair_are_audited(client, session, ada):
    site = make_site(session, name="Otley")
    sign_in(client, "ada")
    page = f"/staff/admin/sites/{site.id}/chairs"
    before = audit_count(session)
    refused = post(client, page, {"name": "", "printer_uri": "ftp://x"})
    assert refused.status_code == 400 and "There is a problem" in refused.text and audit_count(session) == before
    assert post(client, page, {"name": "Chair 1", "printer_uri": "tcp://127.0.0.1:9100"}).status_code == 302
    chair = session.exec(select(Chair)).one()
    assert post(client, page, {"chair_id": str(chair.id), "name": "Room A", "printer_uri": "tcp://127.0.0.1:9100",
                               "active": "no"}).status_code == 302
    rows = audit_rows(session, "chair_add", "chair_change")
    assert all(by_ada(r, ada) for r in rows)
    assert [(r.action, r.detail) for r in rows] == [
        ("chair_add", 'Otley: name "Chair 1"; label printer "tcp://127.0.0.1:9100"; in use yes'),
        ("chair_change", 'Otley: name "Chair 1" to "Room A"; in use yes to no'),
    ]


def test_label_settings_and_the_call_screen_are_audited_with_before_and_after(client, session, ada):
    site = make_site(session, name="Ilkley")
    sign_in(client, "ada")
    page = f"/staff/admin/sites/{site.id}/chairs"
    before = audit_count(session)
    no_chair = post(client, f"/staff/admin/sites/{site.id}/label-settings", {"print_at": "chair"}, form_page=page)
    assert no_chair.status_code == 400 and "There is a problem" in no_chair.text  # no chair yet: refused
    assert audit_count(session) == before
    post(client, page, {"name": "Chair 1", "printer_uri": "tcp://127.0.0.1:9100"})
    assert post(client, f"/staff/admin/sites/{site.id}/label-settings", {
        "print_at": "chair", "transfusion_labels": "yes", "transfusion_approved_by": "Dr Lab Manager"},
        form_page=page).status_code == 302
    assert post(client, f"/staff/admin/sites/{site.id}/call-screen", {"speak_calls": "yes"},
                form_page=page).status_code == 302
    rows = audit_rows(session, "label settings", "call screen settings")
    assert all(by_ada(r, ada) for r in rows)
    assert [(r.action, r.detail) for r in rows] == [
        ("label settings", 'Ilkley: labels print at "check-in" to "the chair"; printed transfusion labels no to '
                           'yes; approved by (none) to "Dr Lab Manager"'),
        ("call screen settings", "Ilkley: calls said aloud no to yes"),
    ]


# --- the test catalogue -----------------------------------------------------------------------


def test_adding_and_changing_a_catalogue_test_are_audited(client, session, ada):
    seed_catalogue(session=session)
    sign_in(client, "ada")
    before = audit_count(session)
    refused = post(client, "/staff/admin/catalogue/edit", {"code": "", "name": "", "container": "", "stage": "x"})
    assert "There is a problem" in refused.text and audit_count(session) == before
    crp = {"code": "crp", "name": "C-reactive protein", "container": "Serum gel (SST)", "stage": "serum_gel",
           "shares_tube": "yes", "active": "yes"}
    assert post(client, "/staff/admin/catalogue/edit", crp).status_code == 302
    assert post(client, "/staff/admin/catalogue/edit?code=CRP", {**crp, "fasting": "yes", "active": ""},
                form_page="/staff/admin/catalogue/edit?code=CRP").status_code == 302
    assert session.get(LabTest, "CRP").fasting
    rows = audit_rows(session, "test_add", "test_change")
    assert all(by_ada(r, ada) for r in rows)
    assert [(r.action, r.detail) for r in rows] == [
        ("test_add", 'CRP: name "C-reactive protein"; tube "Serum gel (SST)"; order of draw "Serum gel"; '
                     "transfusion sample no; shares a tube yes; fasting no; in use yes"),
        ("test_change", "CRP: fasting no to yes; in use yes to no"),
    ]


# --- messages to patients ---------------------------------------------------------------------


def test_sending_a_failed_message_again_is_audited_against_its_booking(client, session, settings, ada):
    from booking_web.services import booking

    appt = booking.book_appointment(session=session, slot_id=slots_of(session, make_clinic(
        session, day=NOW.date() + dt.timedelta(days=7)))[0].id, type_code="adult", patient=make_patient(0),
        now=NOW, settings=settings).appointment
    message = session.exec(select(OutboxMessage).where(OutboxMessage.appointment_id == appt.id)).first()
    assert message is not None
    message.status, message.last_error = OutboxStatus.FAILED, "400 ValidationError"
    session.add(message)
    session.commit()
    sign_in(client, "ada")
    resend = f"/staff/outbox/{message.id}/resend"
    assert post(client, resend, {}, form_page="/staff/outbox/").status_code == 302
    [row] = audit_rows(session, "message_resend")
    assert by_ada(row, ada) and row.appointment_id == appt.id
    assert row.detail == f"message {message.id}: {message.template} by {message.channel}, was failed"
    # Pending again: a second press is refused and records nothing.
    assert post(client, resend, {}, form_page="/staff/outbox/").status_code == 302
    assert len(audit_rows(session, "message_resend")) == 1


# --- the audit page ---------------------------------------------------------------------------


def test_the_audit_page_says_each_change_in_plain_words_and_filters_by_action(client, session, ada):
    sign_in(client, "ada")
    post(client, "/staff/admin/organisations", {"ods_code": "M85001", "name": "Valley Medical Centre"})
    org = session.exec(select(Organisation)).one()
    post(client, f"/staff/admin/organisations/{org.id}", {"name": "Valley MC", "address": "", "active": "yes"})
    everything = client.get("/staff/admin/audit").text
    cells = re.findall(r'<td class="nhsuk-table__cell">([^<]*)</td>', everything)
    assert "Added an organisation" in cells and "Changed an organisation" in cells
    assert "organisation_add" not in cells  # the code is the filter's value, not what staff read
    assert 'name "Valley Medical Centre" to "Valley MC"' in everything.replace("&#34;", '"')
    only = client.get("/staff/admin/audit?action=organisation_change").text
    assert '<option value="organisation_change" selected>Changed an organisation</option>' in only
    assert "Changed an organisation" in only
    assert '<td class="nhsuk-table__cell">Added an organisation</td>' not in only
