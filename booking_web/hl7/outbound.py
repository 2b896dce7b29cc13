"""HL7 v2 messages out, through the outbox (queued in the transaction of the change they tell,
sent later with retries, in order per request): to the laboratory when tubes are collected, and
to the requester's order comms when a request's status changes.

To the laboratory (recipient `lims`), for every collected request however it reached Phlebo
(staff pages, JSON API, FHIR, HL7, a walk-in matched to it), when PHLEBO_LIMS_MLLP is set:
OML^O21 (HL7 v2.5.1 4.4.7), ORC-1 NW; an ORC + OBR per test (OBR-4 the catalogue code, OBR-7
the collection time, OBR-10 the collector: "Collector Identifier", the person who took the
specimen, OBR-18 Phlebo's request number, which the laboratory echoes back in its results);
after the first test each tube carries, its SPM: SPM-2 the specimen id as printed on the
barcode, SPM-4 the specimen type (table 0487), SPM-17 the collection time, SPM-27 the container.
ORC-2/OBR-2, the placer order number (EI: number ^ namespace), is the requester's placer number
with their ODS code as namespace when the request came with one (order comms, a FHIR
requisition, the API's placer number); otherwise it is Phlebo's request number in namespace
PHLEBO: in v2.5.1 4.5.1.2/4.5.1.3 the placer number is assigned by the application that places
the order with the filler, which for such a request is Phlebo, and ORC-3, the filler order
number, is the laboratory's to assign (so it is left empty, not filled with our number).

To the requester (recipient `status`), only for requests that came from the requester's own
system over HL7 or FHIR (source hl7 or fhir): a request from the JSON API or the staff pages has
no order-comms system behind it that knows the order, and its requester reads the status over
the API or on the requester pages.

To the requester (recipient `status`): OML^O21 with ORC-1 SC (status changed; OC when Phlebo
ends the order) and ORC-5 the order status (table 0038: SC booked, IP collected, CA cancelled,
DC not taken up), ORC-16 the reason in words, TQ1-7 the booked time. OML^O21 rather than
ORR^O22 because ORR answers one message, and these are unsolicited. ORC-2 is their placer number
(empty when they sent none: FHIR without a requisition), ORC-3 Phlebo's request number: to the
requester Phlebo is the filler."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlmodel import Session, col, select

from booking_web.hl7.er7 import hl7_time, msh, segment
from booking_web.notify.outbox import queue_message
from booking_web.services.collection import request_tubes
from shared.models import (
    Appointment,
    LabRequest,
    LabRequestTest,
    Organisation,
    Patient,
    RequestSource,
    RequestStatus,
    TubeOutcome,
)

CHANNEL = "hl7"
LIMS, STATUS = "lims", "status"
# Specimen type (HL7 table 0487) by the container words of the catalogue.
SPECIMEN_TYPES = (("citrate", "PLAS", "Plasma"), ("fluoride", "PLAS", "Plasma"), ("serum", "SER", "Serum"),
                  ("sst", "SER", "Serum"), ("heparin", "PLAS", "Plasma"))
TOLD_REQUESTER = (RequestSource.HL7, RequestSource.FHIR)
ORDER_STATUS = {
    RequestStatus.BOOKED: ("SC", "SC", "Booked"),
    RequestStatus.COLLECTED: ("SC", "IP", "Blood taken"),
    RequestStatus.CANCELLED: ("OC", "CA", "Cancelled"),
    RequestStatus.NOT_TAKEN_UP: ("OC", "DC", "Not taken up: the window ended"),
}


def specimen_type(container: str) -> tuple[str, str]:
    """(code, words) from table 0487 for a container: whole blood unless the words say otherwise."""
    words = container.lower()
    for key, code, text in SPECIMEN_TYPES:
        if key in words:
            return code, text
    return "BLD", "Whole blood"


def _patient_segment(session: Session, req: LabRequest) -> str:
    patient = session.get(Patient, req.patient_id) if req.patient_id else None
    name = (patient.family_name, patient.given_name) if patient else ("", "")
    dob = patient.date_of_birth.strftime("%Y%m%d") if patient else ""
    return segment("PID", "1", "", (req.nhs_number, "", "", "NHS", "NH"), "", name, "", dob)


def _header(org: Organisation | None, message_type: tuple[str, str, str], receiver: str, now: dt.datetime) -> str:
    return msh(sending=("PHLEBO", "PHLEBOTOMY"), receiving=(receiver, org.ods_code if org else ""), at=now,
               message_type=message_type, control_id=uuid.uuid4().hex[:20].upper())


def _tests(session: Session, req: LabRequest) -> list[str]:
    return list(session.exec(select(LabRequestTest.test_code).where(LabRequestTest.request_id == req.id)
                             .order_by(col(LabRequestTest.position))))


def placer_number(req: LabRequest, org: Organisation | None) -> tuple[str, str]:
    """ORC-2/OBR-2 for the laboratory as EI (identifier, namespace): the requester's placer number
    under their ODS code, or Phlebo's request number under PHLEBO when there is none."""
    if req.placer_number:
        return req.placer_number, org.ods_code if org else ""
    return req.request_number, "PHLEBO"


