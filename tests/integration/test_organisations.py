"""Organisations that request tests and their requester accounts: the service and the commands
`phlebo create-organisation` and `phlebo create-staff --role requester --organisation`."""

from __future__ import annotations

import pytest
from sqlmodel import select

from booking_web.services.accounts import authenticate
from booking_web.services.organisations import create_organisation, update_organisation
from shared.errors import ValidationFailed
from shared.models import Organisation
from shared.request_rules import clean_ods_code
from tests.conftest import NOW
from tests.integration.test_cli import run


@pytest.mark.parametrize("raw, expected", [("b86001", "B86001"), (" Y0001 ", "Y0001"), ("ABC", "ABC")])
def test_ods_codes_are_3_to_6_letters_and_digits(raw, expected):
    assert clean_ods_code(raw) == (expected, None)


@pytest.mark.parametrize("raw", ["", "AB", "ABCDEFG", "B86-01", "B86 001", "Ｂ86001", None, 86001])
def test_bad_ods_codes_are_refused(raw):
    assert clean_ods_code(raw)[1]


def test_a_taken_code_or_a_bad_name_is_refused_and_nothing_changes(session):
    create_organisation(session=session, ods_code="B86001", name="Park Surgery", now=NOW)
    with pytest.raises(ValidationFailed) as refused:
        create_organisation(session=session, ods_code="b86001", name="", address="x" * 301, now=NOW)
    assert set(refused.value.fields) == {"ods_code", "name", "address"}
    assert len(session.exec(select(Organisation)).all()) == 1


def test_an_organisation_can_be_renamed_and_stopped_but_keeps_its_code(session):
    org = create_organisation(session=session, ods_code="B86001", name="Park Surgery", now=NOW)
    update_organisation(session=session, organisation_id=org.id, name="Park Lane Surgery", address="1 Park Lane",
                        active=False)
    session.expire_all()
    row = session.get(Organisation, org.id)
    assert (row.ods_code, row.name, row.active) == ("B86001", "Park Lane Surgery", False)


def test_the_commands_create_an_organisation_and_its_requester(monkeypatch, capsys, tmp_path, engine, session):
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-organisation", "b86001", "Park Surgery",
                    "--address", "1 Park Lane, Leeds")
    assert code == 0 and "B86001" in out.out
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-organisation", "B86001", "Again")
    assert code == 2 and "already exists" in out.err
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-staff", "drada", "--role", "requester",
                    "--organisation", "B86001", "--password-stdin", stdin="a long enough password\n")
    assert code == 0 and "for B86001" in out.out
    user = authenticate(session=session, username="drada", password="a long enough password")
    org = session.exec(select(Organisation)).one()
    assert user.role == "requester" and user.organisation_id == org.id
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-staff", "nobody", "--role", "requester",
                    "--password-stdin", stdin="a long enough password\n")
    assert code == 2 and "ODS code" in out.err
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-staff", "lost", "--role", "requester",
                    "--organisation", "Y99999", "--password-stdin", stdin="a long enough password\n")
    assert code == 2 and "Y99999" in out.err
