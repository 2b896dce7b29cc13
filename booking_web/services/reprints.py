"""Staff reprints: one label again, marked REPRINT, with who, when and why (audited, capped),
queued like labels at the chair: `phlebo print-worker` sends it to the chair's printer where the
patient was identified at a chair, else to the site's label printer, so no web request waits for
a printer; the page shows where each reprint stands. The PDF is always there."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from booking_web.metrics import events
from booking_web.services.chairs import prints_at_chair
from booking_web.services.print_jobs import PrintState, print_states
from booking_web.services.print_queue import MAX_AGE
from booking_web.services.site_admin import printer_uri
from booking_web.services.specimens import find_specimen
from booking_web.services.staff_audit import Actor, record
from shared.config import Settings
from shared.db import transaction
from shared.errors import NotFound, RuleViolation, ValidationFailed, problem
from shared.models import (
    Appointment,
    Chair,
    ChairIdentification,
    JobSource,
    JobStatus,
    LabelOutcome,
    PrintJob,
    PrintJobLabel,
    Specimen,
)

# Why a label is reprinted: the few reasons that cover nearly every reprint, then "other" with
# words (the audit log and the supervisor's report read these).
REPRINT_REASONS: dict[str, str] = {
    "damaged": "Damaged, creased or smudged",
    "unreadable": "Barcode will not scan",
    "not_printed": "Did not print, or printed blank",
    "lost": "Lost or dropped",
    "other": "Other",
}


def reprint_reason(code: str, other: str) -> str:
    """The reason as recorded, e.g. 'Barcode will not scan' or 'Other: wrong tube size';
    ValidationFailed when no reason is chosen, or "other" has no words."""
    if code not in REPRINT_REASONS:
        raise ValidationFailed("reprint_reason_missing", fields={"reason": problem("reprint_reason_select")})
    if code != "other":
        return REPRINT_REASONS[code]
    if not other.strip():
        raise ValidationFailed("reprint_reason_missing", fields={"reason_other": problem("reprint_reason_enter")})
    return f"Other: {other.strip()}"


def staff_reprints(session: Session, specimen_pk: int) -> int:
    """How many times staff have reprinted a specimen."""
    return int(
        session.exec(
            select(func.count())
            .select_from(PrintJobLabel)
            .join(PrintJob, col(PrintJob.id) == PrintJobLabel.job_id)
            .where(PrintJobLabel.specimen_pk == specimen_pk, PrintJob.source == JobSource.STAFF)
        ).one()
    )


@dataclass(frozen=True)
class ReprintResult:
    """A reprint asked for: its job (queued for the print worker, or its PDF only when no
    printer is set up), where it prints ("" for none), and `again` when it was the job an
    earlier press of the same button made (a double submit queues one job)."""

    job: PrintJob
    printer: str
    again: bool = False


def reprint_specimen(
    *,
    session: Session,
    specimen_id_text: str,
    site_id: int | None,
    actor: Actor,
    reason: str,
    now: dt.datetime,
    settings: Settings,
    other: str = "",
    checked_printer: bool = False,
    seen: int | None = None,
) -> ReprintResult:
    """Queue one label marked REPRINT, recording who, when and why (`reason`, a code of
    REPRINT_REASONS; `other` gives the words for "other"), within the cap; commits. The print
    worker sends it (the chair's printer where the patient was identified at a chair, else the
    site's); the PDF of the job is always available (job_pdf). Exactly once: `seen` is how many
    reprints the page showed, so a second press of the same form (or an older tab) gets the job
    the first made, as does any press while an earlier reprint of the label still waits for its
    printer. A label that may already be on the printer (unknown) is reprinted only once staff
    say they checked the printer and it is not there (`checked_printer`)."""
    specimen = find_specimen(session, specimen_id_text)
    appt = session.get(Appointment, specimen.appointment_id) if specimen else None
    if specimen is None or appt is None or (site_id is not None and appt.site_id != site_id):
        raise NotFound("label_not_found")
    assert appt.id is not None and specimen.id is not None
    why = reprint_reason(reason, other)[:300]
    with transaction(session):  # rolled back on a refusal: the lock ends either way
        _lock_label(session, specimen.id)
        done = staff_reprints(session, specimen.id)
        latest = _latest_reprint(session, specimen.id)
        if latest is not None and ((seen is not None and done > seen) or _waiting(latest, now)):
            return ReprintResult(latest, _where(session, latest), again=True)
        if done >= settings.reprint_cap:
            raise RuleViolation("reprint_cap", done=done)
        if (chair_name := _still_queued(session, specimen.id, now)) is not None:
            if not chair_name:
                raise RuleViolation("label_waiting_site")
            raise RuleViolation("label_waiting", chair_name=chair_name)
        if _may_be_on_the_printer(session, appt.id, specimen.id, now=now, settings=settings):
            if not checked_printer:
                raise ValidationFailed("reprint_check_printer",
                                       fields={"checked_printer": problem("reprint_confirm_not_printed")})
            why = f"{why} (printer checked: the label was not there)"[:300]
        chair, uri = _reprint_printer(session, appt)
        job = PrintJob(
            appointment_id=appt.id,
            site_id=appt.site_id,
            source=JobSource.STAFF,  # type: ignore[arg-type]
            reason=why,
            requested_by=actor.username,
            created_at=now,
            chair_id=chair.id if chair else None,
            next_try_at=now if uri else None,  # the print worker's from now
            detail="" if uri else NO_PRINTER,
        )
        session.add(job)
        session.flush()
        session.add(PrintJobLabel(job_id=job.id, specimen_pk=specimen.id, position=1,  # type: ignore[arg-type]
                                  reprint=True))
        record(
            session,
            actor=actor,
            action="reprint",
            appointment_id=appt.id,
            now=now,
            detail=f"{specimen.specimen_id} ({done + 1} of {settings.reprint_cap}): {why}",
        )
    events.label_reprinted()
    return ReprintResult(job, _where(session, job))


NO_PRINTER = "No label printer is set up for this site: print the PDF."


def _lock_label(session: Session, specimen_pk: int) -> None:
    """Reprints of one label one at a time, so the counts read next are the truth: a write that
    changes nothing takes the row's lock on PostgreSQL and the database's write lock on SQLite
    (its first write starts BEGIN IMMEDIATE), held until the commit or rollback."""
    session.exec(update(Specimen).where(col(Specimen.id) == specimen_pk)  # type: ignore[call-overload]
                 .values(position=Specimen.position))


def _latest_reprint(session: Session, specimen_pk: int) -> PrintJob | None:
    """The newest staff reprint of a label, as committed now."""
    return session.exec(
        select(PrintJob).join(PrintJobLabel, col(PrintJobLabel.job_id) == PrintJob.id)
        .where(PrintJobLabel.specimen_pk == specimen_pk, PrintJob.source == JobSource.STAFF)
        .order_by(col(PrintJob.id).desc()).limit(1)
        .execution_options(populate_existing=True)
    ).first()


def _waiting(job: PrintJob, now: dt.datetime) -> bool:
    """True while the print worker still has the job to send (within the day it tries for)."""
    return (job.next_try_at is not None and job.status != JobStatus.PRINTED
            and _aware(job.created_at) >= now - MAX_AGE)


def _still_queued(session: Session, specimen_pk: int, now: dt.datetime) -> str | None:
    """The chair whose queued job still has this label to print (it prints by itself), '' for the
    site's printer (a walk-in's first labels, queued at the desk), or None when none has."""
    row = session.exec(
        select(PrintJob.id, Chair.name).join(Chair, col(PrintJob.chair_id) == Chair.id, isouter=True)
        .join(PrintJobLabel, col(PrintJobLabel.job_id) == PrintJob.id)
        .where(PrintJobLabel.specimen_pk == specimen_pk,
               col(PrintJob.source).in_((JobSource.CHAIR, JobSource.DESK)),
               col(PrintJob.next_try_at).is_not(None), col(PrintJob.created_at) >= now - MAX_AGE,
               PrintJobLabel.outcome != LabelOutcome.CONFIRMED)
    ).first()
    return None if row is None else (row[1] or "")


def _reprint_printer(session: Session, appt: Appointment) -> tuple[Chair | None, str]:
    """Where a reprint prints: at the chair where the patient was identified (labels at the
    chair), else on the site's label printer; its address, '' when there is none."""
    if prints_at_chair(session, appt.site_id):
        identified = session.get(ChairIdentification, appt.id)
        chair = session.get(Chair, identified.chair_id) if identified else None
        if chair is not None and chair.active:
            return chair, chair.printer_uri
    return None, printer_uri(session=session, site_id=appt.site_id)


