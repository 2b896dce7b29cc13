"""The CapabilityStatement: exactly the interactions and search parameters /fhir/R4 serves."""

from __future__ import annotations

from typing import Any

from booking_web.fhir.resources import PROFILE


def _resource(kind: str, interactions: list[str], params: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {"type": kind, "profile": PROFILE.format(kind),
            "interaction": [{"code": i} for i in interactions],
            **({"searchParam": [{"name": n, "type": t, "documentation": d} for n, t, d in params]} if params else {})}


def capability_statement(base: str) -> dict[str, Any]:
    """What this server supports (the same list the routes serve)."""
    return {
        "resourceType": "CapabilityStatement", "id": "phlebo", "status": "active", "date": "2026-11-26",
        "kind": "instance", "fhirVersion": "4.0.1", "format": ["application/fhir+json", "json"],
        "publisher": "Phlebo", "implementation": {"description": "Phlebo blood test booking", "url": base},
        "rest": [{
            "mode": "server",
            "security": {"description": "A partner API key as a bearer token (Authorization: Bearer KEY)."},
            "interaction": [{"code": "transaction", "documentation": "A Bundle of one Patient and one ServiceRequest"}],
            "resource": [
                _resource("ServiceRequest", ["create", "read", "search-type"], [
                    ("requester", "token", "the requesting organisation's ODS code"),
                    ("status", "token", "active | completed | revoked")]),
                _resource("Specimen", ["search-type"], [("request", "reference", "ServiceRequest/{id}")]),
                _resource("Location", ["read", "search-type"], []),
                _resource("Slot", ["search-type"], [
                    ("schedule.actor", "reference", "Location/{id}"),
                    ("start", "date", "ge and lt, at most 14 days apart"),
                    ("status", "token", "free"),
                    ("service-type", "token", "appointment type: adult, child, fasting, gtt, inr")]),
                _resource("Appointment", ["create", "read"], []),
            ],
        }],
    }
