"""FHIR ServiceRequest (create, read, search), a transaction Bundle of Patient + ServiceRequest,
Specimen search, and the CapabilityStatement. A ServiceRequest is one Phlebo request: its tests
are the codings of `code` (catalogue codes, or the requesting organisation's own codes through
its code map), `requisition` is the placer order number (a repeat is the same request),
`requester.identifier` the organisation's ODS code, `occurrencePeriod` the window."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask import g, request
from pydantic import ValidationError

from booking_web.context import db, now, settings
from booking_web.fhir import body, bp, fhir_response, outcome, partner_only
from booking_web.fhir.capability import capability_statement
from booking_web.fhir.resources import (
    FHIR_TO_STATUSES,
    NHS_NUMBER,
    ODS_CODE,
    PROFILE,
    searchset,
    service_request,
    specimen,
)
from booking_web.services.lab_requests import Scope, submit_request
from booking_web.services.order_defaults import order_window
from booking_web.services.request_reading import get_request, list_requests
from booking_web.services.staff_audit import Actor
from shared.errors import Problem, ValidationFailed, problem
from shared.locales import language_of_tag
from shared.models import RequestSource
from shared.timeutil import london_today

# fhir.resources' R4B models (with PyYAML, about 4 MiB a web worker) are imported by the views
# that read a FHIR body, when a worker first gets one, not with the site: most workers never do.
if TYPE_CHECKING:
    from fhir.resources.R4B.patient import Patient as FhirPatient
    from fhir.resources.R4B.servicerequest import ServiceRequest


def _actor() -> Actor:
    return Actor(None, f"fhir:{g.api_key.name}"[:60], f"Partner system {g.api_key.name} (FHIR)"[:100])


def _invalid(exc: ValidationError, resource: str) -> ValidationFailed:
    """pydantic's complaint about a resource, as fields named by FHIRPath."""
    fields: dict[str, Problem] = {}
    for error in exc.errors()[:20]:
        path = ".".join(str(p) for p in error["loc"] if not str(p).isdigit() and not str(p).startswith("function"))
        fields[f"{resource}.{path}" if path else resource] = problem("fhir_detail", detail=error["msg"][:200])
    return ValidationFailed("fhir_resource_invalid", fields=fields, resource=resource)


def _parse(model: Any, data: dict[str, Any], resource: str) -> Any:
    if data.get("resourceType") != resource:
        raise ValidationFailed("fhir_send", fields={"resourceType": problem("fhir_expected", what=resource)},
                               resource=resource)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc, resource) from None


# Address uses that are not where the patient lives now (FHIR R4 address-use value set).
_NOT_HOME = {"work", "old", "billing"}
_UK = {"", "GB", "GBR", "UK", "826", "UNITED KINGDOM", "ENGLAND", "WALES", "SCOTLAND", "NORTHERN IRELAND"}


def _postcode(patient: FhirPatient) -> str:
    """Patient.address[].postalCode of the home address (use home, else one with no use or
    temp), leaving out old, work and billing addresses and addresses outside the UK."""
    found = [(a.use, a.postalCode) for a in patient.address or []
             if a.postalCode and a.use not in _NOT_HOME and (a.country or "").strip().upper() in _UK]
    return next((code for use, code in found if use == "home"), found[0][1] if found else "")


BCP_47 = "urn:ietf:bcp:47"


def _language(patient: FhirPatient) -> str:
    """Patient.communication[].language (UK Core: a BCP 47 tag, system urn:ietf:bcp:47) of the
    entry marked preferred, else the first: the language for the patient's messages ('' for
    English, a language we do not offer, or a code that is not a tag: never a refusal)."""
    entries = patient.communication or []
    chosen = next((c for c in entries if c.preferred), entries[0] if entries else None)
    if chosen is None or chosen.language is None:
        return ""
    tags = [c.code for c in chosen.language.coding or [] if c.code and c.system in (BCP_47, None)]
    return next((code for code in (language_of_tag(t) for t in tags) if code), "")