def _where(session: Session, job: PrintJob) -> str:
    """The printer a staff job goes to: its chair's name, "site" for the site's label printer,
    or "" when none was set up (its PDF only)."""
    chair = session.get(Chair, job.chair_id) if job.chair_id else None
    if chair is not None:
        return chair.name
    return "site" if job.next_try_at is not None or job.reported_at is not None else ""


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)


def _may_be_on_the_printer(session: Session, appointment_id: int, specimen_pk: int, *,
                           now: dt.datetime, settings: Settings) -> bool:
    """True when the label's state is unknown: sent and never confirmed, or its kiosk job
    unreported past PHLEBO_PRINT_REPORT_TIMEOUT_SECONDS."""
    timeout = dt.timedelta(seconds=settings.print_report_timeout_seconds)
    states = print_states(session, appointment_id=appointment_id, now=now, report_timeout=timeout)
    return states.get(specimen_pk) == PrintState.UNKNOWN


class ReprintState(StrEnum):
    """Where a staff reprint stands, as its page shows it."""

    QUEUED = "queued"  # waiting for the print worker
    PRINTED = "printed"  # the printer confirmed it
    FAULT = "fault"  # the printer did not print it yet (words in `detail`); tried again
    NO_PRINTER = "no_printer"  # no printer set up: its PDF
    NOT_PRINTED = "not_printed"  # the worker gave up at the end of the day: its PDF


