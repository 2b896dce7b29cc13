"""Print jobs: the kiosk's job at check-in, what a kiosk still has to print, what its printer
reported, the outcome of each label, and a staff job's labels as a PDF."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, col, select

from booking_web.metrics import events
from booking_web.services.idempotency import Once, remember_answer
from booking_web.services.specimens import add_specimens, hand_label_tests, label_data, tubes_for
from label_printer import LabelData, LabelSize
from shared.config import Settings
from shared.errors import NotFound, Problem, ValidationFailed, problem
from shared.models import (
    Appointment,
    JobSource,
    JobStatus,
    LabelOutcome,
    PrintJob,
    PrintJobLabel,
    Specimen,
)

OUTCOMES = {LabelOutcome.CONFIRMED, LabelOutcome.UNCONFIRMED, LabelOutcome.NOT_SENT}
PRINTER_STATES = {"ok", "fault", "unknown"}


@dataclass(frozen=True)
class KioskLabels:
    """A check-in's print job, the labels the kiosk should (still) print, and the tests to
    hand-label at the chair."""

    job: PrintJob
    labels: list[LabelData]
    hand_label: tuple[str, ...]


def create_kiosk_job(
    session: Session,
    *,
    appt: Appointment,
    api_key_id: int | None,
    now: dt.datetime,
    settings: Settings,
) -> KioskLabels:
    """Specimens and a pending kiosk print job for a check-in (the caller commits)."""
    job, labels, hand = _first_labels(session, appt=appt, source=JobSource.KIOSK, requested_by="kiosk",
                                      api_key_id=api_key_id, now=now, settings=settings)
    return KioskLabels(job, labels, hand)


def create_desk_job(
    session: Session, *, appt: Appointment, requested_by: str, printer: str, now: dt.datetime,
    settings: Settings,
) -> PrintJob:
    """Specimens and a print job for a patient staff checked in at the desk (a walk-in), queued
    for the print worker to send to the site's label printer at once, as the kiosk prints at a
    check-in (the caller commits). With no printer (`printer` '') nothing is sent: the job is
    failed, each label not sent, so the today page asks staff to reprint (or print the PDF)."""
    job, _labels, _hand = _first_labels(session, appt=appt, source=JobSource.DESK,
                                        requested_by=requested_by[:100], api_key_id=None, now=now,
                                        settings=settings)
    if job.status == JobStatus.PENDING:
        if printer:
            job.next_try_at = now  # the print worker's from now
        else:
            record_outcomes(session, job, {}, printer_status="unknown", detail=NO_SITE_PRINTER,
                            now=now, missing=LabelOutcome.NOT_SENT)
    session.add(job)
    return job


NO_SITE_PRINTER = "No label printer is set up for this site"


def _first_labels(
    session: Session, *, appt: Appointment, source: JobSource, requested_by: str,
    api_key_id: int | None, now: dt.datetime, settings: Settings,
) -> tuple[PrintJob, list[LabelData], tuple[str, ...]]:
    """A check-in's specimens, in order of draw, and the job that prints their first labels."""
    assert appt.id is not None
    tubes, hand = tubes_for(session, appt, settings=settings)
    job = PrintJob(
        appointment_id=appt.id,
        site_id=appt.site_id,
        source=source,  # type: ignore[arg-type]
        status=JobStatus.PENDING if tubes else JobStatus.PRINTED,
        requested_by=requested_by,
        api_key_id=api_key_id,
        created_at=now,
    )
    session.add(job)
    session.flush()
    specimens = add_specimens(session, appt, tubes, now=now, serial_range=settings.specimen_range)
    for specimen in specimens:
        session.add(
            PrintJobLabel(job_id=job.id, specimen_pk=specimen.id, position=specimen.position)  # type: ignore[arg-type]
        )
    labels = [label_data(session, s) for s in specimens]
    return job, labels, hand


def kiosk_labels(session: Session, *, job: PrintJob, appt: Appointment) -> KioskLabels:
    """A check-in's job as a retry of it sees it: the labels still to print (marked REPRINT when
    one may already be on paper; the caller commits those marks) and the hand-label tests."""
    return KioskLabels(job, outstanding_labels(session, job), hand_label_tests(session, appt))


