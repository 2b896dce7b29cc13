"""Organisations that request tests and their requester accounts: the service and the commands
`phlebo create-organisation` and `phlebo create-staff --role requester --organisation`."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from booking_web.services.accounts import authenticate
from booking_web.services.organisations import create_organisation, update_organisation
from booking_web.services.staff_audit import Actor
from shared.errors import ValidationFailed
from shared.models import Organisation, StaffAudit
from shared.request_rules import clean_ods_code
from tests.conftest import NOW
from tests.factories import SETUP, make_staff
from tests.integration.test_cli import run

LATER = NOW + dt.timedelta(hours=1)


@pytest.mark.parametrize("raw, expected", [("b86001", "B86001"), (" Y0001 ", "Y0001"), ("ABC", "ABC")])
def test_ods_codes_are_3_to_6_letters_and_digits(raw, expected):
    assert clean_ods_code(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["", "AB", "ABCDEFG", "B86-01", "B86 001", "Ｂ86001", None, 86001])
def test_bad_ods_codes_are_refused(raw):
    assert clean_ods_code(raw)[1]


def test_a_taken_code_or_a_bad_name_is_refused_and_nothing_changes(session):
    create_organisation(session=session, ods_code="B86001", name="Park Surgery", actor=SETUP, now=NOW)
    with pytest.raises(ValidationFailed) as refused:
        create_organisation(session=session, ods_code="b86001", name="", address="x" * 301, actor=SETUP, now=NOW)
    assert set(refused.value.fields) == {"ods_code", "name", "address"}
    assert len(session.exec(select(Organisation)).all()) == 1
    # The added one is audited; the refused one wrote nothing.
    [row] = session.exec(select(StaffAudit)).all()
    assert (row.action, row.username, row.at) == ("organisation_add", "test set-up", NOW)
    assert row.detail == 'B86001: name "Park Surgery"; address (none); may request tests yes'


def test_an_organisation_can_be_renamed_and_stopped_but_keeps_its_code(session):
    org = create_organisation(session=session, ods_code="B86001", name="Park Surgery", actor=SETUP, now=NOW)
    ada = make_staff(session, role="admin", username="ada")
    admin = Actor(ada.id, ada.username, ada.display_name)
    update_organisation(session=session, organisation_id=org.id, name="Park Lane Surgery", address="1 Park Lane",
                        active=False, actor=admin, now=LATER)
    with pytest.raises(ValidationFailed):
        update_organisation(session=session, organisation_id=org.id, name=" ", address="", active=True,
                            actor=admin, now=LATER)
    session.expire_all()
    row = session.get(Organisation, org.id)
    assert (row.ods_code, row.name, row.active) == ("B86001", "Park Lane Surgery", False)
    # Who, when and what it was before and after; the refused change wrote no row.
    [change] = session.exec(select(StaffAudit).where(StaffAudit.action == "organisation_change")).all()
    assert (change.username, change.staff_user_id, change.at) == ("ada", ada.id, LATER)
    assert change.detail == ('B86001: name "Park Surgery" to "Park Lane Surgery"; address (none) to "1 Park Lane"; '
                             "may request tests yes to no")


def test_the_commands_create_an_organisation_and_its_requester(monkeypatch, capsys, tmp_path, engine, session):
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-organisation", "b86001", "Park Surgery",
                    "--address", "1 Park Lane, Leeds")
    assert code == 0 and "B86001" in out.out
    [added] = session.exec(select(StaffAudit)).all()  # who ran the command, on the server
    assert added.action == "organisation_add" and added.username.endswith("(phlebo create-organisation)")
    assert added.detail.startswith("B86001: ") and added.staff_user_id is None
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-organisation", "B86001", "Again")
    assert code == 2 and "already exists" in out.err
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-staff", "drada", "--role", "requester",
                    "--organisation", "B86001", "--password-stdin", stdin="a long enough password\n")
    assert code == 0 and "for B86001" in out.out
    user = authenticate(session=session, username="drada", password="a long enough password")
    org = session.exec(select(Organisation)).one()
    assert user.role == "requester" and user.organisation_id == org.id
    [added] = session.exec(select(StaffAudit).where(StaffAudit.action == "staff_add")).all()
    assert added.detail == 'drada: name "drada"; role "requester"; site (none); organisation "B86001"'
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-staff", "nobody", "--role", "requester",
                    "--password-stdin", stdin="a long enough password\n")
    assert code == 2 and "ODS code" in out.err
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-staff", "lost", "--role", "requester",
                    "--organisation", "Y99999", "--password-stdin", stdin="a long enough password\n")
    assert code == 2 and "Y99999" in out.err
    assert len(session.exec(select(StaffAudit).where(StaffAudit.action == "staff_add")).all()) == 1  # refusals: none
