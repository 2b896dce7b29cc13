"""Staff add a walk-in on the today page: the same check-in as the kiosk's (walk_ins.admit_walk_in),
by the member of staff, audited, once per press of the form's button, with refusals in staff
words (staff may be told that a patient has no open request: they have identified them).

Labels follow the site's setting, as for a booking. At the chair: none now; they print at the
chair once the phlebotomist confirms who the patient is. At check-in: staff checking a patient in
at the desk is the check-in, so the labels are made now and queued for the site's label printer
(the print worker sends them; the kiosk, which prints a booked patient's, is not involved)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from booking_web.services.chairs import prints_at_chair
from booking_web.services.checkin import CheckinRefused
from booking_web.services.idempotency import (
    AnsweredBefore,
    Once,
    earlier_answer,
    fingerprint,
)
from booking_web.services.print_jobs import create_desk_job
from booking_web.services.site_admin import printer_uri
from booking_web.services.staff_audit import Actor, record
from booking_web.services.walk_ins import WalkInIdentity, admit_walk_in, matching_patient
from shared.config import Settings
from shared.errors import RuleViolation
from shared.models import Appointment, BookingChannel, JobStatus, Patient, PrintJob, SiteWalkIns


class LabelsAt:
    """Where a staff walk-in's labels are, as the page tells staff."""

    CHAIR = "chair"  # they print at the chair when the patient is called and identified
    PRINTER = "printer"  # queued for the site's label printer
    NO_PRINTER = "no_printer"  # no printer set up: reprint them (PDF) from the patient's page
    NONE = "none"  # nothing to print (every test hand-labelled)


@dataclass(frozen=True)
class StaffWalkIn:
    """A walk-in staff added: who, their number, where their labels are, and `again` when this
    was a second press of the same form (nothing new was done)."""

    appointment_id: int
    queue_number: int
    family_name: str
    given_name: str
    labels_at: str
    over_cap: bool = False
    again: bool = False


def _once(actor: Actor, key: str) -> Once:
    # The key stands for one form as shown: a second press of it is the same walk-in, whatever
    # was typed, so it can never check in a second patient.
    return Once(scope=f"staff:{actor.user_id}", key=key[:64],
                fingerprint=fingerprint("POST", "/staff/today/walk-in", {}), render=_answer)


def _answer(done: tuple[int, PrintJob | str | None]) -> tuple[int, dict[str, Any]]:
    appointment_id, labels = done
    return 200, {"appointment_id": appointment_id, "labels_at": _labels_at(labels)}


def _labels_at(labels: PrintJob | str | None) -> str:
    if labels is None or isinstance(labels, str):
        return labels or LabelsAt.CHAIR
    if labels.status == JobStatus.PRINTED:  # no tube to print for
        return LabelsAt.NONE
    return LabelsAt.PRINTER if labels.next_try_at is not None else LabelsAt.NO_PRINTER


def walk_in_setting(*, session: Session, site_id: int) -> SiteWalkIns | None:
    """A site's walk-in cap, or None when it takes no walk-ins."""
    found = session.get(SiteWalkIns, site_id)
    session.rollback()  # a read only: no transaction left open behind the page
    return found


def add_walk_in(
    *,
    session: Session,
    site_id: int,
    who: WalkInIdentity,
    key: str,
    actor: Actor,
    now: dt.datetime,
    settings: Settings,
    over_cap: bool = False,
) -> StaffWalkIn:
    """Check in a walk-in from the today page, once per form (`key`): the patient found by NHS
    number, or name and postcode, with the date of birth; a queue number; labels as the site's
    setting says; audited. `over_cap` takes them past the site's walk-in cap (staff judge the
    room; the audit says so). A refusal is RuleViolation with a staff code (walk_in_off,
    walk_in_no_clinic, walk_in_no_patient, walk_in_no_request, walk_in_full with the cap), is
    audited, and changes nothing else."""
    once = _once(actor, key)
    earlier = earlier_answer(session=session, once=once, now=now)
    if earlier is not None:
        return _again(session, earlier[1])

    def labels(appt: Appointment) -> PrintJob | str | None:
        if prints_at_chair(session, site_id):
            return LabelsAt.CHAIR
        return create_desk_job(session, appt=appt, requested_by=actor.username,
                               printer=printer_uri(session=session, site_id=site_id), now=now,
                               settings=settings)

    try:
        admitted = admit_walk_in(session=session, site_id=site_id, who=who, now=now, once=once,
                                 channel=BookingChannel.STAFF, actor=actor.display_name, labels=labels,
                                 over_cap=over_cap, unknown="walk_in_no_patient")
    except (CheckinRefused, AnsweredBefore) as exc:
        earlier = earlier_answer(session=session, once=once, now=now)
        if earlier is not None:  # a twin press got there first: its walk-in, not a refusal
            return _again(session, earlier[1])
        if isinstance(exc, AnsweredBefore):
            raise RuleViolation("walk_in_in_progress", code="conflict") from exc
        raise _refused(session, exc, site_id=site_id, who=who, actor=actor, now=now) from None
    appt, patient = admitted.appointment, admitted.patient
    assert appt.id is not None and appt.queue_number is not None
    labels_at = _labels_at(admitted.labels)
    record(session, actor=actor, action="walk-in", appointment_id=appt.id, now=now,
           detail=f"number {appt.queue_number}, request {admitted.request.request_number}"
           + (", over the walk-in cap" if admitted.over_cap else "") + f"; labels: {labels_at}")
    session.commit()
    return StaffWalkIn(appt.id, appt.queue_number, patient.family_name, patient.given_name, labels_at,
                       over_cap=admitted.over_cap)


# The kiosk's refusal codes and the staff page's (words in messages/staff.py).
def _in_staff_words(session: Session, code: str, site_id: int) -> RuleViolation:
    """The kiosk's refusal code as the desk's: staff may be told what a patient may not."""
    if code == "walk_ins_full":
        setting = session.get(SiteWalkIns, site_id)
        return RuleViolation("walk_in_full", cap=setting.cap if setting else 0,
                             per=setting.per if setting else "")
    staff = {
        "no_walk_ins": lambda: RuleViolation("walk_in_off"),
        "no_clinic": lambda: RuleViolation("walk_in_no_clinic"),
        "walk_in_no_patient": lambda: RuleViolation("walk_in_no_patient"),
        "no_request": lambda: RuleViolation("walk_in_no_request"),
    }
    return staff[code]() if code in staff else RuleViolation(code)


def _refused(session: Session, exc: CheckinRefused, *, site_id: int, who: WalkInIdentity, actor: Actor,
             now: dt.datetime) -> RuleViolation:
    """The refusal in staff terms, recorded in the audit log (a look-up of a patient): against the
    patient when what staff typed is one patient's record, else with what they typed."""
    refusal = _in_staff_words(session, exc.problem.code, site_id)
    session.rollback()
    patient = matching_patient(session, who)
    record(session, actor=actor, action="walk-in refused", now=now,
           patient_id=patient.id if patient is not None else None,
           detail=refusal.problem.code if patient is not None else f"{refusal.problem.code}: {who.key()}")
    session.commit()
    return refusal


def _again(session: Session, answer: dict[str, Any]) -> StaffWalkIn:
    appt = session.get(Appointment, answer["appointment_id"], populate_existing=True)
    assert appt is not None and appt.id is not None and appt.queue_number is not None
    patient = session.get(Patient, appt.patient_id)
    assert patient is not None
    found = StaffWalkIn(appt.id, appt.queue_number, patient.family_name, patient.given_name,
                        str(answer.get("labels_at", "")), again=True)
    session.rollback()
    return found
