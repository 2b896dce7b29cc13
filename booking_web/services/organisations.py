"""Organisations that request tests (GP practices, clinics), known by their ODS code; admins
manage them, and each requester account belongs to one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from booking_web.services.staff_audit import Actor, changes, record, settings_of
from shared.errors import NotFound, Problem, ValidationFailed, problem
from shared.models import Organisation
from shared.request_rules import clean_ods_code


def organisation_by_code(*, session: Session, ods_code: object) -> Organisation | None:
    """The organisation with this ODS code (any case), or None."""
    code, wrong = clean_ods_code(ods_code)
    if wrong:
        return None
    return session.exec(select(Organisation).where(Organisation.ods_code == code)).first()


def get_organisation(*, session: Session, organisation_id: int) -> Organisation:
    """One organisation, or NotFound."""
    row = session.get(Organisation, organisation_id)
    if row is None:
        raise NotFound("organisation_not_found")
    return row


def list_organisations(*, session: Session) -> list[Organisation]:
    """Every organisation, by name."""
    return list(session.exec(select(Organisation).order_by(col(Organisation.name), col(Organisation.id))))


def _clean(name: object, address: object) -> tuple[str, str, dict[str, Problem]]:
    errors: dict[str, Problem] = {}
    name_text = " ".join(name.split()) if isinstance(name, str) else ""
    address_text = " ".join(address.split()) if isinstance(address, str) else ""
    if not name_text or len(name_text) > 120 or not name_text.isprintable():
        errors["name"] = problem("organisation_name_invalid", longest=120)
    if len(address_text) > 300 or not address_text.isprintable():
        errors["address"] = problem("organisation_address_invalid", longest=300)
    return name_text, address_text, errors


def _settings(row: Organisation) -> dict[str, object]:
    return {"name": row.name, "address": row.address, "may request tests": row.active}


def create_organisation(
    *, session: Session, ods_code: object, name: object, address: object = "", actor: Actor, now: dt.datetime
) -> Organisation:
    """Add an organisation; audited; commits. ValidationFailed names each bad field (a taken code
    too) and changes nothing."""
    code, wrong = clean_ods_code(ods_code)
    name_text, address_text, errors = _clean(name, address)
    if wrong:
        errors = {"ods_code": wrong, **errors}
    elif organisation_by_code(session=session, ods_code=code) is not None:
        errors = {"ods_code": problem("organisation_ods_exists", ods_code=code), **errors}
    if errors:
        raise ValidationFailed("organisation_invalid", fields=errors)
    row = Organisation(ods_code=code, name=name_text, address=address_text, created_at=now)
    session.add(row)
    record(session, actor=actor, action="organisation_add", now=now,
           detail=f"{code}: {settings_of(_settings(row))}")
    try:
        session.commit()
    except IntegrityError:  # added by someone else a moment ago
        session.rollback()
        raise ValidationFailed(
            "organisation_invalid", fields={"ods_code": problem("organisation_ods_exists", ods_code=code)},
        ) from None
    return row


def update_organisation(
    *, session: Session, organisation_id: int, name: object, address: object, active: bool, actor: Actor,
    now: dt.datetime,
) -> Organisation:
    """Change an organisation's name, address or whether it may request; audited (before and
    after); commits. The ODS code never changes (requests and messages from other systems are
    keyed by it)."""
    row = get_organisation(session=session, organisation_id=organisation_id)
    name_text, address_text, errors = _clean(name, address)
    if errors:
        raise ValidationFailed("organisation_invalid", fields=errors)
    before = _settings(row)
    row.name, row.address, row.active = name_text, address_text, active
    session.add(row)
    record(session, actor=actor, action="organisation_change", now=now,
           detail=f"{row.ods_code}: {changes(before, _settings(row))}")
    session.commit()
    return row