def _patient_fields(patient: FhirPatient | None, nhs_number: str) -> dict[str, Any]:
    if patient is None:
        return {"nhs_number": nhs_number}
    if not nhs_number:
        nhs_number = next((i.value for i in patient.identifier or [] if i.system == NHS_NUMBER and i.value), "")
    name = patient.name[0] if patient.name else None
    phones = [t.value for t in patient.telecom or [] if t.system in ("phone", "sms") and t.value]
    mobile = next((p for p in phones if p.replace(" ", "").startswith(("07", "+447"))), phones[0] if phones else "")
    email = next((t.value for t in patient.telecom or [] if t.system == "email" and t.value), "")
    return {"nhs_number": nhs_number, "family_name": name.family if name else None,
            "given_name": (name.given or [None])[0] if name else None,
            "date_of_birth": patient.birthDate, "mobile": mobile, "email": email, "postcode": _postcode(patient),
            "language": _language(patient)}


def _request_fields(sr: ServiceRequest, patients: dict[str, FhirPatient]) -> dict[str, Any]:
    """submit_request's arguments from a ServiceRequest (and the Patient it refers to)."""
    from fhir.resources.R4B.patient import Patient as FhirPatient

    problems: dict[str, Problem] = {}
    if PROFILE.format("ServiceRequest") not in [str(p) for p in (sr.meta.profile or [])] if sr.meta else True:
        problems["ServiceRequest.meta.profile"] = problem("fhir_profile_claim",
                                                          profile=PROFILE.format("ServiceRequest"))
    if sr.status != "active" or sr.intent != "order":
        problems["ServiceRequest.status"] = problem("fhir_new_request_status")
    subject = sr.subject
    nhs = (subject.identifier.value or "") if subject.identifier and subject.identifier.system == NHS_NUMBER else ""
    patient: FhirPatient | None = None
    if subject.reference:
        key = subject.reference.lstrip("#")
        patient = patients.get(subject.reference) or next(
            (c for c in sr.contained or [] if isinstance(c, FhirPatient) and c.id == key), None)
        if patient is None:
            problems["ServiceRequest.subject"] = problem("fhir_subject_unknown")
    if not nhs and patient is None:
        problems["ServiceRequest.subject.identifier"] = problem("fhir_nhs_identifier", system=NHS_NUMBER)
    if problems:
        raise ValidationFailed("fhir_service_request_refused", fields=problems)
    requester = sr.requester
    ods = requester.identifier.value if requester and requester.identifier and \
        requester.identifier.system == ODS_CODE else None
    period = sr.occurrencePeriod
    return {
        **_patient_fields(patient, nhs),
        "tests": [c.code for c in (sr.code.coding or []) if c.code] if sr.code else [],
        "requester": (requester.display if requester and requester.display else None),
        "organisation": ods,
        "placer_number": sr.requisition.value if sr.requisition else None,
        "earliest": _date(period.start) if period else None,
        "latest": _date(period.end) if period else None,
        "urgency": "urgent" if sr.priority in ("urgent", "asap", "stat") else "routine",
        "clinical_details": " ".join(n.text for n in sr.note or [] if n.text) or None,
    }


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _submit(fields: dict[str, Any]) -> tuple[str, bool]:
    if fields.get("earliest") or fields.get("latest") or fields.get("mobile") or fields.get("email"):
        fields["earliest"], fields["latest"] = order_window(
            earliest=fields.get("earliest"), latest=fields.get("latest"), urgency=fields["urgency"],
            today=london_today(now()))
    submitted = submit_request(session=db(), api_key_id=g.api_key.id, source=RequestSource.FHIR, actor=_actor(),
                               settings=settings(), now=now(), **fields)
    return submitted.request.request_number, submitted.created


