"""An organisation's code map: the test codes its order-comms system sends (HL7 OBR-4, FHIR
ServiceRequest.code) and the catalogue test each means. submit_request looks a code up here
first, then in the catalogue; admins keep the map."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from booking_web.services.staff_audit import Actor, record
from shared.errors import NotFound, Problem, ValidationFailed, problem
from shared.models import LabTest, Organisation, OrganisationTestCode

EXTERNAL_CODE_MAX = 40


@dataclass(frozen=True)
class CodeRow:
    """One line of the map, with the catalogue test's name."""

    external_code: str
    test_code: str
    test_name: str


def list_codes(*, session: Session, organisation_id: int) -> list[CodeRow]:
    """The organisation's map, by external code."""
    rows = session.exec(
        select(OrganisationTestCode, LabTest.name)
        .join(LabTest, col(LabTest.code) == col(OrganisationTestCode.test_code))
        .where(OrganisationTestCode.organisation_id == organisation_id)
        .order_by(col(OrganisationTestCode.external_code))
    ).all()
    return [CodeRow(row.external_code, row.test_code, name) for row, name in rows]


def clean_external_code(raw: object) -> tuple[str, Problem | None]:
    """An external code as stored (trimmed, capitals: the lookup is by capitals), or a problem."""
    text = raw.strip().upper() if isinstance(raw, str) else ""
    if not text:
        return "", problem("external_code_missing")
    if len(text) > EXTERNAL_CODE_MAX or not text.isprintable():
        return text, problem("external_code_invalid", longest=EXTERNAL_CODE_MAX)
    return text, None


def _ods_code(session: Session, organisation_id: int) -> str:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound("organisation_not_found")
    return org.ods_code


def set_code(*, session: Session, organisation_id: int, external_code: object, test_code: object, actor: Actor,
             now: dt.datetime) -> CodeRow:
    """Map an external code to a catalogue test (a code already mapped is changed); audited, with
    what it meant before; commits. ValidationFailed names each bad field and changes nothing."""
    ods_code = _ods_code(session, organisation_id)
    errors: dict[str, Problem] = {}
    code, wrong = clean_external_code(external_code)
    if wrong:
        errors["external_code"] = wrong
    test = session.get(LabTest, test_code) if isinstance(test_code, str) and test_code else None
    if test is None:
        errors["test_code"] = problem("code_test_choose")
    if errors:
        raise ValidationFailed("code_map_invalid", fields=errors)
    assert test is not None
    row = session.get(OrganisationTestCode, (organisation_id, code))
    was = row.test_code if row is not None else None
    if row is None:
        row = OrganisationTestCode(organisation_id=organisation_id, external_code=code, test_code=test.code)
    row.test_code = test.code
    session.add(row)
    then = "new" if was is None else "unchanged" if was == test.code else f"was {was}"
    record(session, actor=actor, action="code_map_set", now=now,
           detail=f"{ods_code}: code {code} means {test.name} ({test.code}); {then}")
    try:
        session.commit()
    except IntegrityError:  # the same code added at the same moment: the other one stands
        session.rollback()
        raise ValidationFailed("code_map_invalid",
                               fields={"external_code": problem("external_code_added", code=code)}) from None
    return CodeRow(code, test.code, test.name)


def remove_code(*, session: Session, organisation_id: int, external_code: str, actor: Actor,
                now: dt.datetime) -> None:
    """Take a code out of the map; audited, with what it meant; commits. NotFound when it is not
    there."""
    row = session.get(OrganisationTestCode, (organisation_id, external_code))
    if row is None:
        raise NotFound("code_not_in_map")
    record(session, actor=actor, action="code_map_remove", now=now,
           detail=f"{_ods_code(session, organisation_id)}: code {row.external_code} removed (it meant {row.test_code})")
    session.delete(row)
    session.commit()
