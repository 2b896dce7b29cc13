"""Staff reprints: one label again, marked REPRINT, with who, when and why (audited, capped),
sent to the site's label printer when one is set up (the PDF is always there)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from booking_web.metrics import events
from booking_web.services.print_jobs import (
    PrintState,
    job_rows,
    label_size,
    print_states,
    record_outcomes,
)
from booking_web.services.site_admin import printer_uri
from booking_web.services.specimens import find_specimen, label_data
from booking_web.services.staff_audit import Actor, record
from label_printer import open_printer
from label_printer.errors import LabelDataError, PrinterAddressError
from shared.config import Settings
from shared.errors import NotFound, RuleViolation, ValidationFailed
from shared.models import Appointment, JobSource, LabelOutcome, PrintJob, PrintJobLabel

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
        raise ValidationFailed(
            "Give a reason for the reprint", fields={"reason": "Select why the label is reprinted"}
        )
    if code != "other":
        return REPRINT_REASONS[code]
    if not other.strip():
        raise ValidationFailed(
            "Give a reason for the reprint",
            fields={"reason_other": "Enter why the label is reprinted"},
        )
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
    """A recorded reprint: the job (printed / failed / pending when there is no printer) and a
    message for staff."""

    job: PrintJob
    message: str


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
) -> ReprintResult:
    """Reprint one label marked REPRINT, recording who, when and why (`reason`, a code of
    REPRINT_REASONS; `other` gives the words for "other"), within the cap; then send it to the
    site's printer if one is set up. The PDF of the job is always available (job_pdf). A label
    that may already be on the printer (unknown) is reprinted only once staff say they checked
    the printer and it is not there (`checked_printer`), so no tube gets two labels."""
    specimen = find_specimen(session, specimen_id_text)
    appt = session.get(Appointment, specimen.appointment_id) if specimen else None
    if specimen is None or appt is None or (site_id is not None and appt.site_id != site_id):
        raise NotFound("No such label at this site.")
    assert appt.id is not None and specimen.id is not None
    why = reprint_reason(reason, other)[:300]
    done = staff_reprints(session, specimen.id)
    if done >= settings.reprint_cap:
        raise RuleViolation(
            f"This label has been reprinted {done} times, the most allowed. Ask a supervisor "
            "to check the tube and print a new request.",
            code="reprint_cap",
        )
    if _may_be_on_the_printer(session, appt.id, specimen.id, now=now, settings=settings):
        if not checked_printer:
            raise ValidationFailed(
                "This label may already have printed. Check the printer before reprinting",
                fields={"checked_printer": "Check the printer, then confirm this label is not "
                                           "on it"},
            )
        why = f"{why} (printer checked: the label was not there)"[:300]
    job = PrintJob(
        appointment_id=appt.id,
        site_id=appt.site_id,
        source=JobSource.STAFF,  # type: ignore[arg-type]
        reason=why,
        requested_by=actor.username,
        created_at=now,
    )
    session.add(job)
    session.flush()
    session.add(PrintJobLabel(job_id=job.id, specimen_pk=specimen.id, position=1, reprint=True))  # type: ignore[arg-type]
    record(
        session,
        actor=actor,
        action="reprint",
        appointment_id=appt.id,
        now=now,
        detail=f"{specimen.specimen_id} ({done + 1} of {settings.reprint_cap}): {why}",
    )
    session.commit()
    events.label_reprinted()
    return ReprintResult(job, _send_to_printer(session, job, now, settings))


def _may_be_on_the_printer(session: Session, appointment_id: int, specimen_pk: int, *,
                           now: dt.datetime, settings: Settings) -> bool:
    """True when the label's state is unknown: sent and never confirmed, or its kiosk job
    unreported past PHLEBO_PRINT_REPORT_TIMEOUT_SECONDS."""
    timeout = dt.timedelta(seconds=settings.print_report_timeout_seconds)
    states = print_states(session, appointment_id=appointment_id, now=now, report_timeout=timeout)
    return states.get(specimen_pk) == PrintState.UNKNOWN


def _send_to_printer(session: Session, job: PrintJob, now: dt.datetime,
                     settings: Settings) -> str:
    uri = printer_uri(session=session, site_id=job.site_id)
    if not uri:
        job.detail = "No label printer is set up for this site: print the PDF."
        session.commit()
        return job.detail
    labels = [label_data(session, s, reprint=True) for _row, s in job_rows(session, job.id)]  # type: ignore[arg-type]
    try:
        outcome = open_printer(uri, size=label_size(settings)).print_labels(labels)
        states = {r.label.specimen_id: r.state for r in outcome.results}
        printer_status, detail = outcome.status.state, outcome.detail
    except (PrinterAddressError, LabelDataError, OSError) as exc:
        states, printer_status, detail = {}, "unknown", f"Could not print: {exc}"
    printed, failed = record_outcomes(
        session, job, states, printer_status=printer_status, detail=detail, now=now,
        missing=LabelOutcome.NOT_SENT,
    )
    session.commit()
    events.labels_reported(source="staff", printed=printed, failed=failed)
    return detail
