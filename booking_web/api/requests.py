"""Test requests from partner systems: POST /api/v1/requests, GET /api/v1/requests/{number},
POST /api/v1/requests/{number}/cancel. A key sees only the requests it made (another key's
request is a 404)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify

from booking_web.api import (
    CODE_STATUS,
    PARTNER,
    answer,
    bp,
    idempotent,
    json_body,
    keyed,
    require_key,
)
from booking_web.context import db, now, settings
from booking_web.services.lab_requests import Scope, Submitted, cancel_request, submit_request
from booking_web.services.request_reading import RequestView, get_request
from booking_web.services.staff_audit import Actor
from shared.models import LabRequest, RequestSource
from shared.nhs_number import format_nhs_number
from shared.references import format_reference
from shared.timeutil import iso_local

# A request that cannot change now (finished, at the clinic, a placer number already used).
CODE_STATUS.update({"placer_conflict": 409, "request_checked_in": 409, "request_finished": 409})
_FIELDS = ("organisation", "given_name", "family_name", "date_of_birth", "mobile", "email", "postcode", "earliest",
           "latest", "urgency", "clinical_details", "fasting", "ordering_provider", "language")


def _actor() -> Actor:
    """The partner key, as the audit log records it."""
    return Actor(None, f"api:{g.api_key.name}"[:60], f"Partner system {g.api_key.name}"[:100])


def request_json(view: RequestView) -> dict[str, Any]:
    """What a partner may see of a request: its status and every step, the booking, the tubes."""
    booking = view.booking
    return {
        "request_number": view.request_number,
        "status": view.status,
        "history": [{"status": s.status, "at": iso_local(s.at), "detail": s.detail} for s in view.history],
        "created_at": iso_local(view.created_at),
        "organisation": {"ods_code": view.organisation_code, "name": view.organisation_name}
        if view.organisation_code else None,
        "placer_order_number": view.placer_number or None,
        "requester": view.requester,
        "ordering_provider": view.ordering_provider,
        "nhs_number": format_nhs_number(view.nhs_number),
        "patient": {"given_name": view.given_name, "family_name": view.family_name,
                    "date_of_birth": view.date_of_birth.isoformat(),
                    "postcode": view.postcode or None} if view.date_of_birth else None,
        "tests": [{"code": code, "name": name} for code, name in view.tests],
        "urgency": view.urgency,
        "clinical_details": view.clinical_details,
        "fasting": view.fasting,
        "language": view.language or "en",
        "earliest": view.earliest.isoformat() if view.earliest else None,
        "latest": view.latest.isoformat() if view.latest else None,
        "booking": {
            "reference": booking.reference,
            "reference_display": format_reference(booking.reference),
            "status": booking.status,
            "start": iso_local(booking.starts_at),
            "site": {"id": booking.site_id, "name": booking.site_name},
        } if booking else None,
        "tubes": [
            {"specimen_id": t.specimen_id, "container": t.container, "tests": list(t.tests),
             "outcome": t.result or None, "reason": t.reason or None,
             "at": iso_local(t.at) if t.at else None, "by": t.by or None}
            for t in view.tubes
        ],
    }


def _scope() -> Scope:
    return Scope(api_key_id=g.api_key.id)


def _submitted(submitted: Submitted) -> tuple[int, dict[str, Any]]:
    """The answer to a new request: 201 with it, or 200 for a repeat of the same placer order."""
    view = get_request(session=db(), request_number=submitted.request.request_number,
                       scope=Scope(), actor=None, now=now())
    return (201 if submitted.created else 200), request_json(view)


@bp.post("/requests")
@require_key(PARTNER)
@idempotent
def post_request():  # type: ignore[no-untyped-def]
    data = json_body()
    submitted = submit_request(
        session=db(),
        nhs_number=data.get("nhs_number"),
        tests=data.get("tests"),
        requester=data.get("requester"),
        placer_number=data.get("placer_order_number"),
        api_key_id=g.api_key.id,
        source=RequestSource.API,
        actor=_actor(),
        settings=settings(),
        now=now(),
        once=keyed(_submitted),
        **{name: data.get(name) for name in _FIELDS},
    )
    return answer(_submitted, submitted)


@bp.get("/requests/<number>")
@require_key(PARTNER)
def get_request_status(number: str):  # type: ignore[no-untyped-def]
    view = get_request(session=db(), request_number=number, scope=_scope(), actor=_actor(), now=now())
    return jsonify(request_json(view))


def _cancelled(req: LabRequest) -> tuple[int, dict[str, Any]]:
    view = get_request(session=db(), request_number=req.request_number, scope=_scope(), actor=None, now=now())
    return 200, request_json(view)


@bp.post("/requests/<number>/cancel")
@require_key(PARTNER)
@idempotent
def cancel_lab_request(number: str):  # type: ignore[no-untyped-def]
    data = json_body()
    req = cancel_request(session=db(), request_number=number, scope=_scope(), reason=data.get("reason"),
                         actor=_actor(), now=now(), once=keyed(_cancelled))
    return answer(_cancelled, req)