def job_rows(session: Session, job_id: int) -> list[tuple[PrintJobLabel, Specimen]]:
    """A job's labels with their specimens, in print order."""
    return list(
        session.exec(
            select(PrintJobLabel, Specimen)
            .join(Specimen, col(Specimen.id) == PrintJobLabel.specimen_pk)
            .where(PrintJobLabel.job_id == job_id)
            .order_by(col(PrintJobLabel.position))
        )
    )


def outstanding_labels(session: Session, job: PrintJob) -> list[LabelData]:
    """The labels a kiosk should (still) print for a job: none once it is printed; otherwise every
    label not confirmed, and one that may already have printed (unconfirmed) says REPRINT.
    Marks those as reprints (the caller commits)."""
    if job.status == JobStatus.PRINTED:
        return []
    labels = []
    for row, specimen in job_rows(session, job.id):  # type: ignore[arg-type]
        if row.outcome == LabelOutcome.CONFIRMED:
            continue
        if row.outcome == LabelOutcome.UNCONFIRMED:
            row.reprint = True
        labels.append(label_data(session, specimen, reprint=row.reprint))
    return labels


def job_status_of(outcomes: Sequence[str]) -> JobStatus:
    """printed when every label is confirmed, failed when none is, partial otherwise."""
    confirmed = sum(o == LabelOutcome.CONFIRMED for o in outcomes)
    if confirmed == len(outcomes):
        return JobStatus.PRINTED
    return JobStatus.FAILED if confirmed == 0 else JobStatus.PARTIAL


def record_outcomes(
    session: Session,
    job: PrintJob,
    outcomes: Mapping[str, str],
    *,
    printer_status: str,
    detail: str,
    now: dt.datetime,
    missing: str | None = None,
) -> tuple[int, int]:
    """Record what a printer did with a job's labels (by specimen id) and the job's status. A
    label once confirmed stays confirmed; a label not named keeps its outcome, or gets `missing`.
    The caller commits. Returns how many labels this report confirmed and how many it did not
    (for the metrics, counted once committed)."""
    rows = job_rows(session, job.id)  # type: ignore[arg-type]
    printed = failed = 0
    for row, specimen in rows:
        outcome = outcomes.get(specimen.specimen_id or "", missing)
        if outcome is None:
            continue
        row.attempts += 1
        if row.outcome != LabelOutcome.CONFIRMED:
            row.outcome = outcome
            printed += outcome == LabelOutcome.CONFIRMED
            failed += outcome != LabelOutcome.CONFIRMED
        session.add(row)
    job.status = job_status_of([r.outcome for r, _s in rows])
    job.printer_status, job.detail, job.reported_at = printer_status, detail[:500], now
    session.add(job)
    return printed, failed


@dataclass(frozen=True)
class LabelReport:
    """What the kiosk says happened to one label (values not yet checked)."""

    specimen_id: str
    outcome: str


def report_print_result(
    *,
    session: Session,
    job_id: int,
    site_id: int,
    results: Sequence[LabelReport],
    printer_status: str,
    detail: str,
    now: dt.datetime,
    once: Once | None = None,
) -> PrintJob:
    """Record what the kiosk's printer did with a job's labels; commits. A label once confirmed
    stays confirmed, so a later report of a retry only fills the gaps. Another site's job is
    NotFound; a label not of this job or an unknown outcome or printer state is refused whole.
    With an idempotency key (`once`) the answer is stored with the outcomes."""
    job = session.get(PrintJob, job_id)
    if job is None or job.site_id != site_id or job.source != JobSource.KIOSK:
        raise NotFound("print_job_not_found")
    known = {s.specimen_id for _row, s in job_rows(session, job_id)}
    fields: dict[str, Problem] = {}
    for i, item in enumerate(results):
        if item.specimen_id not in known:
            fields[f"results[{i}].specimen_id"] = problem("label_not_of_job")
        elif item.outcome not in OUTCOMES:
            fields[f"results[{i}].outcome"] = problem("outcome_invalid")
    if printer_status not in PRINTER_STATES:
        fields["printer_status"] = problem("printer_status_invalid")
    if fields:
        raise ValidationFailed("print_result_invalid", fields=fields)
    outcomes = {item.specimen_id: item.outcome for item in results}
    printed, failed = record_outcomes(session, job, outcomes, printer_status=printer_status,
                                      detail=detail, now=now)
    remember_answer(session, once, job, now)
    session.commit()
    events.labels_reported(source="kiosk", printed=printed, failed=failed)
    return job


