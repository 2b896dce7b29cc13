"""The admin's code map page in a real Chromium (axe on each state): a practice's own code added,
changed and removed; a blank form names both fields and changes nothing; each change is in the
audit log, filtered by action."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue
from booking_web.services.organisations import create_organisation, organisation_by_code
from shared.models import OrganisationTestCode
from tests.browser.pages import expect_error, heading, proceed, staff_sign_in
from tests.conftest import NOW
from tests.factories import SETUP, make_staff


def test_an_admin_maps_a_practices_code_to_a_catalogue_test(site, live_server):
    with live_server.session() as session:
        seed_catalogue(session=session)
        if organisation_by_code(session=session, ods_code="C85001") is None:
            create_organisation(session=session, ods_code="C85001", name="Bridge Practice", actor=SETUP, now=NOW)
        make_staff(session, role="admin", username="codes-admin")
    page = site.open()
    staff_sign_in(page, "codes-admin")
    page.goto("/staff/admin/organisations")
    page.get_by_role("link", name="Bridge Practice").click()
    page.get_by_role("link", name="Test codes their system sends").click()
    heading(page, "Test codes")
    expect(page.locator("main")).to_contain_text("No codes mapped")
    proceed(page, "Save code")
    expect_error(page, "Enter the code the organisation's system sends", "external_code")
    expect_error(page, "Choose the catalogue test it means", "test_code")
    site.audit(page, "code map, errors")
    page.get_by_label("Their code").fill("u&e")
    page.get_by_label("Catalogue test it means").select_option("UE")
    proceed(page, "Save code")
    expect(page.get_by_role("status")).to_contain_text("U&E now means Urea and electrolytes (UE).")
    page.get_by_label("Their code").fill("U&E")
    page.get_by_label("Catalogue test it means").select_option("LFT")
    proceed(page, "Save code")
    row = page.get_by_role("row", name="U&E")
    expect(row).to_contain_text("Liver function tests (LFT)")
    site.audit(page, "code map, one code")
    page.screenshot(path=str(site.artifacts / "code-map.png"), full_page=True)
    with live_server.session() as session:
        assert [(r.external_code, r.test_code) for r in session.exec(select(OrganisationTestCode))] == [("U&E", "LFT")]
    page.get_by_role("button", name="Remove U&E").click()
    expect(page.get_by_role("status")).to_contain_text("Removed U&E from the map.")
    with live_server.session() as session:
        assert session.exec(select(OrganisationTestCode)).all() == []
    # The admin reads each change in the audit log, in plain words, filtered to the code map.
    page.goto("/staff/admin/audit")
    page.get_by_label("Show").select_option(label="Set what an organisation's test code means")
    page.get_by_role("button", name="Apply filter").click()
    heading(page, "Audit log")
    table = page.get_by_role("table")
    expect(table).to_contain_text("C85001: code U&E means Liver function tests (LFT); was UE")
    expect(table).to_contain_text("C85001: code U&E means Urea and electrolytes (UE); new")
    expect(table).not_to_contain_text("Removed an organisation's test code")
    expect(table.locator("tbody tr").first).to_contain_text("codes-admin")
    site.audit(page, "audit log, code map")
    page.get_by_label("Show").select_option(label="Removed an organisation's test code")
    page.get_by_role("button", name="Apply filter").click()
    expect(page.get_by_role("table")).to_contain_text("C85001: code U&E removed (it meant LFT)")
