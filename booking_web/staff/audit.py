"""The audit log page for admins: what staff did to patients' bookings and requests, and every
change to how the service is set up, in plain words, newest first, filtered by action."""

from __future__ import annotations

from flask import render_template, request

from booking_web.context import db
from booking_web.services import staff_audit
from booking_web.staff import bp, role_required
from shared.models import Role

# The log's action codes (as stored, and as the page's filter names them) in plain words.
PATIENT_ACTIONS = {
    "view": "Looked at a patient's details",
    "search": "Searched for a patient and found nobody",
    "call": "Called a patient",
    "identify": "Confirmed who the patient is at the chair",
    "identify failed": "Could not confirm who the patient is at the chair",
    "collect": "Recorded the blood taken",
    "reprint": "Reprinted labels",
    "cancel": "Cancelled a booking",
    "attach_request": "Added a test request to a booking",
    "correct_name": "Corrected a patient's name",
    "booking_refused": "Booking refused: the details did not match the patient's record",
    "walk-in": "Checked in a walk-in",
    "walk-in refused": "Walk-in refused",
    "request_create": "Made a test request",
    "request_view": "Looked at a test request",
    "request_cancel": "Cancelled a test request",
}
SETUP_ACTIONS = {
    "site_add": "Added a site",
    "site_change": "Changed a site",
    "clinic_sessions_add": "Added clinic sessions",
    "close_day": "Closed a day",
    "label settings": "Changed where a site's labels print",
    "call screen settings": "Changed a site's call screen",
    "chair_add": "Added a chair",
    "chair_change": "Changed a chair",
    "walk_in_settings": "Changed a site's walk-ins",
    "test_add": "Added a test to the catalogue",
    "test_change": "Changed a test in the catalogue",
    "catalogue_import": "Imported the test catalogue",
    "organisation_add": "Added an organisation",
    "organisation_change": "Changed an organisation",
    "code_map_set": "Set what an organisation's test code means",
    "code_map_remove": "Removed an organisation's test code",
    "staff_add": "Added a staff account",
    "api_key_add": "Made an API key",
    "message_resend": "Sent a message to a patient again",
}
ACTION_WORDS = {**PATIENT_ACTIONS, **SETUP_ACTIONS}


@bp.get("/admin/audit")
@role_required(Role.ADMIN)
def audit() -> str:
    """Staff actions on patient data and changes to the service's set-up, newest first."""
    action = request.args.get("action") or None
    return render_template(
        "staff/admin/audit.html",
        rows=staff_audit.list_audit(session=db(), action=action),
        action=action,
        groups=(("Patients", PATIENT_ACTIONS), ("Set-up", SETUP_ACTIONS)),
        words=ACTION_WORDS,
    )
