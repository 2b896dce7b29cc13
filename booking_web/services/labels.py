"""Tube labels: specimens and print jobs at check-in, print results from the kiosk, staff
reprints (audited, capped, marked REPRINT) and PDFs. Entry points for printing:
`reprint_specimen` prints to the site's printer; `job_pdf` renders any job as a PDF sheet."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from booking_web.services.catalogue import specs_for
from booking_web.services.lab_requests import find_request, tests_of
from booking_web.services.staff_audit import Actor, record
from label_printer import LabelData, open_printer, sheet_pdf
from label_printer.errors import LabelDataError, PrinterAddressError
from shared.config import Settings
from shared.errors import NotFound, RuleViolation, ValidationFailed
from shared.models import (
    Appointment,
    JobSource,
    JobStatus,
    LabelOutcome,
    LabRequest,
    Patient,
    PrintJob,
    PrintJobLabel,
    Site,
    SitePrinter,
    Specimen,
)
from shared.specimen import specimen_id
from shared.tubes import IDENTITY_CONTAINER, TubePlan, plan_tubes

OUTCOMES = {LabelOutcome.CONFIRMED, LabelOutcome.UNCONFIRMED, LabelOutcome.NOT_SENT}
PRINTER_STATES = {"ok", "fault", "unknown"}


def tube_plan(session: Session, appt: Appointment) -> TubePlan | None:
    """The tubes for the booking's request, or None when it has no usable request. A request
    for another NHS number is never used: the labels would pair one patient with another's tests."""
    req: LabRequest | None = (
        find_request(session=session, request_number=appt.request_number)
        if appt.request_number
        else None
    )
    patient = session.get(Patient, appt.patient_id)
    if req is None or patient is None or patient.nhs_number != req.nhs_number:
        return None
    return plan_tubes(
        specs_for(
            session=session, codes=tests_of(session=session, request_number=req.request_number)
        )
    )


def _add_specimen(
    session: Session,
    appt: Appointment,
    container: str,
    tests: Sequence[str],
    position: int,
    of_total: int,
    now: dt.datetime,
) -> Specimen:
    row = Specimen(
        appointment_id=appt.id,
        container=container,
        tests=" ".join(tests),  # type: ignore[arg-type]
        position=position,
        of_total=of_total,
        created_at=now,
    )
    session.add(row)
    session.flush()  # the database hands out the serial
    row.specimen_id = specimen_id(row.id)  # type: ignore[arg-type]
    return row


def create_checkin_job(
    session: Session,
    *,
    appt: Appointment,
    api_key_id: int | None,
    now: dt.datetime,
    settings: Settings,
) -> tuple[PrintJob, tuple[str, ...]]:
    """Specimens and a pending kiosk print job for a check-in (the caller commits). Returns the job
    and the tests to hand-label at the chair."""
    plan = tube_plan(session, appt)
    if plan is None:
        tubes: list[tuple[str, tuple[str, ...]]] = [(IDENTITY_CONTAINER, ())] * max(
            settings.identity_labels, 0
        )
        hand: tuple[str, ...] = ()
    else:
        tubes = [(t.container, t.tests) for t in plan.tubes]
        hand = plan.hand_label
    job = PrintJob(
        appointment_id=appt.id,
        site_id=appt.site_id,
        source=JobSource.KIOSK,  # type: ignore[arg-type]
        status=JobStatus.PENDING if tubes else JobStatus.PRINTED,
        requested_by="kiosk",
        api_key_id=api_key_id,
        created_at=now,
    )
    session.add(job)
    session.flush()
    for i, (container, tests) in enumerate(tubes, start=1):
        specimen = _add_specimen(session, appt, container, tests, i, len(tubes), now)
        session.add(PrintJobLabel(job_id=job.id, specimen_pk=specimen.id, position=i))  # type: ignore[arg-type]
    return job, hand


