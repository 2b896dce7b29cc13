"""Labels printed at the chair: the phlebotomist confirms who the patient is (their QR code
scanned, or their date of birth typed, after the patient has said their name and date of birth),
and only then are the specimens made, with the collection time and the collector on their
labels, and queued for that chair's printer (the print worker sends them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from booking_web.services.chairs import get_chair, prints_at_chair, transfusion_labels_allowed
from booking_web.services.qr import read_qr_payload
from booking_web.services.specimens import add_specimens, chair_tubes, hand_label_tests
from booking_web.services.staff_audit import Actor, record
from shared.config import Settings
from shared.errors import BookingError, NotFound, RuleViolation, ValidationFailed, problem
from shared.models import (
    Appointment,
    AppointmentStatus,
    Chair,
    ChairIdentification,
    JobSource,
    JobStatus,
    Patient,
    PrintJob,
    PrintJobLabel,
    QueueCall,
)
from shared.timeutil import london_today, to_local


@dataclass(frozen=True)
class Identity:
    """What the phlebotomist entered to identify the patient: a scanned QR text, or a date of
    birth (parsed at the edge; None when the fields did not make a date)."""

    qr: str = ""
    date_of_birth: dt.date | None = None


def _appointment(session: Session, appointment_id: int,
                 site_id: int | None) -> tuple[Appointment, Patient]:
    appt = session.get(Appointment, appointment_id, populate_existing=True)  # as committed now
    if appt is None or (site_id is not None and appt.site_id != site_id):
        raise NotFound("booking_not_at_site")
    patient = session.get(Patient, appt.patient_id)
    assert patient is not None
    return appt, patient


def _check_identity(appt: Appointment, patient: Patient, identity: Identity,
                    secret: str) -> str:
    """'qr' or 'dob' when the identity given is this patient's; ValidationFailed otherwise."""
    if identity.qr.strip():
        try:
            claim = read_qr_payload(secret=secret, text=identity.qr)
        except BookingError:
            raise ValidationFailed("chair_qr_unreadable",
                                   fields={"qr": problem("chair_qr_not_ours")}) from None
        # An older QR of the same booking still names this patient (check-in changes the
        # version); another booking, site or day does not.
        if (claim.reference != appt.reference or claim.site_id != appt.site_id
                or claim.day != to_local(appt.starts_at).date() or claim.version > appt.version):
            raise ValidationFailed("chair_qr_other_booking",
                                   fields={"qr": problem("chair_qr_other_booking_check")})
        return "qr"
    if identity.date_of_birth is None:
        raise ValidationFailed("chair_identity_missing",
                               fields={"qr": problem("chair_identity_how")})
    if identity.date_of_birth != patient.date_of_birth:
        raise ValidationFailed("chair_dob_mismatch",
                               fields={"dob-day": problem("chair_dob_mismatch_check")})
    return "dob"


def confirm_at_chair(
    *, session: Session, appointment_id: int, site_id: int | None, chair_id: int,
    identity: Identity, actor: Actor, now: dt.datetime, settings: Settings,
) -> ChairIdentification:
    """Record the patient's positive identification at a chair and queue their labels for its
    printer, with the collection time and collector; once per booking (a second confirmation
    returns the first). A mismatch is refused, audited, and changes nothing else. Commits."""
    appt, patient = _appointment(session, appointment_id, site_id)
    assert appt.id is not None
    done = session.get(ChairIdentification, appt.id)
    if done is not None:
        return done
    if not prints_at_chair(session, appt.site_id):
        raise RuleViolation("not_chair_mode")
    if appt.status != AppointmentStatus.CHECKED_IN:
        raise RuleViolation("identify_not_checked_in", code="not_checked_in")
    chair = get_chair(session=session, chair_id=chair_id, site_id=appt.site_id)
    if not chair.active:
        raise ValidationFailed("chair_not_in_use", fields={"chair_id": problem("chair_choose")})
    try:
        method = _check_identity(appt, patient, identity, settings.secret_key)
    except ValidationFailed:
        record(session, actor=actor, action="identify failed", appointment_id=appt.id, now=now,
               detail=f"{chair.name}: {'QR code' if identity.qr.strip() else 'date of birth'}")
        session.commit()
        raise
    identified = ChairIdentification(appointment_id=appt.id, chair_id=chair.id,  # type: ignore[arg-type]
                                     method=method, identified_by=actor.display_name[:100],
                                     identified_at=now)
    session.add(identified)
    try:
        session.flush()  # the key: a second phlebotomist confirming at once stops here
    except IntegrityError:
        session.rollback()
        existing = session.get(ChairIdentification, appt.id)
        assert existing is not None
        return existing
    identified.print_job_id = _queue_labels(session, appt, chair, actor, now, settings).id
    record(session, actor=actor, action="identify", appointment_id=appt.id, now=now,
           detail=f"{chair.name}: {'QR code' if method == 'qr' else 'date of birth'}")
    session.commit()
    return identified


