"""FHIR Location, Slot and Appointment: where a request can be taken, the free times, and booking
one for the request's patient (basedOn the ServiceRequest); a full Slot is a 409 OperationOutcome."""

from __future__ import annotations

import datetime as dt

from flask import g, request

from booking_web.context import db, now, settings
from booking_web.fhir import body, bp, fhir_response, outcome, partner_only
from booking_web.fhir.requests import _parse
from booking_web.fhir.resources import appointment, location, searchset, slot
from booking_web.services import availability
from booking_web.services.appointment_summary import type_by_code
from booking_web.services.partner_bookings import book_for_request, get_site, partner_appointment
from shared.errors import Problem, ValidationFailed, problem
from shared.models import BookingChannel

MAX_SLOT_DAYS = 14


@bp.get("/Location")
@partner_only
def search_locations():  # type: ignore[no-untyped-def]
    sites, _found = availability.list_sites(session=db())
    return fhir_response(searchset([location(s.site) for s in sites], request.url))


@bp.get("/Location/<int:site_id>")
@partner_only
def read_location(site_id: int):  # type: ignore[no-untyped-def]
    return fhir_response(location(get_site(session=db(), site_id=site_id)))


def _day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


@bp.get("/Slot")
@partner_only
def search_slots():  # type: ignore[no-untyped-def]
    actor = request.args.get("schedule.actor", "")
    site_id = actor.split("/", 1)[1] if actor.startswith("Location/") else ""
    starts = request.args.getlist("start")
    first = next((_day(s[2:]) for s in starts if s.startswith("ge")), None)
    last = next((_day(s[2:]) for s in starts if s.startswith("lt")), None)
    type_code = request.args.get("service-type", "adult").rsplit("|", 1)[-1]
    problems = []
    if not site_id.isdigit():
        problems.append("schedule.actor")
    if first is None or last is None or not 0 < (last - first).days <= MAX_SLOT_DAYS:
        problems.append("start")
    if request.args.get("status", "free") != "free":
        problems.append("status")
    if type_by_code(session=db(), code=type_code) is None:
        problems.append("service-type")
    if problems:
        return outcome(400, "value", "Search as Slot?schedule.actor=Location/{id}&start=geYYYY-MM-DD&start=ltYYYY-MM-DD"
                       f"&status=free (at most {MAX_SLOT_DAYS} days; service-type one of the appointment types)",
                       problems)
    assert first is not None and last is not None
    found = []
    for n in range((last - first).days):
        for free in availability.free_slots(session=db(), site_id=int(site_id), day=first + dt.timedelta(days=n),
                                            type_code=type_code, now=now(), settings=settings()):
            found.append(slot(slot_id=free.slot_id, site_id=free.site_id, starts_at=free.starts_at,
                              ends_at=free.ends_at, type_code=type_code, free=True))
    return fhir_response(searchset(found, request.url))


@bp.post("/Appointment")
@partner_only
def create_appointment():  # type: ignore[no-untyped-def]
    from fhir.resources.R4B.appointment import Appointment as FhirAppointment  # see requests.py

    wanted = _parse(FhirAppointment, body(), "Appointment")
    slots = [s.reference for s in wanted.slot or [] if s.reference and s.reference.startswith("Slot/")]
    based = [b.reference for b in wanted.basedOn or [] if b.reference and b.reference.startswith("ServiceRequest/")]
    fields: dict[str, Problem] = {}
    if len(slots) != 1 or not slots[0][5:].isdigit():
        fields["Appointment.slot"] = problem("fhir_one_slot")
    if len(based) != 1:
        fields["Appointment.basedOn"] = problem("fhir_based_on")
    if fields:
        raise ValidationFailed("fhir_appointment_refused", fields=fields)
    coding = [c.code for t in wanted.serviceType or [] for c in t.coding or [] if c.code]
    booked = book_for_request(session=db(), request_number=based[0].split("/", 1)[1], slot_id=int(slots[0][5:]),
                              type_code=coding[0] if coding else None, api_key_id=g.api_key.id,
                              source=f"API key: {g.api_key.name} (FHIR)", now=now(), settings=settings(),
                              channel=BookingChannel.FHIR)
    appt = booked.booking
    return fhir_response(appointment(appt), 201, {"Location": f"Appointment/{appt.reference}"})


@bp.get("/Appointment/<reference>")
@partner_only
def read_appointment(reference: str):  # type: ignore[no-untyped-def]
    appt, its_slot = partner_appointment(session=db(), reference=reference, api_key_id=g.api_key.id)
    return fhir_response(appointment(appt, ends_at=its_slot.ends_at if its_slot else None))