def hand_label_tests(session: Session, appt: Appointment) -> tuple[str, ...]:
    """Tests on the booking's request that must be hand-labelled at the chair."""
    plan = tube_plan(session, appt)
    return plan.hand_label if plan else ()


def label_data(session: Session, specimen: Specimen, *, reprint: bool = False) -> LabelData:
    """What the label for a specimen says."""
    appt = session.get(Appointment, specimen.appointment_id)
    assert appt is not None
    patient = session.get(Patient, appt.patient_id)
    site = session.get(Site, appt.site_id)
    assert patient is not None and site is not None and specimen.specimen_id is not None
    return LabelData(
        family_name=patient.family_name,
        given_name=patient.given_name,
        date_of_birth=patient.date_of_birth,
        nhs_number=patient.nhs_number or "",
        specimen_id=specimen.specimen_id,
        container=specimen.container,
        tests=tuple(specimen.tests.split()),
        site_name=site.name,
        # Identity labels belong to no request.
        request_number=appt.request_number if specimen.tests else None,
        reprint=reprint,
        sequence=(specimen.position, specimen.of_total),
    )


def _job_rows(session: Session, job_id: int) -> list[tuple[PrintJobLabel, Specimen]]:
    return list(
        session.exec(
            select(PrintJobLabel, Specimen)
            .join(Specimen, col(Specimen.id) == PrintJobLabel.specimen_pk)
            .where(PrintJobLabel.job_id == job_id)
            .order_by(PrintJobLabel.position)
        )
    )


def outstanding_labels(session: Session, job: PrintJob) -> list[LabelData]:
    """The labels a kiosk should (still) print for a job: none once it is printed; otherwise every
    label not confirmed, and one that may already have printed (unconfirmed) says REPRINT.
    Marks those as reprints (the caller commits)."""
    if job.status == JobStatus.PRINTED:
        return []
    labels = []
    for row, specimen in _job_rows(session, job.id):  # type: ignore[arg-type]
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


def report_print_result(
    *,
    session: Session,
    job_id: int,
    site_id: int,
    results: object,
    printer_status: object,
    detail: object,
    now: dt.datetime,
) -> PrintJob:
    """Record what the kiosk's printer did with a job's labels; commits. A label once confirmed
    stays confirmed, so a later report of a retry only fills the gaps. Another site's job is
    NotFound."""
    job = session.get(PrintJob, job_id)
    if job is None or job.site_id != site_id or job.source != JobSource.KIOSK:
        raise NotFound("No such print job.")
    rows = {s.specimen_id: row for row, s in _job_rows(session, job_id)}
    fields: dict[str, str] = {}
    updates: dict[str, str] = {}
    if not isinstance(results, list):
        fields["results"] = "Give a list of results"
    else:
        for i, item in enumerate(results):
            sid = item.get("specimen_id") if isinstance(item, dict) else None
            outcome = item.get("outcome") if isinstance(item, dict) else None
            if sid not in rows:
                fields[f"results[{i}].specimen_id"] = "Not a label of this job"
            elif outcome not in OUTCOMES:
                fields[f"results[{i}].outcome"] = "Use confirmed, unconfirmed or not_sent"
            else:
                updates[sid] = outcome  # type: ignore[index]
    if printer_status not in PRINTER_STATES:
        fields["printer_status"] = "Use ok, fault or unknown"
    if detail is not None and not isinstance(detail, str):
        fields["detail"] = "Give the detail as text"
    if fields:
        raise ValidationFailed("There is a problem with the print result", fields=fields)
    for sid, outcome in updates.items():
        row = rows[sid]
        row.attempts += 1
        if row.outcome != LabelOutcome.CONFIRMED:
            row.outcome = outcome
        session.add(row)
    job.status = job_status_of([r.outcome for r in rows.values()])
    job.printer_status, job.detail, job.reported_at = str(printer_status), (detail or "")[:500], now  # type: ignore[index]
    session.add(job)
    session.commit()
    return job


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


