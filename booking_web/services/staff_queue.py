"""The phlebotomist's day at a site: the queue, calling the next patient, label status with
alerts, attaching requests, collecting, cancelling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy import case, func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from booking_web.services.booking import cancel_appointment
from booking_web.services.chairs import transfusion_labels_allowed
from booking_web.services.collection import TubeChoice, record_tube_outcomes
from booking_web.services.kiosk_reports import latest_not_me
from booking_web.services.print_jobs import PrintState, print_states, report_overdue
from booking_web.services.reprints import staff_reprints
from booking_web.services.request_status import on_collected, request_of, request_test_names
from booking_web.services.specimens import hand_label_tests
from booking_web.services.staff_audit import Actor, record
from shared.config import Settings
from shared.errors import NotFound, RuleViolation, ValidationFailed, problem
from shared.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    CancelledBy,
    Chair,
    JobSource,
    JobStatus,
    LabelOutcome,
    LabRequest,
    Patient,
    PrintJob,
    PrintJobLabel,
    QueueCall,
    Specimen,
    TubeOutcome,
    Urgency,
)
from shared.timeutil import local_day_bounds

REPORT_TIMEOUT = dt.timedelta(seconds=60)  # the default of PHLEBO_PRINT_REPORT_TIMEOUT_SECONDS


@dataclass(frozen=True)
class SpecimenRow:
    """One label of a patient, with what the printer and staff did with it."""

    specimen_id: str
    container: str
    tests: str
    sequence: str
    kiosk_outcome: str
    staff_reprints: int
    state: str = ""  # a PrintState: printed / not_printed / unknown / waiting, "" if never sent
    collection: str = ""  # what happened at the chair: collected / not_taken, or "" not yet
    not_taken_reason: str = ""


@dataclass(frozen=True)
class QueueRow:
    """One booking on the day's list, with everything the phlebotomist needs at the chair."""

    appointment_id: int
    reference: str
    status: str
    starts_at: dt.datetime
    queue_number: int | None
    family_name: str
    given_name: str
    date_of_birth: dt.date
    nhs_number: str
    type_name: str
    request_number: str | None
    called_at: dt.datetime | None
    called_by: str
    label_status: str  # pending / printed / partial / failed, or "" before check-in
    label_detail: str
    hand_label: tuple[str, ...]
    collected_at: dt.datetime | None
    collected_by: str
    specimens: tuple[SpecimenRow, ...] = ()
    unprinted: int = 0  # labels with no confirmed print yet, from the kiosk or a staff reprint
    said_not_me_at: dt.datetime | None = None  # the patient said "not me" at the kiosk
    minutes_late: int | None = None  # not arrived, this long past their time (past the window)
    called_to: str = ""  # the chair a patient was called to, where labels print at the chair
    queued: bool = False  # the print worker still has labels of theirs to send (chair mode)
    report_overdue: bool = False  # the kiosk's job has had no report for too long
    label_states: tuple[str, ...] = ()  # each label's PrintState, in print order
    urgent: bool = False  # the booking carries an urgent test request
    request_tests: tuple[str, ...] = ()  # the request's test names, in the order asked for
    clinical_details: str = ""
    requested_by: str = ""
    walk_in: bool = False  # checked in without a booking; starts_at is when they arrived

    @property
    def label_alert(self) -> bool:
        """True when the kiosk did not print every label (or never said what it printed) and
        staff have not reprinted them all (not while the print worker is still at it: the
        printer fault shows instead)."""
        failed = self.label_status in (JobStatus.PARTIAL, JobStatus.FAILED)
        return (failed or self.report_overdue) and self.unprinted > 0 and not self.queued

    @property
    def label_summary(self) -> str:
        """Each kind of label state counted, e.g. '1 printed, 1 unknown: check the printer
        before reprinting, 2 not printed'."""
        words = ((PrintState.PRINTED, "printed"),
                 (PrintState.UNKNOWN, "unknown: check the printer before reprinting"),
                 (PrintState.NOT_PRINTED, "not printed"), (PrintState.WAITING, "printing"))
        counts = [(self.label_states.count(state), text) for state, text in words]
        return ", ".join(f"{n} {text}" for n, text in counts if n)



