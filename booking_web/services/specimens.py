"""Specimens: the tubes a booking needs (from its test request, or plain identity labels), each
with its own specimen id, and what each one's label says."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, select

from booking_web.services.catalogue import specs_for
from booking_web.services.lab_requests import find_request, tests_of
from label_printer import LabelData
from shared.config import Settings
from shared.errors import RuleViolation
from shared.models import Appointment, LabRequest, Patient, Site, Specimen
from shared.specimen import MAX_SERIAL, specimen_id
from shared.timeutil import to_local
from shared.tubes import IDENTITY_CONTAINER, TubePlan, plan_tubes

Tube = tuple[str, tuple[str, ...]]  # container, tests


def tube_plan(session: Session, appt: Appointment, *,
              label_transfusion: bool = False) -> TubePlan | None:
    """The tubes for the booking's request, or None when it has no usable request. A request
    for another NHS number is never used: the labels would pair one patient with another's tests.
    Transfusion tests get tubes of their own with `label_transfusion`, else are hand-labelled."""
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
        ),
        label_transfusion=label_transfusion,
    )


def hand_label_tests(session: Session, appt: Appointment, *,
                     label_transfusion: bool = False) -> tuple[str, ...]:
    """Tests on the booking's request that must be hand-labelled at the chair."""
    plan = tube_plan(session, appt, label_transfusion=label_transfusion)
    return plan.hand_label if plan else ()


def chair_tubes(session: Session, appt: Appointment, *, settings: Settings,
                label_transfusion: bool) -> tuple[list[Tube], list[bool], tuple[str, ...]]:
    """The tubes to label at the chair in order of draw, which are transfusion samples, and the
    tests still to hand-label (transfusion tests, unless their labels may be printed)."""
    plan = tube_plan(session, appt, label_transfusion=label_transfusion)
    if plan is None:
        count = max(settings.identity_labels, 0)
        return [(IDENTITY_CONTAINER, ())] * count, [False] * count, ()
    return ([(t.container, t.tests) for t in plan.tubes], [t.transfusion for t in plan.tubes],
            plan.hand_label)


def tubes_for(
    session: Session, appt: Appointment, *, settings: Settings
) -> tuple[list[Tube], tuple[str, ...]]:
    """The tubes to label at check-in, in order of draw, and the tests to hand-label at the
    chair. A booking without a usable request gets plain identity labels."""
    plan = tube_plan(session, appt)
    if plan is None:
        return [(IDENTITY_CONTAINER, ())] * max(settings.identity_labels, 0), ()
    return [(t.container, t.tests) for t in plan.tubes], plan.hand_label


def add_specimens(
    session: Session, appt: Appointment, tubes: Sequence[Tube], *, now: dt.datetime,
    collected_by: str = "", transfusion: Sequence[bool] = (),
    serial_range: tuple[int, int] = (1, MAX_SERIAL),
) -> list[Specimen]:
    """A specimen row per tube, numbered 1..n of n, each with its specimen id (caller commits):
    the row's database serial counted from the start of the range agreed with the laboratory
    (unique because the serial is). With `collected_by` (labels printed at the chair) the sample
    is taken now, by them. RuleViolation when the range is used up."""
    assert appt.id is not None
    rows = []
    for position, (container, tests) in enumerate(tubes, start=1):
        row = Specimen(
            appointment_id=appt.id,
            container=container,
            tests=" ".join(tests),  # type: ignore[arg-type]
            position=position,
            of_total=len(tubes),
            created_at=now,
            collected_at=now if collected_by else None,
            collected_by=collected_by[:100],
            transfusion=bool(transfusion[position - 1]) if transfusion else False,
        )
        session.add(row)
        session.flush()  # the database hands out the serial
        number = serial_range[0] + row.id - 1  # type: ignore[operator]
        if number > serial_range[1]:
            raise RuleViolation("specimen_range_used")
        row.specimen_id = specimen_id(number)
        rows.append(row)
    return rows


def find_specimen(session: Session, specimen_id_text: str) -> Specimen | None:
    """The specimen with this printed id, if any."""
    return session.exec(select(Specimen).where(Specimen.specimen_id == specimen_id_text)).first()


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
        collected_at=to_local(specimen.collected_at) if specimen.collected_at else None,
        collector=specimen.collected_by,
        transfusion=specimen.transfusion,
    )
