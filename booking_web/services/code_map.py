"""An organisation's code map: the test codes its order-comms system sends (HL7 OBR-4, FHIR
ServiceRequest.code) and the catalogue test each means. submit_request looks a code up here
first, then in the catalogue; admins keep the map."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from shared.errors import NotFound, Problem, ValidationFailed, problem
from shared.models import LabTest, OrganisationTestCode

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


def set_code(*, session: Session, organisation_id: int, external_code: object, test_code: object) -> CodeRow:
    """Map an external code to a catalogue test (a code already mapped is changed); commits."""
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
    if row is None:
        row = OrganisationTestCode(organisation_id=organisation_id, external_code=code, test_code=test.code)
    row.test_code = test.code
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # the same code added at the same moment: the other one stands
        session.rollback()
        raise ValidationFailed("code_map_invalid",
                               fields={"external_code": problem("external_code_added", code=code)}) from None
    return CodeRow(code, test.code, test.name)


def remove_code(*, session: Session, organisation_id: int, external_code: str) -> None:
    """Take a code out of the map; commits. NotFound when it is not there."""
    row = session.get(OrganisationTestCode, (organisation_id, external_code))
    if row is None:
        raise NotFound("code_not_in_map")
    session.delete(row)
    session.commit()