def _unprinted(session: Session, appointment_id: int) -> int:
    """How many of an appointment's labels no printer has confirmed, in any job."""
    confirmed = select(PrintJobLabel.specimen_pk).where(PrintJobLabel.outcome == LabelOutcome.CONFIRMED)
    return int(session.exec(
        select(func.count()).select_from(Specimen).where(
            Specimen.appointment_id == appointment_id, col(Specimen.id).not_in(confirmed))
    ).one())


def _kiosk_job(session: Session, appointment_id: int) -> PrintJob | None:
    """The job that printed the patient's labels: the kiosk's, the chair's, or the desk's (a walk-in
    staff checked in)."""
    return session.exec(
        select(PrintJob)
        .where(PrintJob.appointment_id == appointment_id,
               col(PrintJob.source).in_((JobSource.KIOSK, JobSource.CHAIR, JobSource.DESK)))
        .order_by(col(PrintJob.id).desc())
    ).first()


def _specimens(
    session: Session, appt: Appointment, job: PrintJob | None, states: dict[int, PrintState]
) -> tuple[SpecimenRow, ...]:
    outcomes = {}
    if job is not None:
        outcomes = {
            r.specimen_pk: r.outcome
            for r in session.exec(select(PrintJobLabel).where(PrintJobLabel.job_id == job.id))
        }
    rows = session.exec(
        select(Specimen, TubeOutcome)
        .join(TubeOutcome, col(TubeOutcome.specimen_pk) == Specimen.id, isouter=True)
        .where(Specimen.appointment_id == appt.id).order_by(col(Specimen.position))
    )
    return tuple(
        SpecimenRow(
            s.specimen_id or "",
            s.container,
            s.tests,
            f"{s.position} of {s.of_total}",
            outcomes.get(pk, ""),
            staff_reprints(session, pk),
            states.get(pk, ""),
            collection=done.result if done else "",
            not_taken_reason=done.reason if done else "",
        )
        for s, done in rows
        if (pk := s.id) is not None  # always: the rows were read from the database
    )


def _row(
    session: Session,
    appt: Appointment,
    patient: Patient,
    *,
    detail: bool = False,
    now: dt.datetime | None = None,
    report_timeout: dt.timedelta = REPORT_TIMEOUT,
) -> QueueRow:
    assert appt.id is not None  # read from the database
    job = _kiosk_job(session, appt.id) if appt.checked_in_at else None
    states: dict[int, PrintState] = {}
    if job is not None and now is not None:
        states = print_states(session, appointment_id=appt.id, now=now, report_timeout=report_timeout)
    overdue = (job is not None and now is not None
               and report_overdue(job, now=now, report_timeout=report_timeout))
    call = session.get(QueueCall, appt.id)
    atype = session.get(AppointmentType, appt.type_code)
    req = request_of(session, appointment=appt, patient=patient)
    return QueueRow(
        appt.id,
        appt.reference,
        appt.status,
        appt.starts_at,
        appt.queue_number,  # type: ignore[arg-type]
        patient.family_name,
        patient.given_name,
        patient.date_of_birth,
        patient.nhs_number or "",
        atype.name if atype else appt.type_code,
        appt.request_number,
        call.called_at if call else None,
        call.called_by if call else "",
        job.status if job else "",
        job.detail if job else "",
        hand_label_tests(session, appt,
                         label_transfusion=transfusion_labels_allowed(session, appt.site_id)),
        appt.collected_at,
        appt.collected_by,
        _specimens(session, appt, job, states) if detail else (),
        _unprinted(session, appt.id) if job is not None else 0,  # type: ignore[arg-type]
        called_to=_chair_name(session, call.chair_id if call else None),
        queued=job is not None and job.next_try_at is not None,
        report_overdue=overdue,
        label_states=tuple(states.values()),
        urgent=req is not None and req.urgency == Urgency.URGENT,
        request_tests=request_test_names(session, req) if req is not None else (),
        clinical_details=req.clinical_details if req is not None else "",
        requested_by=req.requester if req is not None else "",
        walk_in=bool(appt.walk_in),
    )


