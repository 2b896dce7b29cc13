"""What partner systems and kiosks read in the JSON API's `message` and `fields` when a request
is malformed (the words for the booking rules are the patients', patients.py)."""

from __future__ import annotations

from shared.wording import Words

API: dict[str, Words] = {
    "api_key_needed": "A valid API key is needed",
    "key_wrong_kind": "This key may not be used for that",
    "display_key_needed": "This screen needs its own display key",
    "body_not_json_object": "Send a JSON object in the request body",
    "text_unstorable": (  # also the pages' 400 (booking_web/request_guard.py)
        "Text must not contain a NUL character or invalid Unicode (a lone surrogate)"),
    "idempotency_key_invalid": (
        "The Idempotency-Key header must be 1 to {longest} visible ASCII characters, such as a UUID"),
    "idempotency_key_new": "Use a new UUID for each request",
    "idempotency_key_reused": (
        "This Idempotency-Key was used for a different request in the last 24 hours. "
        "Use a new key for each new request."),
    "idempotency_key_used": "Already used for a different request",
    "json_too_deep": "JSON must not be nested more than {deepest} levels deep",
    "request_in_progress": "That request is still being handled. Try again.",
    "json_object_expected": "Expected a JSON object",
    "query_invalid": "Check the query parameters",
    "site_id_whole_number": "Give site_id as a whole number",
    "date_iso": "Give date as YYYY-MM-DD",
    "appointment_type_give": "Give an appointment type: adult, child, fasting, gtt or inr",
    "patient_missing": "Give the patient's details",
    "object_expected": "Expected an object",
    "whole_number_needed": "{name} must be a whole number",
    "whole_number_expected": "Expected a whole number",
    "request_number_not_text": "request_number must be text",
    "up_to_characters": "Expected up to {longest} characters",
    "text_needed": "Give the {name}",
    "text_expected": "Expected text up to {longest} characters",
    "text_only_expected": "Expected text",
    "qr_not_text": "Give the QR code as text",
    "request_id_invalid": "Give request_id as a new UUID for each check-in attempt",
    "request_id_uuid": "Expected a UUID (version 4)",
    "request_id_reused": "That request_id was used for another check-in",
    "request_id_new": "Make a new request_id for each check-in",
    "results_list": "Give a list of results",
    "specimen_id_text": "Give the specimen id as text",
    "detail_text": "Give the detail as text",
    "tests_list": "Give a list of 1 to {most} test codes",
    "tests_not_text": "Test codes must be text",
    "tests_unknown": "Unknown test codes: {codes:list}",
    "requester_invalid": "Give who requested the tests (up to {longest} characters)",
    "request_invalid": "There is a problem with the request",
}
