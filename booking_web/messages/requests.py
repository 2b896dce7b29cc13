"""What requesters, their systems and invited patients read when a test request cannot be made,
changed or booked (GP practices' requests: the API, the requester's pages, the invitation link)."""

from __future__ import annotations

from shared.locales import N_
from shared.wording import Choice, Words

_WINDOW_DATES = {"earliest": "earliest date", "latest": "latest date"}

REQUESTS: dict[str, Words] = {
    # Organisations
    "organisation_not_found": "That organisation does not exist.",
    "organisation_invalid": "There is a problem with the organisation",
    "organisation_name_invalid": "Enter the organisation's name (up to {longest} characters)",
    "organisation_address_invalid": "Enter the address in up to {longest} characters",
    "organisation_ods_exists": "An organisation with ODS code {ods_code} already exists",
    "ods_code_missing": "Enter the organisation's ODS code",
    "ods_code_invalid": "An ODS code is 3 to 6 letters and numbers, like B86001",
    "organisation_ods_unknown": "No organisation has ODS code {ods_code}",
    "organisation_ods_needed": "A requester needs the ODS code of their organisation",
    "organisation_only_requester": "Only a requester belongs to an organisation",
    # A new request
    "request_not_in_scope": "No request has that number.",
    "requester_organisation_paused": "Your organisation may not request tests at the moment",
    "request_ods_unknown": "No organisation that may request tests has that ODS code",
    "placer_number_invalid": "Give the placer order number as text of up to {longest} characters",
    "placer_needs_organisation": "A placer order number needs the ODS code of the organisation that sent it",
    "placer_conflict": "That placer order number was already used for another patient",
    "placer_other_patient": "Already used for a different NHS number",
    "patient_mobile_invalid": "Enter the patient's UK mobile phone number, like 07700 900 982",
    "patient_email_invalid": "Enter the patient's email address in the correct format, like name@example.com",
    "invite_needs_patient": "To invite the patient to book, give their names and date of birth",
    "request_postcode_invalid": "Enter the patient's full home postcode, like LS1 4AB",
    "invite_needs_window": "To invite the patient to book, give the dates to take the test between",
    "urgency_choose": "Choose routine or urgent",
    "clinical_details_invalid": "Clinical details must be text of up to {longest} characters",
    "ordering_provider_invalid": "Give the ordering provider as text of up to {longest} characters",
    "fasting_not_boolean": "Give fasting as true or false",
    "request_language_invalid": "Give the patient's language as a BCP 47 language tag, like cy or cy-GB",
    "window_date_missing": Choice("which", {
        which: f"Enter the {name} as YYYY-MM-DD" for which, name in _WINDOW_DATES.items()}),
    "window_date_invalid": Choice("which", {
        which: f"The {name} must be a real date written as YYYY-MM-DD" for which, name in _WINDOW_DATES.items()}),
    "window_earliest_past": "The earliest date must be today or later",
    "window_latest_before_earliest": "The latest date must be the same as or after the earliest date",
    "window_latest_too_far": "The latest date must be within a year from today",
    "request_dob_mismatch": (
        "The date of birth does not match our record for this NHS number. Check the NHS "
        "number and date of birth: a request is never added to another person's record."),
    "request_name_mismatch": (
        "The name does not match our record for this NHS number. Check the NHS number and "
        "the name; if the patient's name has changed, ask the booking team to update the record."),
    # Cancelling a request
    "request_cancel_reason_missing": "Give a reason for cancelling",
    "request_cancel_reason_enter": "Enter why the request is cancelled (up to {longest} characters)",
    "request_checked_in": "The patient has checked in for this test. Contact the clinic to stop it.",
    "request_finished": "This request has finished and cannot be cancelled.",
    "request_changed": "This request changed a moment ago. Look at it again.",
    # Booking for a request
    "request_other_details": N_("That test request number does not match the patient's details"),
    "request_booked": N_("This test request already has a booking. To change it, use the "
                       "reference in your confirmation."),
    "request_booked_today": N_("This test request already has a booking today."),
    "request_done": N_("This blood test has already been done."),
    "request_cancelled": N_("This test request was cancelled by the practice that asked for it. "
                          "Contact them if you think you still need a test."),
    "request_lapsed": N_("The time for this test request has ended. Contact the practice that asked for it."),
    "request_closed": N_("This test request cannot be booked."),
    "request_window": N_("The test was asked for between {earliest:date} and {latest:date}. "
                       "Choose a date between them."),
    # The invitation link
    "invitation_link_bad": N_(
        "This link does not work. Check you have the whole link from your message, or contact "
        "the practice that asked for your blood test."),
    "invitation_dob_mismatch": N_(
        "That date of birth does not match the one your GP practice gave us. Check it and try again."),
    # Tubes at the chair
    "tubes_unanswered": "Say what happened to each tube",
    "tube_unanswered": "Say whether the {container} tube ({tests}) was collected",
}

