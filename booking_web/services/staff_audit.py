"""The staff audit log: who did what to which patient's booking, and when; and every change
staff make to how the service is set up (sites, clinics, the catalogue, organisations, keys...),
with what it was before and after."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from shared.models import Appointment, LabRequest, Patient, StaffAudit

_INSERT_AUDIT = insert(StaffAudit)


@dataclass(frozen=True)
class Actor:
    """The member of staff doing something (from the signed-in session)."""

    user_id: int | None
    username: str
    display_name: str


def operator(command: str) -> Actor:
    """Whoever ran a `phlebo` command on the server (their login name there), as the audit log
    records them: set-up done at the command line is audited as the web pages' is."""
    try:
        login = getpass.getuser()
    except (OSError, KeyError):  # no login name (a container run under a bare uid)
        login = "unknown user"
    return Actor(None, f"{login} (phlebo {command})"[:60], login)


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    now: dt.datetime,
    appointment_id: int | None = None,
    patient_id: int | None = None,
    detail: str = "",
    lab_request_id: int | None = None,
) -> None:
    """Add an audit row to the caller's transaction (the caller commits). Inserted at once (a Core
    INSERT, no unit of work to flush): the ids it names are values the caller already has."""
    # Only the ids given are named (the rest default to NULL): a row of set-up names none, so it
    # is written the same on a database of an older revision (tests/integration/test_migrations).
    ids = {"appointment_id": appointment_id, "patient_id": patient_id, "lab_request_id": lab_request_id}
    session.connection().execute(_INSERT_AUDIT, {
        "at": now, "staff_user_id": actor.user_id, "username": actor.username[:60], "action": action[:40],
        "detail": detail[:500], **{k: v for k, v in ids.items() if v is not None}})


def shown(value: object) -> str:
    """A setting's value as the audit log writes it: yes/no, "quoted text" (cut short), or (none)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "(none)"
    if isinstance(value, str):
        return f'"{value if len(value) <= 60 else value[:57] + "..."}"'
    return str(value)


def changes(before: Mapping[str, object], after: Mapping[str, object]) -> str:
    """What changed, field by field: 'name "A" to "B"; takes requests yes to no' ("nothing
    changed" when nothing did). The keys are the fields' names in plain words."""
    said = [f"{field} {shown(before.get(field))} to {shown(value)}"
            for field, value in after.items() if before.get(field) != value]
    return "; ".join(said) or "nothing changed"


def settings_of(values: Mapping[str, object]) -> str:
    """A new thing's settings: 'name "A"; takes requests yes'."""
    return "; ".join(f"{field} {shown(value)}" for field, value in values.items())


def record_view(
    *, session: Session, actor: Actor, now: dt.datetime, what: str, appointment_id: int | None = None,
    patient_id: int | None = None,
) -> None:
    """Record that staff looked at a patient's details (one booking's, or the patient's own when
    no booking is named); commits."""
    record(session, actor=actor, action="view", appointment_id=appointment_id, patient_id=patient_id,
           detail=what, now=now)
    session.commit()


@dataclass(frozen=True)
class AuditRow:
    """One audit entry with the booking reference and the patient's NHS number it concerns."""

    at: dt.datetime
    username: str
    action: str
    reference: str
    detail: str
    nhs_number: str = ""
    request_number: str = ""


def list_audit(*, session: Session, limit: int = 200, action: str | None = None) -> list[AuditRow]:
    """The latest audit entries, newest first."""
    query = (
        select(StaffAudit, Appointment.reference, Patient.nhs_number, LabRequest.request_number)
        .join(Appointment, col(Appointment.id) == StaffAudit.appointment_id, isouter=True)
        .join(Patient, col(Patient.id) == func.coalesce(StaffAudit.patient_id, Appointment.patient_id),
              isouter=True)
        .join(LabRequest, col(LabRequest.id) == StaffAudit.lab_request_id, isouter=True)
        .order_by(col(StaffAudit.at).desc(), col(StaffAudit.id).desc())
        .limit(limit)
    )
    if action:
        query = query.where(StaffAudit.action == action)
    return [
        AuditRow(a.at, a.username, a.action, ref or "", a.detail, nhs or "", number or "")
        for a, ref, nhs, number in session.exec(query)
    ]
