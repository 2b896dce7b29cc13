"""The scheduler's work on open test requests: invite once the window comes inside the booking
horizon, remind once half-way through the window, and at the window's end mark the request
not taken up, exactly once, and tell the patient. A request booked, collected or cancelled is
never reminded or lapsed (conditional UPDATEs on its status)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from booking_web.notify.request_messages import queue_lapsed, queue_reminder
from booking_web.services.lab_requests import invite_if_due
from booking_web.services.request_status import move_request
from shared.config import Settings
from shared.models import OPEN_REQUEST_STATUSES, LabRequest, RequestStatus
from shared.request_rules import reminder_due_at
from shared.timeutil import london_today

_OPEN = [s.value for s in OPEN_REQUEST_STATUSES]


@dataclass
class FollowUpReport:
    """What one run did."""

    invited: int = 0
    reminded: int = 0
    lapsed: int = 0


def follow_up_requests(*, session: Session, settings: Settings, now: dt.datetime) -> FollowUpReport:
    """One pass over the open requests with a window; commits after each request, so a fault
    part-way loses nothing already done. Running it again at once does nothing more."""
    report = FollowUpReport()
    today = london_today(now)
    # The window ends at midnight London time after its last day: before today means ended.
    ended = session.exec(
        select(LabRequest.id).where(col(LabRequest.status).in_(_OPEN), col(LabRequest.latest) < today)
        .order_by(col(LabRequest.id))
    ).all()
    for request_id in ended:
        report.lapsed += _lapse(session, request_id, now)  # type: ignore[arg-type]
    waiting = session.exec(
        select(LabRequest).where(LabRequest.status == RequestStatus.WAITING, col(LabRequest.invited_at).is_(None),
                                 col(LabRequest.patient_id).is_not(None), col(LabRequest.latest) >= today)
        .order_by(col(LabRequest.id))
    ).all()
    for req in waiting:
        report.invited += invite_if_due(session, req, settings=settings, now=now)
        session.commit()
    unreminded = session.exec(
        select(LabRequest).where(col(LabRequest.status).in_(_OPEN), col(LabRequest.invited_at).is_not(None),
                                 col(LabRequest.reminded_at).is_(None), col(LabRequest.latest) >= today)
        .order_by(col(LabRequest.id))
    ).all()
    for req in unreminded:
        report.reminded += _remind(session, req, settings, now)
    return report


def _lapse(session: Session, request_id: int, now: dt.datetime) -> int:
    try:
        if not move_request(session, request_id=request_id, to=RequestStatus.NOT_TAKEN_UP,
                            from_statuses=OPEN_REQUEST_STATUSES, now=now, detail="the window ended with no test"):
            session.rollback()
            return 0
        req = session.get(LabRequest, request_id)
        assert req is not None
        queue_lapsed(session, req, now=now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return 1


def _remind(session: Session, req: LabRequest, settings: Settings, now: dt.datetime) -> int:
    assert req.earliest is not None and req.latest is not None and req.invited_at is not None
    if now < reminder_due_at(earliest=req.earliest, latest=req.latest, invited_at=req.invited_at):
        return 0
    try:
        # Claim the one reminder: only the run that sets reminded_at queues it.
        claimed = session.exec(  # type: ignore[call-overload]
            update(LabRequest)
            .where(col(LabRequest.id) == req.id, col(LabRequest.reminded_at).is_(None),
                   col(LabRequest.status).in_(_OPEN))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            session.rollback()
            return 0
        queue_reminder(session, req, settings=settings, now=now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return 1