def collection_message(session: Session, req: LabRequest, appointment: Appointment, now: dt.datetime) -> str | None:
    """The OML^O21 for the laboratory: the tubes collected for this booking; None when none was."""
    assert appointment.id is not None
    outcomes = {o.specimen_pk: o for o in session.exec(
        select(TubeOutcome).where(TubeOutcome.appointment_id == appointment.id))}
    tubes = [t for t in request_tubes(session, appointment.id)
             if t.id in outcomes and outcomes[t.id].result == "collected"]
    if not tubes:
        return None
    org = session.get(Organisation, req.organisation_id) if req.organisation_id else None
    lines = [_header(org, ("OML", "O21", "OML_O21"), "LIMS", now), _patient_segment(session, req)]
    placer = placer_number(req, org)
    placed: set[int] = set()
    for n, code in enumerate(_tests(session, req), 1):
        carrying = [t for t in tubes if code in t.tests.split()]
        if not carrying:
            continue  # this test's tube was not taken
        first = carrying[0]
        outcome = outcomes[first.id]  # type: ignore[index]
        taken = first.collected_at or outcome.at
        lines.append(segment("ORC", "NW", placer, "", "", "", "", "", "", "", "", "",
                             (req.ordering_provider.split(" ")[0] if req.ordering_provider else "",)))
        lines.append(segment("OBR", str(n), placer, "", (code,), "", "", hl7_time(taken), "", "",
                             ("", first.collected_by or outcome.by_name), *[""] * 7, req.request_number))
        for tube in carrying:
            if tube.id in placed:
                continue
            placed.add(tube.id)  # type: ignore[arg-type]
            kind, words = specimen_type(tube.container)
            out = outcomes[tube.id]  # type: ignore[index]
            lines.append(segment("SPM", str(len(placed)), (tube.specimen_id or "",), "", (kind, words, "HL70487"),
                                 *[""] * 12, hl7_time(tube.collected_at or out.at), *[""] * 9, (tube.container,)))
    return "\r".join(lines) + "\r"


def status_message(session: Session, req: LabRequest, status: str, detail: str, appointment: Appointment | None,
                   now: dt.datetime) -> str:
    """The order-status OML^O21 for the requester's system."""
    control, order_status, words = ORDER_STATUS[RequestStatus(status)]
    org = session.get(Organisation, req.organisation_id) if req.organisation_id else None
    lines = [_header(org, ("OML", "O21", "OML_O21"), "ORDERCOMMS", now), _patient_segment(session, req)]
    reason = (RequestStatus(status).value.upper(), f"{words}: {detail}"[:190] if detail else words)
    for n, code in enumerate(_tests(session, req), 1):
        lines.append(segment("ORC", control, req.placer_number or "", req.request_number, "",
                             order_status, *[""] * 10, reason))
        if appointment is not None and status == RequestStatus.BOOKED:
            lines.append(segment("TQ1", "1", "", "", "", "", "", hl7_time(appointment.starts_at)))
        lines.append(segment("OBR", str(n), req.placer_number or "", req.request_number, (code,)))
    return "\r".join(lines) + "\r"


def queue_collection(session: Session, *, request_id: int, appointment: Appointment, now: dt.datetime) -> None:
    """Queue the laboratory's OML^O21 for the tubes collected for this request's booking (caller's
    transaction; the caller knows PHLEBO_LIMS_MLLP is set). Nothing when no tube was taken."""
    req = session.get(LabRequest, request_id)
    if req is None:
        return
    session.flush()
    message = collection_message(session, req, appointment, now)
    if message is not None:
        queue_message(session=session, dedup_key=f"hl7:lims:{request_id}:{appointment.id}", channel=CHANNEL,
                      recipient=LIMS, template="hl7_collected",
                      personalisation={"message": message, "reference": req.request_number}, now=now,
                      lab_request_id=request_id)


def on_request_event(session: Session, *, request_id: int, status: str, now: dt.datetime, detail: str,
                     appointment_id: int | None) -> None:
    """Queue the order-status message this step of a request sends to the requester's system
    (caller's transaction). Called for every history row; only HL7 and FHIR requests are told."""
    if status not in ORDER_STATUS:
        return
    req = session.get(LabRequest, request_id)
    if req is None or req.source not in TOLD_REQUESTER:
        return
    appointment = session.get(Appointment, appointment_id) if appointment_id else None
    session.flush()
    queue_message(session=session, dedup_key=f"hl7:status:{request_id}:{status}:{uuid.uuid4().hex}", channel=CHANNEL,
                  recipient=STATUS, template=f"hl7_{status}",
                  personalisation={"message": status_message(session, req, status, detail, appointment, now),
                                   "reference": req.request_number},
                  now=now, lab_request_id=request_id)