def _read(number: str) -> dict[str, Any]:
    view = get_request(session=db(), request_number=number, scope=Scope(api_key_id=g.api_key.id), actor=None,
                       now=now())
    return service_request(view)


@bp.get("/metadata")
def metadata():  # type: ignore[no-untyped-def]
    return fhir_response(capability_statement(request.url_root.rstrip("/") + "/fhir/R4"))


@bp.post("/ServiceRequest")
@partner_only
def create_service_request():  # type: ignore[no-untyped-def]
    from fhir.resources.R4B.servicerequest import ServiceRequest

    sr = _parse(ServiceRequest, body(), "ServiceRequest")
    number, created = _submit(_request_fields(sr, {}))
    return fhir_response(_read(number), 201 if created else 200, {"Location": f"ServiceRequest/{number}"})


@bp.post("/")
@partner_only
def transaction():  # type: ignore[no-untyped-def]
    from fhir.resources.R4B.bundle import Bundle

    bundle = _parse(Bundle, body(), "Bundle")
    if bundle.type != "transaction":
        raise ValidationFailed("fhir_send", fields={"Bundle.type": problem("fhir_expected", what="transaction")},
                               resource="transaction Bundle")
    patients = {e.fullUrl: e.resource for e in bundle.entry or []
                if e.resource is not None and e.resource.get_resource_type() == "Patient" and e.fullUrl}
    requests = [e.resource for e in bundle.entry or []
                if e.resource is not None and e.resource.get_resource_type() == "ServiceRequest"]
    others = [e for e in bundle.entry or [] if e.resource is None
              or e.resource.get_resource_type() not in ("Patient", "ServiceRequest")]
    if len(requests) != 1 or len(patients) > 1 or others:
        raise ValidationFailed("fhir_bundle_shape", fields={"Bundle.entry": problem("fhir_bundle_entries")})
    number, created = _submit(_request_fields(requests[0], patients))
    status = "201 Created" if created else "200 OK"
    entries = [{"response": {"status": status, "location": f"ServiceRequest/{number}"}, "resource": _read(number)}]
    if patients:
        entries.insert(0, {"response": {"status": "200 OK"}})
    return fhir_response({"resourceType": "Bundle", "type": "transaction-response", "entry": entries}, 200)


@bp.get("/ServiceRequest/<number>")
@partner_only
def read_service_request(number: str):  # type: ignore[no-untyped-def]
    return fhir_response(_read(number))


@bp.get("/ServiceRequest")
@partner_only
def search_service_requests():  # type: ignore[no-untyped-def]
    unknown = set(request.args) - {"requester", "status", "_format"}
    if unknown:
        return outcome(400, "not-supported", "Search by requester and status only", sorted(unknown))
    status = request.args.get("status", "")
    if status and status not in FHIR_TO_STATUSES:
        return outcome(400, "value", "status is active, completed or revoked", ["status"])
    requester = request.args.get("requester", "")
    ods = requester.split("|", 1)[1] if "|" in requester else requester
    views = []
    for ours in FHIR_TO_STATUSES.get(status, (None,)):  # type: ignore[arg-type]
        page = list_requests(session=db(), scope=Scope(api_key_id=g.api_key.id), status=ours)
        views.extend(page.rows)
    found = [service_request(v) for v in views if not ods or v.organisation_code == ods.upper()]
    return fhir_response(searchset(found, request.url))


@bp.get("/Specimen")
@partner_only
def search_specimens():  # type: ignore[no-untyped-def]
    wanted = request.args.get("request", "")
    if not wanted.startswith("ServiceRequest/"):
        return outcome(400, "required", "Search as Specimen?request=ServiceRequest/{id}", ["request"])
    view = get_request(session=db(), request_number=wanted.split("/", 1)[1], scope=Scope(api_key_id=g.api_key.id),
                       actor=None, now=now())
    tubes = [specimen(t, view) for t in view.tubes if t.result == "collected"]
    return fhir_response(searchset(tubes, request.url))
