"""Every change staff make to how the service is set up is in the audit log, through the admin
pages (CSRF on), on SQLite and PostgreSQL: who, when and what it was before and after; a refused
change (bad input) writes no row; the audit page says each in plain words and filters by action."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, col, select

from booking_web.services.catalogue import seed_catalogue
from shared.models import Organisation, StaffAudit
from tests.conftest import NOW
from tests.factories import make_organisation, make_staff
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
