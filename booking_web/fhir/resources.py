"""Phlebo's records as FHIR R4 resources with their UK Core profiles (plain dicts: the tests
parse every one with fhir.resources)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from booking_web.services.request_reading import RequestView, Tube
from shared.booking_facts import BookingFacts
from shared.models import Appointment, Site
from shared.timeutil import iso_local

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ODS_CODE = "https://fhir.nhs.uk/Id/ods-organization-code"
PROFILE = "https://fhir.hl7.org.uk/StructureDefinition/UKCore-{}"
# Our own identifier and code systems (Phlebo's numbers, and the service's test catalogue).
REQUEST_NUMBER = "https://phlebo.example.nhs.uk/Id/request-number"
PLACER_NUMBER = "https://phlebo.example.nhs.uk/Id/placer-order-number"
SPECIMEN_ID = "https://phlebo.example.nhs.uk/Id/specimen-id"
APPOINTMENT_REFERENCE = "https://phlebo.example.nhs.uk/Id/appointment-reference"
TEST_CODES = "https://phlebo.example.nhs.uk/CodeSystem/test"
APPOINTMENT_TYPES = "https://phlebo.example.nhs.uk/CodeSystem/appointment-type"
BOOKING_EXTENSION = "https://phlebo.example.nhs.uk/StructureDefinition/Extension-Booking"

# Request status -> ServiceRequest.status (active while it can still be taken).
STATUS = {"waiting": "active", "invited": "active", "booked": "active", "checked_in": "active",
          "collected": "completed", "cancelled": "revoked", "not_taken_up": "revoked"}
FHIR_TO_STATUSES = {"active": ("waiting", "invited", "booked", "checked_in"), "completed": ("collected",),
                    "revoked": ("cancelled", "not_taken_up")}
# Specimen type: SNOMED CT specimen concepts by container words; venous blood otherwise.
SPECIMEN_TYPES = (("serum", "119364003", "Serum specimen"), ("sst", "119364003", "Serum specimen"),
                  ("citrate", "119361006", "Plasma specimen"), ("fluoride", "119361006", "Plasma specimen"))
VENOUS_BLOOD = ("122555007", "Venous blood specimen")


def _meta(name: str) -> dict[str, Any]:
    return {"profile": [PROFILE.format(name)]}


def instant(at: dt.datetime) -> str:
    """An aware time as FHIR writes it (London offset)."""
    return iso_local(at)


def service_request(view: RequestView) -> dict[str, Any]:
    """A request as a UKCore-ServiceRequest: its tests in code.coding, the window in
    occurrencePeriod, the booking in an extension (a reference to the Appointment)."""
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest", "id": view.request_number, "meta": _meta("ServiceRequest"),
        "identifier": [{"system": REQUEST_NUMBER, "value": view.request_number}],
        "status": STATUS.get(view.status, "unknown"), "intent": "order",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "108252007",
                                  "display": "Laboratory procedure"}]}],
        "priority": "urgent" if view.urgency == "urgent" else "routine",
        "code": {"coding": [{"system": TEST_CODES, "code": code, "display": name} for code, name in view.tests],
                 "text": ", ".join(name for _code, name in view.tests)},
        "subject": {"identifier": {"system": NHS_NUMBER, "value": view.nhs_number},
                    **({"display": f"{view.given_name} {view.family_name}"} if view.family_name else {})},
        "authoredOn": instant(view.created_at),
        "requester": {"display": view.requester,
                      **({"identifier": {"system": ODS_CODE, "value": view.organisation_code}}
                         if view.organisation_code else {})},
    }
    if view.placer_number:
        resource["requisition"] = {"system": PLACER_NUMBER, "value": view.placer_number}
    if view.earliest and view.latest:
        resource["occurrencePeriod"] = {"start": view.earliest.isoformat(), "end": view.latest.isoformat()}
    if view.clinical_details:
        resource["note"] = [{"text": view.clinical_details}]
    if view.fasting:
        resource["patientInstruction"] = "Fast before the test: water only."
    if view.booking is not None:
        resource["extension"] = [{"url": BOOKING_EXTENSION,
                                  "valueReference": {"reference": f"Appointment/{view.booking.reference}"}}]
    return resource


def specimen(tube: Tube, view: RequestView) -> dict[str, Any]:
    """A collected tube as a UKCore-Specimen: its identifier is the barcode's specimen id."""
    words = tube.container.lower()
    code, display = next(((c, d) for key, c, d in SPECIMEN_TYPES if key in words), VENOUS_BLOOD)
    resource: dict[str, Any] = {
        "resourceType": "Specimen", "id": tube.specimen_id, "meta": _meta("Specimen"),
        "identifier": [{"system": SPECIMEN_ID, "value": tube.specimen_id}],
        "status": "available",
        "type": {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}],
                 "text": tube.container},
        "subject": {"identifier": {"system": NHS_NUMBER, "value": view.nhs_number}},
        "request": [{"reference": f"ServiceRequest/{view.request_number}"}],
        "container": [{"type": {"text": tube.container}}],
    }
    if tube.at is not None:
        resource["collection"] = {"collectedDateTime": instant(tube.at),
                                  **({"collector": {"display": tube.by}} if tube.by else {})}
    return resource


