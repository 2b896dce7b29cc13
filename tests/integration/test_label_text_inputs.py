"""Text that goes on labels is refused where it is typed when it holds a line break, a tab or a
hidden character (site, tube type and test names, chair names, staff names), with the usual
error summary and nothing saved; and a label whose text already holds one (saved before this
check) still prints: the staff reprint's PDF is made, not a 500."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from booking_web.messages import field_words
from booking_web.services.accounts import create_staff
from booking_web.services.catalogue import seed_catalogue
from shared.errors import ValidationFailed, problem
from shared.models import Chair, LabTest, Site, StaffUser
from tests.conftest import NOW
from tests.factories import SETUP, make_site, make_staff
from tests.integration.test_staff import checked_in, phleb, post, sign_in, site, text_of_pdf

__all__ = ["checked_in", "phleb", "site"]  # fixtures of the staff tests, used here

ONE_LINE = "must be on one line, with no tabs or hidden characters"
BAD = ["Leeds\nGeneral", "Leeds\r\nGeneral", "Leeds\tGeneral", "Leeds\x00General",
       "Leeds\u2028General", "Leeds\u202eGeneral", "Leeds\x85General"]


@pytest.fixture
def admin_client(client, session):  # type: ignore[no-untyped-def]
    make_staff(session, role="admin", username="ada")
    sign_in(client, "ada")
    return client


@pytest.mark.parametrize("name", BAD)
def test_a_site_name_with_a_line_break_or_hidden_character_is_refused(admin_client, session,
                                                                      name):
    resp = post(admin_client, "/staff/admin/sites", {
        "name": name, "address": "Great George Street, Leeds", "postcode": "LS1 3EX",
        "latitude": "", "longitude": ""})
    assert resp.status_code == 400
    assert f'<a href="#name">The site name {ONE_LINE}</a>' in resp.text
    assert session.exec(select(Site)).all() == []


def test_a_site_name_is_checked_when_changed_too(admin_client, session):
    site = make_site(session, name="Wetherby")
    path = f"/staff/admin/sites/{site.id}"
    resp = post(admin_client, path, {
        "name": "Wetherby\nHealth Centre", "address": site.address, "postcode": site.postcode,
        "latitude": str(site.latitude), "longitude": str(site.longitude), "active": "yes"})
    assert resp.status_code == 400 and f"The site name {ONE_LINE}" in resp.text
    session.expire_all()
    assert session.get(Site, site.id).name == "Wetherby"  # type: ignore[union-attr]


@pytest.mark.parametrize(("field", "words"), [("container", "The tube type"),
                                              ("name", "The test name")])
def test_a_tube_type_or_test_name_with_a_line_break_is_refused(admin_client, session, field,
                                                               words):
    seed_catalogue(session=session)
    form = {"code": "CRP", "name": "C-reactive protein", "container": "Serum gel (SST)",
            "stage": "serum_gel", "active": "yes", field: "Serum\ngel"}
    resp = post(admin_client, "/staff/admin/catalogue/edit", form)
    assert resp.status_code == 400
    assert f'<a href="#{field}">{words} {ONE_LINE}</a>' in resp.text
    assert session.get(LabTest, "CRP") is None


def test_a_chair_name_with_a_hidden_character_is_refused(admin_client, session):
    site = make_site(session)
    page = f"/staff/admin/sites/{site.id}/chairs"
    resp = post(admin_client, page, {"name": "Chair\x002", "printer_uri": "tcp://127.0.0.1:9"})
    assert resp.status_code == 400 and f"The chair name {ONE_LINE}" in resp.text
    assert session.exec(select(Chair)).all() == []


@pytest.mark.parametrize("display_name", ["Pat\nPatel", "Pat\x1bPatel"])
def test_a_staff_name_printed_as_the_collector_is_refused_with_a_line_break(session,
                                                                           display_name):
    with pytest.raises(ValidationFailed) as refused:
        create_staff(session=session, actor=SETUP, username="pat", display_name=display_name,
                     password="correct horse battery", role="phlebotomist", site_id=None,
                     now=NOW)
    assert refused.value.fields == {"display_name": problem("not_one_line", thing="staff_name")}
    assert field_words(refused.value) == {"display_name": f"The name {ONE_LINE}"}
    assert session.exec(select(StaffUser)).all() == []


def test_a_label_whose_site_name_already_holds_a_line_break_still_prints(
        client, session, phleb, checked_in):
    # Saved before the form refused it: the layout writes it on one line instead of failing.
    appt, ids = checked_in
    stored = session.get(Site, appt.site_id)
    stored.name = "Leeds\r\nGeneral"
    session.add(stored)
    session.commit()
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    resp = post(client, f"{path}/reprint", {"specimen_id": ids[0], "reason": "damaged"},
                form_page=path)
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).text
    job = re.search(r"/staff/print-jobs/(\d+)/labels.pdf", page).group(1)  # type: ignore[union-attr]
    pdf = client.get(f"/staff/print-jobs/{job}/labels.pdf")
    assert pdf.status_code == 200
    assert "Leeds General" in text_of_pdf(pdf.data) and ids[0] in text_of_pdf(pdf.data)
