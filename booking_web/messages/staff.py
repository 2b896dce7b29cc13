"""What staff read when something cannot be done: the today page, chairs and labels, the admin
forms, the outbox, signing in, and the test catalogue file on the command line."""

from __future__ import annotations

from typing import Any

from shared.wording import Choice, Words


def _with_code(params: dict[str, Any]) -> str:
    return "code" if params["code"] else "none"


STAFF: dict[str, Words] = {
    # The today page and the patient page
    "booking_not_at_site": "That booking is not at this site.",
    "booking_not_found_staff": "That booking was not found.",
    "collect_not_checked_in": "Only a checked-in patient can have their blood taken.",
    "cancel_reason_missing": "Give a reason for cancelling",
    "cancel_reason_enter": "Enter why the booking is cancelled",
    "name_reason_missing": (
        "Enter why the name is being corrected, like 'Changed name on marriage, checked with "
        "the patient'"),
    "name_reason_invalid": "The reason must be {longest} characters or fewer, in plain text",
    "name_unchanged": (
        "That is the name we already hold. Change the first or last name, or go back."),
    "name_correction_invalid": "Check the corrected name",
    "request_number_unknown": "No request has that number",
    "request_number_check": "Check the request number",
    "request_other_patient": "That request is for a different patient",
    "request_too_late": "Requests can only be added before the blood is taken.",
    # Find a patient
    "find_patient_missing": "Enter the patient's NHS number or booking reference",
    "find_patient_nhs_length": (
        "An NHS number is 10 digits, like 999 123 4567: this has {digits}. Check it with the "
        "patient"),
    "find_patient_nhs_check": (
        "This is not a valid NHS number: a digit is wrong or two are swapped. Check it with the "
        "patient"),
    "find_patient_unreadable": (
        "Enter a 10-digit NHS number, like 999 123 4567, or a booking reference of 9 letters and "
        "numbers, like ABC-DEF-GHJ"),
    # Labels at the chair
    "chair_missing": "Choose the chair",
    "chair_yours": "Choose your chair",
    "chair_qr_unreadable": "This QR code cannot be read",
    "chair_qr_not_ours": (
        "This is not a Phlebo QR code: scan the code on the patient's letter or phone again, "
        "or type their date of birth"),
    "chair_qr_other_booking": "This QR code is for another booking",
    "chair_qr_other_booking_check": (
        "This QR code is for another booking: check you have the right patient"),
    "chair_identity_missing": "Confirm who the patient is",
    "chair_identity_how": (
        "Scan the QR code on the patient's letter or phone, or type their date of birth"),
    "chair_dob_mismatch": "The date of birth does not match this booking",
    "chair_dob_mismatch_check": (
        "The date of birth does not match this booking: check you have the right patient"),
    "not_chair_mode": "Labels at this site print at check-in.",
    "identify_not_checked_in": "Only a checked-in patient can be identified at the chair.",
    "chair_not_in_use": "That chair is not in use",
    "chair_choose": "Choose a chair",
    # Reprints and print jobs
    "reprint_reason_missing": "Give a reason for the reprint",
    "reprint_reason_select": "Select why the label is reprinted",
    "reprint_reason_enter": "Enter why the label is reprinted",
    "label_not_found": "No such label at this site.",
    "reprint_cap": (
        "This label has been reprinted {done} times, the most allowed. Ask a supervisor to "
        "check the tube and print a new request."),
    "label_waiting": (
        "This label has not printed yet: it is waiting for the {chair_name} printer and prints "
        "by itself once the printer is ready."),
    "label_waiting_site": (
        "This label has not printed yet: it is waiting for the site's label printer and prints "
        "by itself once the printer is ready."),
    "reprint_check_printer": (
        "This label may already have printed. Check the printer before reprinting"),
    "reprint_confirm_not_printed": "Check the printer, then confirm this label is not on it",
    "print_job_not_found": "No such print job.",
    "print_job_empty": "That print job has no labels.",
    "print_result_invalid": "There is a problem with the print result",
    "label_not_of_job": "Not a label of this job",
    "outcome_invalid": "Use confirmed, unconfirmed or not_sent",
    "printer_status_invalid": "Use ok, fault or unknown",
    # Admin: label settings and chairs
    "print_at_missing": "Choose where labels print",
    "transfusion_labels_need_chair": (
        "Transfusion labels can only be printed at the chair: choose 'At the chair' or "
        "hand-label them"),
    "transfusion_approver_missing": (
        "Enter who in the laboratory approved printed transfusion labels"),
    "print_at_chair_needs_chair": (
        "Add a chair with its label printer before printing at the chair"),
    "label_settings_invalid": "There is a problem with the label settings",
    "chair_not_found": "No such chair at this site.",
    "chair_name_invalid": (
        "Enter the chair or room name (up to {longest} characters), e.g. Chair 2"),
    "chair_name_taken": "Another chair at this site has that name",
    "printer_address_missing": "Enter the label printer's address, e.g. zpl+tcp://10.1.2.3:9100",
    "printer_address_invalid": "{detail}",  # label_printer's own words for a bad address
    "chair_invalid": "There is a problem with the chair",
    # Admin: sites, clinics, the test catalogue, staff and keys
    "not_one_line": Choice("thing", {
        "site_name": "The site name must be on one line, with no tabs or hidden characters",
        "test_name": "The test name must be on one line, with no tabs or hidden characters",
        "tube_type": "The tube type must be on one line, with no tabs or hidden characters",
        "chair_name": "The chair name must be on one line, with no tabs or hidden characters",
        "username": "The username must be on one line, with no tabs or hidden characters",
        "staff_name": "The name must be on one line, with no tabs or hidden characters",
    }),
    "site_not_found": "No such site.",
    "site_missing": "Select a site",
    "site_choose": "Choose a site",
    "site_existing": "Choose an existing site",
    "site_name_invalid": "Enter the site name (up to {longest} characters)",
    "site_name_taken": "Another site has that name",
    "site_address_invalid": "Enter the address (up to {longest} characters)",
    "site_postcode_invalid": "Enter the site's full postcode, like LS1 4AB",
    "latitude_invalid": (
        "Enter the latitude in degrees, between {low} and {high} (for example 53.7965)"),
    "longitude_invalid": "Enter the longitude in degrees, between {low} and {high}",
    "access_notes_too_long": "Access notes must be {longest} characters or fewer",
    "site_details_invalid": "There is a problem with the site details",
    "last_day_before_first": "The last day must be the same as or after the first day",
    "sessions_over_a_year": "Create at most a year of sessions at once",
    "weekdays_missing": "Choose at least one day of the week",
    "end_before_start": "The end time must be after the start time",
    "slot_minutes_range": "Slot length must be between {low} and {high} minutes",
    "chairs_range": "Chairs must be between {low} and {high}",
    "types_missing": "Choose at least one appointment type",
    "types_need_longer_slot": "{type_names:list} needs a longer slot than {slot_minutes} minutes",
    "child_needs_paediatric_site": "Child blood tests can only be offered at paediatric sites",
    "clinic_details_invalid": "There is a problem with the clinic details",
    "closure_reason_missing": "Enter the reason patients will be given",
    "closure_reason_too_long": (
        "The reason must be {longest} characters or fewer: it is sent by text message"),
    "no_sessions": "There are no clinic sessions at {site_name} on {day:date}.",
    "no_sessions_that_day": "There are no clinic sessions at that site on that day",
    "already_closed": "{site_name} is already closed on {day:date}.",
    "already_closed_that_day": "That day is already closed at that site",
    "day_not_closed": "That day is not closed at that site.",
    "test_code_invalid": "Enter a code of up to {longest} letters or numbers",
    "test_name_invalid": "Enter the test name (up to {longest} characters)",
    "test_container_invalid": (
        "Enter the tube type or additive as text (up to {longest} characters)"),
    "test_stage_missing": "Choose where the tube comes in the order of draw",
    "test_invalid": "There is a problem with the test",
    "username_invalid": "Enter a username of up to {longest} characters",
    "username_taken": "That username is taken",
    "password_too_short": "Use a password of at least {shortest} characters",
    "role_missing": "Choose admin, phlebotomist or manager",
    "staff_details_invalid": "There is a problem with the staff details",
    "key_name_missing": "Name the key",
    "name_empty": "Enter a name",
    "key_site_needed": "A {kind} key needs its site",
    "bad_login": "The username or password is not right",
    "login_check": "Enter a correct username and password",
    "message_not_found": "That message does not exist.",
    "not_failed": "Only failed or skipped messages can be sent again.",
    # Reports: the sites and dates chosen
    "report_choices_invalid": "There is a problem with the report's choices",
    "report_sites_choose": "Choose sites from the list",
    "report_date_missing": Choice("which", {"first": "Enter the first date",
                                            "last": "Enter the last date"}),
    "report_date_typed": "{detail}",  # the date boxes' words (booking_web/staff/forms.py)
    "report_period_backwards": "The last date must be the same as or after the first date",
    "report_period_too_long": "Choose a period of up to {years} years",
    "report_too_far_ahead": "Choose a last date up to {weeks} weeks from today",
    # The test catalogue file (phlebo import-catalogue)
    "file_not_utf8": "The file is not UTF-8 text: save it from the spreadsheet as 'CSV UTF-8'.",
    "file_empty": "The file is empty: its first line names the columns: {columns:list}.",
    "file_no_tests": "The file has no tests: one line per test after the column names.",
    "file_header_wrong": "The file's first line is not the catalogue's columns",
    "file_header_columns": "Line {line}: the columns must be {columns:list} ({details:problems})",
    "file_columns_missing": "missing: {columns:list}",
    "file_columns_unknown": "not known: {columns:list}",
    "file_column_twice": "a column named twice",
    "file_lines_invalid": "{count} lines of the file have problems.",
    "file_line": Choice("code", pick=_with_code, variants={
        "code": "Line {line} ({code}): {problems:problems}",
        "none": "Line {line}: {problems:problems}",
    }),
    "file_values_count": "has {count} values; each line needs {needed} ({columns:list})",
    "file_test_code": "code: a code is up to 12 letters or numbers, with no spaces",
    "file_test_name": "name: give the test's name (up to 80 characters)",
    "file_test_container": (
        "container: give the tube type or additive as text (up to 40 characters)"),
    "file_code_repeated": "code: {code} is also on line {line}",
    "file_stage_unknown": (
        "draw stage: {value!r} is not one of: {stages:list} (or their names, like Serum gel)"),
    "file_not_yes_no": "{column}: {value!r} is not yes or no",
    # Adding a walk-in on the today page (staff identified the patient, so they may be told more
    # than the kiosk tells a patient)
    "walk_in_off": ("This site does not take walk-ins. An admin can turn them on "
                    "(phlebo set-walk-ins); until then, book the patient an appointment."),
    "walk_in_no_clinic": ("No clinic is running at this site now, so a walk-in cannot be checked "
                          "in. Book the patient an appointment instead."),
    "walk_in_no_patient": (
        "No patient record matches those details. Check the NHS number, or the name and "
        "postcode, and the date of birth. A record without a postcode can only be found by its "
        "NHS number."),
    "walk_in_no_request": (
        "This patient has no open blood test request for today, so they cannot be seen as a "
        "walk-in. Ask them to contact whoever asked for the test, or book them an appointment."),
    "walk_in_full": Choice("per", {
        "hour": ("Walk-ins are full: this site takes {cap} an hour. To see the patient anyway, "
                 "tick \"Add them over the limit\" and add them again."),
        "session": ("Walk-ins are full: this site takes {cap} a clinic session. To see the patient "
                    "anyway, tick \"Add them over the limit\" and add them again."),
    }),
    "walk_in_in_progress": "This walk-in is being added already. Refresh the list in a moment.",
}