def _queue_labels(session: Session, appt: Appointment, chair: Chair, actor: Actor,
                  now: dt.datetime, settings: Settings) -> PrintJob:
    tubes, transfusion, _hand = chair_tubes(
        session, appt, settings=settings,
        label_transfusion=transfusion_labels_allowed(session, appt.site_id))
    job = PrintJob(appointment_id=appt.id, site_id=appt.site_id,  # type: ignore[arg-type]
                   source=JobSource.CHAIR, chair_id=chair.id,  # type: ignore[arg-type]
                   status=JobStatus.PENDING if tubes else JobStatus.PRINTED,
                   requested_by=actor.username[:100], created_at=now,
                   next_try_at=now if tubes else None)
    session.add(job)
    session.flush()
    specimens = add_specimens(session, appt, tubes, now=now, collected_by=actor.display_name,
                              transfusion=transfusion, serial_range=settings.specimen_range)
    for specimen in specimens:
        session.add(PrintJobLabel(job_id=job.id, specimen_pk=specimen.id,  # type: ignore[arg-type]
                                  position=specimen.position))
    return job


def chair_called_to(session: Session, appointment_id: int) -> Chair | None:
    """The chair a patient was called to, if any."""
    call = session.get(QueueCall, appointment_id)
    return session.get(Chair, call.chair_id) if call and call.chair_id else None


@dataclass(frozen=True)
class ChairFault:
    """A chair's printer (or the site's label printer, "Site label") in trouble while it still
    has labels to print."""

    chair_name: str
    detail: str
    since: dt.datetime | None
    waiting: int  # labels not yet confirmed on that printer


def chair_faults(*, session: Session, site_id: int, now: dt.datetime) -> list[ChairFault]:
    """Today's chairs at a site whose printer last answered with a fault or not at all, with
    labels still waiting for it; and the site's label printer, likewise, for staff reprints."""
    start = dt.datetime.combine(london_today(now), dt.time(0), tzinfo=to_local(now).tzinfo)
    faults = []
    for chair in session.exec(select(Chair).where(Chair.site_id == site_id)
                              .where(col(Chair.printer_state).in_(("fault", "unknown")))):
        waiting = session.exec(
            select(PrintJobLabel).join(PrintJob, col(PrintJob.id) == PrintJobLabel.job_id)
            .where(PrintJob.chair_id == chair.id, col(PrintJob.next_try_at).is_not(None),
                   col(PrintJob.created_at) >= start,
                   PrintJobLabel.outcome != "confirmed")).all()
        if waiting:
            faults.append(ChairFault(chair.name, chair.printer_detail, chair.printer_checked_at,
                                     len(waiting)))
    # Staff reprints queued for the site's label printer (no chair): its last answer is the
    # newest report among them.
    site_jobs = session.exec(
        select(PrintJob).where(PrintJob.site_id == site_id, col(PrintJob.chair_id).is_(None),
                               col(PrintJob.next_try_at).is_not(None),
                               col(PrintJob.created_at) >= start,
                               col(PrintJob.printer_status).in_(("fault", "unknown")))
        .order_by(col(PrintJob.reported_at).desc())).all()
    if site_jobs:
        waiting = session.exec(
            select(PrintJobLabel).where(col(PrintJobLabel.job_id).in_([j.id for j in site_jobs]),
                                        PrintJobLabel.outcome != "confirmed")).all()
        faults.append(ChairFault("Site label", site_jobs[0].detail, site_jobs[0].reported_at,
                                 len(waiting)))
    return faults


@dataclass(frozen=True)
class ChairPanel:
    """What the patient page shows about the chair: whether labels print there, the chairs, the
    one the patient was called to, and their identification once confirmed."""

    chair_mode: bool
    chairs: tuple[Chair, ...]
    called_to: int | None
    identified: ChairIdentification | None
    identified_at_chair: str
    hand_label: tuple[str, ...]


def chair_panel(*, session: Session, appointment_id: int, site_id: int | None) -> ChairPanel:
    """The chair part of a patient's page (nothing written, nothing audited: the page is)."""
    appt, _patient = _appointment(session, appointment_id, site_id)
    if not prints_at_chair(session, appt.site_id):
        return ChairPanel(False, (), None, None, "", ())
    called = session.get(QueueCall, appointment_id)
    identified = session.get(ChairIdentification, appointment_id)
    chair = session.get(Chair, identified.chair_id) if identified else None
    active = tuple(c for c in session.exec(select(Chair).where(Chair.site_id == appt.site_id))
                   if c.active)
    hand = hand_label_tests(session, appt,
                            label_transfusion=transfusion_labels_allowed(session, appt.site_id))
    return ChairPanel(True, tuple(sorted(active, key=lambda c: (len(c.name), c.name))),
                      called.chair_id if called else None, identified,
                      chair.name if chair else "", hand)