class PrintState(StrEnum):
    """Where a specimen's label stands, across the kiosk's job and any staff reprints."""

    PRINTED = "printed"  # a printer confirmed it (the kiosk's, or a staff reprint)
    NOT_PRINTED = "not_printed"  # never sent to a printer
    UNKNOWN = "unknown"  # sent but not confirmed, or the kiosk never reported: it may be there
    WAITING = "waiting"  # the kiosk's job is printing (within its report time)


def report_overdue(job: PrintJob, *, now: dt.datetime, report_timeout: dt.timedelta) -> bool:
    """True for a kiosk job still pending (no report) after `report_timeout`."""
    created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=dt.UTC)
    return job.status == JobStatus.PENDING and created + report_timeout <= now


def print_states(
    session: Session, *, appointment_id: int, now: dt.datetime, report_timeout: dt.timedelta
) -> dict[int, PrintState]:
    """Each of a booking's specimens (by primary key, in print order) and where its label stands.
    Once any
    printer confirmed a label it is printed; one sent and not confirmed, or in a kiosk job with
    no report after `report_timeout`, is unknown; one never sent is not printed. A staff job
    with no printer (its PDF) tells nothing either way."""
    rows = session.exec(
        select(PrintJobLabel, PrintJob)
        .join(PrintJob, col(PrintJob.id) == PrintJobLabel.job_id)
        .join(Specimen, col(Specimen.id) == PrintJobLabel.specimen_pk)
        .where(Specimen.appointment_id == appointment_id)
        .order_by(col(Specimen.position), col(PrintJob.id))
    )
    seen: dict[int, set[PrintState]] = {}  # in print order
    for row, job in rows:
        if row.outcome == LabelOutcome.CONFIRMED:
            state = PrintState.PRINTED
        elif row.outcome == LabelOutcome.UNCONFIRMED:
            state = PrintState.UNKNOWN
        elif row.outcome == LabelOutcome.NOT_SENT:
            state = PrintState.NOT_PRINTED
        elif job.source == JobSource.KIOSK:
            overdue = report_overdue(job, now=now, report_timeout=report_timeout)
            state = PrintState.UNKNOWN if overdue else PrintState.WAITING
        else:
            continue
        seen.setdefault(row.specimen_pk, set()).add(state)
    order = (PrintState.PRINTED, PrintState.UNKNOWN, PrintState.WAITING, PrintState.NOT_PRINTED)
    return {pk: next(s for s in order if s in states) for pk, states in seen.items()}


def label_size(settings: Settings) -> LabelSize:
    """The label stock the site printers hold (PHLEBO_LABEL_WIDTH_MM / _HEIGHT_MM)."""
    return LabelSize(settings.label_width_mm, settings.label_height_mm)


def job_pdf(*, session: Session, job_id: int, site_id: int | None, settings: Settings) -> bytes:
    """The labels of a staff reprint job as a PDF sheet, each marked REPRINT. Kiosk jobs have no
    PDF: a copy of a label is only ever made through an audited, capped reprint."""
    job = session.get(PrintJob, job_id)
    if (
        job is None
        or job.source != JobSource.STAFF
        or (site_id is not None and job.site_id != site_id)
    ):
        raise NotFound("print_job_not_found")
    labels = [label_data(session, s, reprint=row.reprint) for row, s in job_rows(session, job_id)]
    if not labels:
        raise NotFound("print_job_empty")
    from label_printer.pdf import sheet_pdf  # here: ReportLab is loaded for a PDF, not per worker

    return sheet_pdf(labels, size=label_size(settings))