def location(site: Site) -> dict[str, Any]:
    """A site as a UKCore-Location."""
    return {
        "resourceType": "Location", "id": str(site.id), "meta": _meta("Location"),
        "status": "active" if site.active else "inactive", "name": site.name, "mode": "instance",
        "address": {"text": f"{site.address}, {site.postcode}", "postalCode": site.postcode},
        "position": {"latitude": site.latitude, "longitude": site.longitude},
        **({"description": site.access_notes} if site.access_notes else {}),
    }


def slot(*, slot_id: int, site_id: int, starts_at: dt.datetime, ends_at: dt.datetime, type_code: str,
         free: bool) -> dict[str, Any]:
    """A bookable time as a UKCore-Slot (its schedule is the site's)."""
    return {
        "resourceType": "Slot", "id": str(slot_id), "meta": _meta("Slot"),
        "serviceType": [{"coding": [{"system": APPOINTMENT_TYPES, "code": type_code}]}],
        "schedule": {"reference": f"Schedule/{site_id}", "display": f"Clinics at Location/{site_id}"},
        "status": "free" if free else "busy", "start": instant(starts_at), "end": instant(ends_at),
    }


def appointment(appt: Appointment | BookingFacts, *, ends_at: dt.datetime | None = None) -> dict[str, Any]:
    """A booking as a UKCore-Appointment, basedOn its ServiceRequest."""
    status = {"booked": "booked", "checked_in": "arrived", "collected": "fulfilled", "cancelled": "cancelled",
              "did_not_attend": "noshow"}.get(str(appt.status), "booked")
    resource: dict[str, Any] = {
        "resourceType": "Appointment", "id": appt.reference, "meta": _meta("Appointment"),
        "identifier": [{"system": APPOINTMENT_REFERENCE, "value": appt.reference}],
        "status": status,
        "serviceType": [{"coding": [{"system": APPOINTMENT_TYPES, "code": appt.type_code}]}],
        "start": instant(appt.starts_at), "slot": [{"reference": f"Slot/{appt.slot_id}"}],
        "participant": [{"actor": {"reference": f"Location/{appt.site_id}"}, "status": "accepted"},
                        {"actor": {"type": "Patient", "display": "the patient"}, "status": "accepted"}],
    }
    if ends_at is not None:
        resource["end"] = instant(ends_at)
    if appt.request_number:
        resource["basedOn"] = [{"reference": f"ServiceRequest/{appt.request_number}"}]
    return resource


def searchset(resources: list[dict[str, Any]], url: str) -> dict[str, Any]:
    """A search result Bundle."""
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "link": [{"relation": "self", "url": url}],
            "entry": [{"fullUrl": f"{resource['resourceType']}/{resource['id']}", "resource": resource,
                       "search": {"mode": "match"}} for resource in resources]}