# Partner systems over FHIR and HL7 (issue 13): the code map, bookings for a request, labels
REQUESTS.update({
    "external_code_missing": "Enter the code the organisation's system sends",
    "external_code_invalid": "The code must be up to {longest} characters, without line breaks",
    "code_test_choose": "Choose the catalogue test it means",
    "code_map_invalid": "There is a problem with the code",
    "external_code_added": "{code} was added a moment ago: look again",
    "code_not_in_map": "That code is not in the map.",
    "request_without_patient": (
        "The request does not name the patient (name and date of birth), so it cannot be booked"),
    "fhir_slot_not_found": "That Slot does not exist.",
    "fhir_appointment_not_found": "No Appointment has that id.",
    "fhir_location_not_found": "No Location has that id.",
    "specimen_range_used": (
        "The specimen numbers agreed with the laboratory are used up (PHLEBO_SPECIMEN_RANGE): labels "
        "cannot be printed."),
    # What the FHIR edge itself refuses in what was sent
    "fhir_resource_invalid": "The {resource} is not a valid FHIR R4 resource",
    "fhir_detail": "{detail}",
    "fhir_send": "Send a {resource}",
    "fhir_expected": "Expected {what}",
    "fhir_json_object": "Send a FHIR resource as a JSON object",
    "fhir_service_request_refused": "The ServiceRequest cannot be taken",
    "fhir_profile_claim": "Claim the profile {profile}",
    "fhir_new_request_status": "A new request has status active and intent order",
    "fhir_subject_unknown": "The subject refers to no Patient sent with it",
    "fhir_nhs_identifier": "Identify the patient by NHS number ({system})",
    "fhir_bundle_shape": "Send one ServiceRequest and at most one Patient",
    "fhir_bundle_entries": "Expected a Patient and a ServiceRequest",
    "fhir_appointment_refused": "The Appointment cannot be booked",
    "fhir_one_slot": "Give one Slot/{{id}}",
    "fhir_based_on": "Give the ServiceRequest/{{id}} the booking is for",
    # Walk-ins at the kiosk (a patient with a request and no booking), and their cap
    "no_request": ("We could not find a blood test request for you today. Please speak to reception, or book "
                   "an appointment online."),
    "no_walk_ins": "This clinic only sees patients with an appointment. Please book online or speak to reception.",
    "no_clinic": "There is no clinic running now. Please speak to reception or book online.",
    "walk_ins_full": "We cannot take more walk-in patients just now. Please speak to reception or book online.",
    "walk_in_cap_invalid": "Give the walk-in cap as a whole number from 1 to 500",
    "walk_in_cap_range": "1 to 500",
    "walk_in_per_invalid": "Count walk-ins per hour or per session",
    "walk_in_per_choices": "hour or session",
    # What an HL7 cancel (ORC-1 CA) names that is not held
    "hl7_organisation_unknown": "No organisation that may request tests has ODS code {ods_code}",
    "hl7_order_unknown": "No order with this placer order number is held for this patient",
})
