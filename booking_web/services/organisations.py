"""Organisations that request tests (GP practices, clinics), known by their ODS code; admins
manage them, and each requester account belongs to one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from shared.errors import NotFound, ValidationFailed
from shared.models import Organisation
from shared.request_rules import clean_ods_code


def organisation_by_code(*, session: Session, ods_code: object) -> Organisation | None:
    """The organisation with this ODS code (any case), or None."""
    code, problem = clean_ods_code(ods_code)
    if problem:
        return None
    return session.exec(select(Organisation).where(Organisation.ods_code == code)).first()


def get_organisation(*, session: Session, organisation_id: int) -> Organisation:
    """One organisation, or NotFound."""
    row = session.get(Organisation, organisation_id)
    if row is None:
        raise NotFound("That organisation does not exist.")
    return row


def list_organisations(*, session: Session) -> list[Organisation]:
    """Every organisation, by name."""
    return list(session.exec(select(Organisation).order_by(col(Organisation.name), col(Organisation.id))))


def _clean(name: object, address: object) -> tuple[str, str, dict[str, str]]:
    errors: dict[str, str] = {}
    name_text = " ".join(name.split()) if isinstance(name, str) else ""
    address_text = " ".join(address.split()) if isinstance(address, str) else ""
    if not name_text or len(name_text) > 120 or not name_text.isprintable():
        errors["name"] = "Enter the organisation's name (up to 120 characters)"
    if len(address_text) > 300 or not address_text.isprintable():
        errors["address"] = "Enter the address in up to 300 characters"
    return name_text, address_text, errors


def create_organisation(
    *, session: Session, ods_code: object, name: object, address: object = "", now: dt.datetime
) -> Organisation:
    """Add an organisation; commits. ValidationFailed names each bad field (a taken code too)."""
    code, problem = clean_ods_code(ods_code)
    name_text, address_text, errors = _clean(name, address)
    if problem:
        errors = {"ods_code": problem, **errors}
    elif organisation_by_code(session=session, ods_code=code) is not None:
        errors = {"ods_code": f"An organisation with ODS code {code} already exists", **errors}
    if errors:
        raise ValidationFailed("There is a problem with the organisation", fields=errors)
    row = Organisation(ods_code=code, name=name_text, address=address_text, created_at=now)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # added by someone else a moment ago
        session.rollback()
        raise ValidationFailed(
            "There is a problem with the organisation",
            fields={"ods_code": f"An organisation with ODS code {code} already exists"},
        ) from None
    return row


def update_organisation(
    *, session: Session, organisation_id: int, name: object, address: object, active: bool
) -> Organisation:
    """Change an organisation's name, address or whether it may request; commits. The ODS code
    never changes (requests and messages from other systems are keyed by it)."""
    row = get_organisation(session=session, organisation_id=organisation_id)
    name_text, address_text, errors = _clean(name, address)
    if errors:
        raise ValidationFailed("There is a problem with the organisation", fields=errors)
    row.name, row.address, row.active = name_text, address_text, active
    session.add(row)
    session.commit()
    return row