def _chair_name(session: Session, chair_id: int | None) -> str:
    chair = session.get(Chair, chair_id) if chair_id else None
    return chair.name if chair else ""


def _flagged(
    session: Session, rows: list[QueueRow], now: dt.datetime | None, late_after: dt.timedelta
) -> list[QueueRow]:
    """The rows with what staff must not miss: "not me" at the kiosk, and not arrived when the
    kiosk would no longer check them in (`late_after` past their time, as of `now`)."""
    not_me = latest_not_me(session=session, appointment_ids=[r.appointment_id for r in rows])
    flagged = []
    for row in rows:
        late = None
        if now is not None and row.status == AppointmentStatus.BOOKED:
            past = now - row.starts_at
            late = int(past.total_seconds() // 60) if past >= late_after else None
        flagged.append(
            replace(row, said_not_me_at=not_me.get(row.appointment_id), minutes_late=late)
        )
    return flagged


def day_list(
    *,
    session: Session,
    site_id: int,
    day: dt.date,
    now: dt.datetime | None = None,
    late_after: dt.timedelta = dt.timedelta(minutes=15),
    report_timeout: dt.timedelta = REPORT_TIMEOUT,
) -> list[QueueRow]:
    """A site's bookings on a London day: those called, then those waiting in the order Call next
    calls them (`waiting`), then those still to arrive (by time), then those collected; flagged
    as of `now` (see _flagged). With `now`, a kiosk job with no report after `report_timeout`
    is an alert, label by label."""
    start, end = local_day_bounds(day)
    rows = session.exec(
        select(Appointment, Patient)
        .join(Patient, col(Patient.id) == Appointment.patient_id)
        .where(
            Appointment.site_id == site_id,
            col(Appointment.starts_at) >= start,
            col(Appointment.starts_at) < end,
            Appointment.status != AppointmentStatus.CANCELLED,
        )
    )
    result = _flagged(
        session,
        [_row(session, a, p, now=now, report_timeout=report_timeout) for a, p in rows],
        now,
        late_after,
    )
    calling = {appointment_id: place for place, appointment_id in enumerate(session.execute(
        waiting(site_id=site_id, day=day).with_only_columns(col(Appointment.id))).scalars())}
    return sorted(result, key=lambda r: _list_place(r, calling))


def _list_place(row: QueueRow, calling: Mapping[int, int]) -> tuple[int, int, dt.datetime]:
    """Where a row goes on the day's list: those called and not yet collected (by when they were
    called), then those waiting in the order Call next takes them (`calling`: the place of each
    in `waiting`), then those still to arrive by time, then the rest (collected) by time."""
    if row.appointment_id in calling:
        return 1, calling[row.appointment_id], row.starts_at
    if row.status == AppointmentStatus.CHECKED_IN:
        return 0, 0, row.called_at or row.starts_at
    return (2 if row.status == AppointmentStatus.BOOKED else 3), 0, row.starts_at


def _appointment_at(
    session: Session, appointment_id: int, site_id: int | None
) -> tuple[Appointment, Patient]:
    appt = session.get(Appointment, appointment_id)
    if appt is None or (site_id is not None and appt.site_id != site_id):
        raise NotFound("booking_not_at_site")
    patient = session.get(Patient, appt.patient_id)
    assert patient is not None
    return appt, patient


def patient_details(
    *,
    session: Session,
    appointment_id: int,
    site_id: int | None,
    actor: Actor,
    now: dt.datetime,
    report_timeout: dt.timedelta = REPORT_TIMEOUT,
) -> QueueRow:
    """One booking with its labels for the chair; the look is audited. Commits."""
    appt, patient = _appointment_at(session, appointment_id, site_id)
    [row] = _flagged(
        session,
        [_row(session, appt, patient, detail=True, now=now, report_timeout=report_timeout)],
        None,
        dt.timedelta(),
    )
    record(
        session,
        actor=actor,
        action="view",
        appointment_id=appt.id,
        now=now,
        detail="patient details",
    )
    session.commit()
    return row


# The queue (README "Queue order"): patients whose request is urgent first; then booked patients
# by their appointment time, with walk-ins fitted in by the time they arrived (checked in);
# then the queue number, so equal times go in the order people checked in.
QUEUE_ORDER = (
    case((col(LabRequest.urgency) == Urgency.URGENT, 0), else_=1),
    case((col(Appointment.walk_in).is_(True), col(Appointment.checked_in_at)), else_=col(Appointment.starts_at)),
    col(Appointment.queue_number),
)


def waiting(*, site_id: int, day: dt.date) -> SelectOfScalar[Appointment]:
    """The patients checked in at a site on a London day and not yet called, in the order Call next
    calls them (QUEUE_ORDER): the one statement both Call next and the today page's list use."""
    start, end = local_day_bounds(day)
    called = select(QueueCall.appointment_id)
    return (
        select(Appointment)
        .outerjoin(LabRequest, col(LabRequest.request_number) == Appointment.request_number)
        .where(
            Appointment.site_id == site_id,
            Appointment.status == AppointmentStatus.CHECKED_IN,
            col(Appointment.starts_at) >= start,
            col(Appointment.starts_at) < end,
            col(Appointment.id).not_in(called),
        )
        .order_by(*QUEUE_ORDER)
    )


def call_next(
    *, session: Session, site_id: int, day: dt.date, actor: Actor, now: dt.datetime,
    chair_id: int | None = None,
) -> QueueRow | None:
    """Call the next checked-in patient not yet called (None if nobody; order: QUEUE_ORDER), to a
    chair when labels print at the chair; commits."""
    appt = session.exec(waiting(site_id=site_id, day=day)).first()
    if appt is None:
        return None
    session.add(QueueCall(appointment_id=appt.id, called_at=now,  # type: ignore[arg-type]
                          called_by=actor.display_name, chair_id=chair_id))
    record(
        session,
        actor=actor,
        action="call",
        appointment_id=appt.id,
        now=now,
        detail=f"number {appt.queue_number}",
    )
    session.commit()
    patient = session.get(Patient, appt.patient_id)
    assert patient is not None
    return _row(session, appt, patient)


def mark_collected(
    *, session: Session, appointment_id: int, site_id: int | None, actor: Actor, now: dt.datetime,
    choices: Mapping[str, TubeChoice] | None = None, settings: Settings | None = None,
) -> Appointment:
    """Record that the blood was taken, when and by whom, and what happened to each tube
    (`choices` by specimen id; None: every tube collected). With `settings` naming a laboratory
    (PHLEBO_LIMS_MLLP), its OML^O21 is queued in the same transaction. Commits."""
    appt, _patient = _appointment_at(session, appointment_id, site_id)
    if appt.status != AppointmentStatus.CHECKED_IN:
        raise RuleViolation("collect_not_checked_in", code="not_checked_in")
    appt.status, appt.collected_at, appt.collected_by = (
        AppointmentStatus.COLLECTED,
        now,
        actor.display_name[:100],
    )
    appt.updated_at, appt.version = now, appt.version + 1
    summary = record_tube_outcomes(session, appointment=appt, choices=choices, actor=actor, now=now)
    on_collected(session, appointment=appt, now=now, actor=actor.display_name, detail=summary,
                 tell_lab=bool(settings is not None and settings.lims_mllp))
    record(session, actor=actor, action="collect", appointment_id=appt.id, now=now)
    session.commit()
    return appt


def cancel_for_patient(
    *,
    session: Session,
    appointment_id: int,
    site_id: int | None,
    actor: Actor,
    reason: str,
    now: dt.datetime,
) -> Appointment:
    """Cancel a booking on the patient's behalf, with the reason; audited. Commits."""
    if not reason.strip():
        raise ValidationFailed("cancel_reason_missing", fields={"reason": problem("cancel_reason_enter")})
    appt, patient = _appointment_at(session, appointment_id, site_id)
    appt = cancel_appointment(
        session=session,
        reference=appt.reference,
        date_of_birth=patient.date_of_birth,
        now=now,
        reason=f"Cancelled by staff: {reason.strip()}"[:300],
        by=CancelledBy.STAFF,
    )
    record(
        session,
        actor=actor,
        action="cancel",
        appointment_id=appt.id,
        now=now,
        detail=reason.strip(),
    )
    session.commit()
    return appt

