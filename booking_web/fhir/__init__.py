"""FHIR R4 (UK Core profiles) at /fhir/R4: requests in (ServiceRequest, or a transaction Bundle
of Patient + ServiceRequest), their status and specimens out, and booking (Location, Slot,
Appointment). JSON only (application/fhir+json); partner bearer keys; every error an
OperationOutcome with the right HTTP status. Bodies are read with fhir.resources (R4B models,
which R4 resources of these types parse with) so a malformed resource is refused before it
reaches a service; the requests themselves go through the same services as every other way in."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from booking_web.api import require_key
from booking_web.context import db
from booking_web.messages import field_words, words
from shared.errors import (
    BookingError,
    NotAllowed,
    NotFound,
    RateLimited,
    RuleViolation,
    SlotFull,
    ValidationFailed,
    problem,
)
from shared.models import KeyKind

bp = Blueprint("fhir", __name__)
FHIR_JSON = "application/fhir+json"


def fhir_response(resource: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A resource as application/fhir+json."""
    return Response(json.dumps(resource, ensure_ascii=False), status=status, mimetype=FHIR_JSON,
                    headers=headers or {})


def outcome(status: int, code: str, text: str, expression: list[str] | None = None) -> Response:
    """An OperationOutcome (one issue per field when `expression` names fields)."""
    issues = [{"severity": "error", "code": code, "diagnostics": text, **({"expression": [e]} if e else {})}
              for e in (expression or [""])]
    return fhir_response({"resourceType": "OperationOutcome", "issue": issues}, status)


_ISSUE = [(NotFound, 404, "not-found"), (SlotFull, 409, "conflict"), (RateLimited, 429, "throttled"),
          (NotAllowed, 403, "forbidden"), (RuleViolation, 422, "business-rule"), (ValidationFailed, 422, "invalid")]
# Field names the services use, as FHIRPath into what was sent.
FIELD_PATHS = {
    "nhs_number": "ServiceRequest.subject.identifier", "tests": "ServiceRequest.code",
    "organisation": "ServiceRequest.requester.identifier", "requester": "ServiceRequest.requester.display",
    "given_name": "Patient.name.given", "family_name": "Patient.name.family", "date_of_birth": "Patient.birthDate",
    "mobile": "Patient.telecom", "email": "Patient.telecom",
    "postcode": "Patient.address.postalCode", "earliest": "ServiceRequest.occurrencePeriod.start",
    "latest": "ServiceRequest.occurrencePeriod.end", "urgency": "ServiceRequest.priority",
    "clinical_details": "ServiceRequest.note", "placer_order_number": "ServiceRequest.requisition",
    "ordering_provider": "ServiceRequest.requester.display",
}


@bp.errorhandler(BookingError)
def _booking_error(error: BookingError) -> Response:
    db().rollback()
    if error.code == "unauthorised":
        return outcome(401, "login", words(error))
    if error.code == "placer_conflict":
        return outcome(409, "duplicate", words(error), [FIELD_PATHS["placer_order_number"]])
    status, code = next(((s, c) for kind, s, c in _ISSUE if isinstance(error, kind)), (422, "processing"))
    fields = field_words(error)
    if fields:
        issues = [{"severity": "error", "code": code, "diagnostics": text,
                   "expression": [FIELD_PATHS.get(name, name)]} for name, text in fields.items()]
        return fhir_response({"resourceType": "OperationOutcome", "issue": issues}, status)
    return outcome(status, code, words(error))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    code = {404: "not-found", 405: "not-supported", 415: "not-supported", 406: "not-supported"}.get(
        error.code or 500, "processing")
    return outcome(error.code or 500, code, error.description or error.name)


@bp.before_request
def _json_only() -> Response | None:
    """FHIR JSON only: a body must be application/fhir+json (or application/json)."""
    if request.method == "POST" and request.mimetype not in (FHIR_JSON, "application/json"):
        return outcome(415, "not-supported", "Send the resource as application/fhir+json")
    wanted = request.args.get("_format") or ""
    if wanted and wanted not in ("json", FHIR_JSON, "application/json"):
        return outcome(406, "not-supported", "Only JSON is supported (_format=json)")
    return None


# A partner bearer key (the JSON API's check: a refusal raised there becomes an OperationOutcome
# through this blueprint's handler); the key is in g.api_key.
partner_only = require_key(KeyKind.PARTNER)


def body() -> dict[str, Any]:
    """The request's JSON object, or ValidationFailed."""
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise ValidationFailed("fhir_json_object", fields={"body": problem("fhir_expected", what="a JSON object")})
    return data


from booking_web.fhir import requests, scheduling  # noqa: E402,F401  (registers the routes)