def site_printer_uri(session: Session, site_id: int) -> str:
    """The label printer address set up for a site, or ''."""
    row = session.get(SitePrinter, site_id)
    return row.uri if row else ""


def reprint_specimen(
    *,
    session: Session,
    specimen_id_text: str,
    site_id: int | None,
    actor: Actor,
    reason: str,
    now: dt.datetime,
    settings: Settings,
) -> ReprintResult:
    """Reprint one label marked REPRINT, recording who, when and why, within the cap; then send it
    to the site's printer if one is set up. The PDF of the job is always available (job_pdf)."""
    specimen = session.exec(
        select(Specimen).where(Specimen.specimen_id == specimen_id_text)
    ).first()
    appt = session.get(Appointment, specimen.appointment_id) if specimen else None
    if specimen is None or appt is None or (site_id is not None and appt.site_id != site_id):
        raise NotFound("No such label at this site.")
    if not reason.strip():
        raise ValidationFailed(
            "Give a reason for the reprint", fields={"reason": "Enter why the label is reprinted"}
        )
    done = staff_reprints(session, specimen.id)  # type: ignore[arg-type]
    if done >= settings.reprint_cap:
        raise RuleViolation(
            f"This label has been reprinted {done} times, the most allowed. Ask a supervisor "
            "to check the tube and print a new request.",
            code="reprint_cap",
        )
    job = PrintJob(
        appointment_id=appt.id,
        site_id=appt.site_id,
        source=JobSource.STAFF,  # type: ignore[arg-type]
        reason=reason.strip()[:300],
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
        detail=f"{specimen.specimen_id} ({done + 1} of {settings.reprint_cap}): {reason.strip()}",
    )
    session.commit()
    return ReprintResult(job, _send_to_printer(session, job, now))


def _send_to_printer(session: Session, job: PrintJob, now: dt.datetime) -> str:
    uri = site_printer_uri(session, job.site_id)
    if not uri:
        job.detail = "No label printer is set up for this site: print the PDF."
        session.commit()
        return job.detail
    labels = [label_data(session, s, reprint=True) for _row, s in _job_rows(session, job.id)]  # type: ignore[arg-type]
    try:
        outcome = open_printer(uri).print_labels(labels)
        states = {r.label.specimen_id: r.state for r in outcome.results}
        printer_status, detail = outcome.status.state, outcome.detail
    except (PrinterAddressError, LabelDataError, OSError) as exc:
        states, printer_status, detail = {}, "unknown", f"Could not print: {exc}"
    rows = _job_rows(session, job.id)  # type: ignore[arg-type]
    for row, specimen in rows:
        row.outcome = states.get(specimen.specimen_id or "", LabelOutcome.NOT_SENT)
        row.attempts += 1
    job.status = job_status_of([r.outcome for r, _s in rows])
    job.printer_status, job.detail, job.reported_at = printer_status, detail[:500], now
    session.commit()
    return detail


def job_pdf(*, session: Session, job_id: int, site_id: int | None) -> bytes:
    """The labels of a staff reprint job as a PDF sheet, each marked REPRINT. Kiosk jobs have no
    PDF: a copy of a label is only ever made through an audited, capped reprint."""
    job = session.get(PrintJob, job_id)
    if (
        job is None
        or job.source != JobSource.STAFF
        or (site_id is not None and job.site_id != site_id)
    ):
        raise NotFound("No such print job.")
    labels = [label_data(session, s, reprint=row.reprint) for row, s in _job_rows(session, job_id)]
    if not labels:
        raise NotFound("That print job has no labels.")
    return sheet_pdf(labels)


def label_json(label: LabelData) -> dict[str, object]:
    """A label as the kiosk API sends it."""
    data = dataclasses.asdict(label)
    data["date_of_birth"] = label.date_of_birth.isoformat()
    data["tests"] = list(label.tests)
    data["sequence"] = list(label.sequence) if label.sequence else None
    return data
