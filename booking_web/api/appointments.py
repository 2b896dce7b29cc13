"""Sites, free slots and appointments for partner systems."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Any

from flask import current_app, g, jsonify, request

from booking_web.api import PARTNER, answer, bp, idempotent, json_body, key_proof, keyed, require_key
from booking_web.context import db, now, settings
from booking_web.services import availability, booking, ratelimit
from booking_web.services.appointment_summary import type_by_code
from shared.errors import Problem, ValidationFailed, problem
from shared.booking_facts import BookingFacts, SiteFacts
from shared.models import Appointment, BookingChannel, Site
from shared.nhs_number import format_nhs_number
from shared.references import format_reference
from shared.timeutil import iso_local, london_today
from shared.validation import as_id, parse_iso_date, patient_from_fields


def _site_json(site: Site | SiteFacts) -> dict[str, Any]:
    return {"id": site.id, "name": site.name, "address": site.address, "postcode": site.postcode,
            "access_notes": site.access_notes, "paediatric": site.paediatric}


def appointment_json(appt: Appointment | BookingFacts, *, site: Site | SiteFacts | None = None,
                     type_name: str | None = None) -> dict[str, Any]:
    """What a partner may see of an appointment (its site and type's name are looked up unless
    given: a new booking gives the plain values it read)."""
    site = site or db().get(Site, appt.site_id)  # also when the site has since closed
    if type_name is None:
        atype = type_by_code(session=db(), code=appt.type_code)
        type_name = atype.name if atype else appt.type_code
    return {
        "reference": appt.reference,
        "reference_display": format_reference(appt.reference),
        "status": appt.status,
        "appointment_type": appt.type_code,
        "appointment_type_name": type_name,
        "slot_id": appt.slot_id,
        "site": _site_json(site) if site else None,
        "start": iso_local(appt.starts_at),
        "request_number": appt.request_number,
    }


def _dob(value: object) -> dt.date:
    dob, wrong = parse_iso_date(value, today=london_today(now()))
    if wrong:
        raise ValidationFailed(wrong, fields={"date_of_birth": wrong})
    assert dob is not None
    return dob


def _int_field(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("whole_number_needed", fields={name: problem("whole_number_expected")}, name=name)
    return as_id(value) or 0  # a number no row can have (0, -1, 10**30) finds nothing


@bp.get("/sites")
@require_key(PARTNER, proven_by_view=True)
def list_sites():  # type: ignore[no-untyped-def]
    sites = availability.partner_sites(session=db(), key=key_proof())
    return jsonify({"sites": [_site_json(s) for s in sites]})


@bp.get("/slots")
@require_key(PARTNER, proven_by_view=True)
def list_slots():  # type: ignore[no-untyped-def]
    errors: dict[str, Problem] = {}
    site_id = as_id(request.args.get("site_id", ""))
    if site_id is None:
        errors["site_id"] = problem("site_id_whole_number")
    try:
        day = dt.date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        errors["date"] = problem("date_iso")
    code = request.args.get("appointment_type", "")
    if not availability.type_exists(session=db(), code=code):
        errors["appointment_type"] = problem("appointment_type_give")
    if errors:
        raise ValidationFailed("query_invalid", fields=errors)
    slots = availability.free_slot_times(session=db(), site_id=site_id, day=day, type_code=code, now=now(),
                                         settings=settings(), key=key_proof())
    # The document jsonify wrote (keys sorted, compact), from each slot's text kept per process:
    # only "remaining" is new on each request (encoding 72 slots was a fifth of the request).
    listed = []
    for times, remaining in slots:
        head, tail = _slot_json(times)
        listed.append(f"{head}{remaining}{tail}")
    return current_app.response_class(f'{{"slots":[{",".join(listed)}]}}\n', mimetype="application/json")


@lru_cache(maxsize=16384)
def _slot_json(times: availability.SlotTimes) -> tuple[str, str]:
    """A listed slot's JSON object before and after its "remaining" value."""
    head = json.dumps({"end": iso_local(times.ends_at), "id": times.slot_id}, separators=(",", ":"))
    tail = json.dumps({"site_id": times.site_id, "start": iso_local(times.starts_at)}, separators=(",", ":"))
    return f'{head[:-1]},"remaining":', f",{tail[1:]}"


@bp.post("/appointments")
@require_key(PARTNER, proven_by_view=True)
@idempotent
def create_appointment():  # type: ignore[no-untyped-def]
    data = json_body()
    raw_patient = data.get("patient")
    if not isinstance(raw_patient, dict):
        raise ValidationFailed("patient_missing", fields={"patient": problem("object_expected")})
    slot_id = _int_field(data, "slot_id")
    request_number = data.get("request_number")
    if request_number is not None and (not isinstance(request_number, str) or not 1 <= len(request_number) <= 20):
        raise ValidationFailed("request_number_not_text",
                               fields={"request_number": problem("up_to_characters", longest=20)})
    patient = patient_from_fields(raw_patient, today=london_today(now()))

    def render(booked: booking.Booked) -> tuple[int, dict[str, Any]]:
        body = appointment_json(booked.booking, site=booked.site, type_name=booked.atype.name)
        body["nhs_number"] = format_nhs_number(patient.nhs_number) if patient.nhs_number else None
        return 201, body

    booked = booking.book_appointment(session=db(), slot_id=slot_id, type_code=data.get("appointment_type", ""),
                                      patient=patient, now=now(), settings=settings(),
                                      request_number=request_number, source=f"API key: {g.api_key.name}",
                                      channel=BookingChannel.API, once=keyed(render),
                                      key=key_proof())
    return answer(render, booked)


def _appointment_answer(appt: Appointment) -> tuple[int, dict[str, Any]]:
    return 200, appointment_json(appt)


def _limit_lookup(reference: str) -> None:
    """Partner systems serve many patients: limited per reference only."""
    ratelimit.limit_lookup(session=db(), settings=settings(), now=now(), reference=reference)


@bp.get("/appointments/<reference>")
@require_key(PARTNER)
def get_appointment(reference: str):  # type: ignore[no-untyped-def]
    _limit_lookup(reference)
    appt = booking.find_appointment(session=db(), reference=reference,
                                    date_of_birth=_dob(request.args.get("date_of_birth")))
    return jsonify(appointment_json(appt))


@bp.post("/appointments/<reference>/reschedule")
@require_key(PARTNER)
@idempotent
def reschedule(reference: str):  # type: ignore[no-untyped-def]
    _limit_lookup(reference)
    data = json_body()
    appt = booking.reschedule_appointment(session=db(), reference=reference, date_of_birth=_dob(data.get("date_of_birth")),
                                          new_slot_id=_int_field(data, "slot_id"), now=now(), settings=settings(),
                                          once=keyed(_appointment_answer))
    return answer(_appointment_answer, appt)


@bp.post("/appointments/<reference>/cancel")
@require_key(PARTNER)
@idempotent
def cancel(reference: str):  # type: ignore[no-untyped-def]
    _limit_lookup(reference)
    data = json_body()
    appt = booking.cancel_appointment(session=db(), reference=reference, date_of_birth=_dob(data.get("date_of_birth")),
                                      now=now(), once=keyed(_appointment_answer))
    return answer(_appointment_answer, appt)