@dataclass(frozen=True)
class ReprintView:
    """One staff reprint of a booking's labels, for its page."""

    job_id: int
    specimen_id: str
    container: str
    requested_by: str
    requested_at: dt.datetime
    reason: str
    printer: str  # a chair's name, "site" for the site's label printer, "" for none
    state: ReprintState
    detail: str  # what the printer said, for a fault
    printed_at: dt.datetime | None


def reprint_jobs(*, session: Session, appointment_id: int, site_id: int | None,
                 now: dt.datetime) -> list[ReprintView]:
    """A booking's staff reprints, newest first, each with where it stands (nothing written)."""
    appt = session.get(Appointment, appointment_id)
    if appt is None or (site_id is not None and appt.site_id != site_id):
        raise NotFound("booking_not_at_site")
    rows = session.exec(
        select(PrintJob, PrintJobLabel, Specimen)
        .join(PrintJobLabel, col(PrintJobLabel.job_id) == PrintJob.id)
        .join(Specimen, col(Specimen.id) == PrintJobLabel.specimen_pk)
        .where(PrintJob.appointment_id == appointment_id, PrintJob.source == JobSource.STAFF)
        .order_by(col(PrintJob.id).desc())
        .execution_options(populate_existing=True)
    ).all()
    views = []
    for job, row, specimen in rows:
        if row.outcome == LabelOutcome.CONFIRMED:
            state = ReprintState.PRINTED
        elif _waiting(job, now):
            state = ReprintState.FAULT if job.printer_status else ReprintState.QUEUED
        elif job.next_try_at is None and not job.reported_at:
            state = ReprintState.NO_PRINTER
        else:
            state = ReprintState.NOT_PRINTED
        views.append(ReprintView(
            job.id, specimen.specimen_id or "", specimen.container,  # type: ignore[arg-type]
            job.requested_by, job.created_at, job.reason,
            _where(session, job),
            state, job.detail if state == ReprintState.FAULT else "",
            job.reported_at if state == ReprintState.PRINTED else None))
    return views
