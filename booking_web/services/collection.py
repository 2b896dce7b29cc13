"""What happened to each tube at the chair: collected (when, by whom) or not taken (why). The
outcomes are recorded in the collection's transaction, so the requester sees them at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, select

from booking_web.services.staff_audit import Actor
from shared.errors import ValidationFailed, problem
from shared.models import Appointment, NotTakenReason, Specimen, TubeOutcome, TubeResult

COLLECTED = TubeResult.COLLECTED.value
# The choices offered for each tube, as form values: 'collected' or 'not_taken:<reason>'.
CHOICES = (COLLECTED, *(f"{TubeResult.NOT_TAKEN.value}:{r.value}" for r in NotTakenReason))


@dataclass(frozen=True)
class TubeChoice:
    """What staff said happened to one tube."""

    result: str
    reason: str = ""


def parse_choice(value: object) -> TubeChoice | None:
    """A form value ('collected' or 'not_taken:declined', ...) as a choice; None when it is none."""
    if value not in CHOICES:
        return None
    assert isinstance(value, str)
    result, _, reason = value.partition(":")
    return TubeChoice(result, reason)


def request_tubes(session: Session, appointment_id: int) -> list[Specimen]:
    """The booking's tubes that carry tests (identity labels have none), in label order."""
    return list(session.exec(
        select(Specimen).where(Specimen.appointment_id == appointment_id, Specimen.tests != "")
        .order_by(col(Specimen.position))
    ))


def record_tube_outcomes(
    session: Session,
    *,
    appointment: Appointment,
    choices: Mapping[str, TubeChoice] | None,
    actor: Actor,
    now: dt.datetime,
) -> str:
    """Record an outcome for every tube of the booking (caller's transaction). `choices` maps
    specimen ids to what happened; None means every tube was collected. ValidationFailed names
    each tube with no answer. Returns a summary for the request's history."""
    assert appointment.id is not None
    tubes = request_tubes(session, appointment.id)
    if choices is not None:
        missing = {f"tube-{t.specimen_id}": problem("tube_unanswered", container=t.container, tests=t.tests)
                   for t in tubes if t.specimen_id not in choices}
        if missing:
            raise ValidationFailed("tubes_unanswered", fields=missing)
    taken, not_taken = 0, []
    for tube in tubes:
        choice = (choices or {}).get(tube.specimen_id or "", TubeChoice(COLLECTED))
        assert tube.id is not None
        session.merge(TubeOutcome(specimen_pk=tube.id, appointment_id=appointment.id, result=choice.result,
                                  reason=choice.reason, at=now, by_user_id=actor.user_id,
                                  by_name=actor.display_name[:100]))
        if choice.result == COLLECTED:
            taken += 1
        else:
            not_taken.append(f"{tube.container} ({choice.reason.replace('_', ' ')})")
    if not tubes:
        return ""
    summary = f"{taken} of {len(tubes)} tubes collected"
    return summary + (f"; not taken: {', '.join(not_taken)}" if not_taken else "")
