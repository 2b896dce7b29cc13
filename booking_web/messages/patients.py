"""What patients read when something cannot be done: the booking questions, booking, changing
and cancelling, the waiting list, and (through the API's `message`) check-in. Templates name
their values in braces; {x:date}, {x:time} and friends are explained in shared/wording.py.
What a patient reads on a page is marked N_ for the catalogues (`make translations`) and shown
in the page's language; staff's variants and the API's words stay English."""

from __future__ import annotations

from typing import Any

from shared.locales import N_
from shared.wording import Choice, Words


def _name(your_first: str, your_last: str, patients_first: str, patients_last: str) -> Choice:
    """A name's problem, said to the patient about their own name or to staff about the
    patient's."""
    return Choice("whose", {
        "your": Choice("part", {"given": your_first, "family": your_last}),
        "patient": Choice("part", {"given": patients_first, "family": patients_last}),
    })


def _notice(params: dict[str, Any]) -> str:
    return "hours" if params["notice_minutes"] >= 60 else "minutes"


def _latest_start(params: dict[str, Any]) -> str:
    return "any" if params["latest_start"] is None else "before"



def _whose_number(your: str, the: str, patients: str | None = None) -> Choice:
    """An NHS number's problem: the patient's own ("your"), a request's ("the") or the one staff
    typed for a patient ("patient"; as a request's unless it says whose)."""
    return Choice("whose", {"your": your, "the": the, "patient": patients or the},
                  pick=lambda params: params.get("whose", "your"))


# Which date three boxes hold (shared.validation.parse_date_parts' `which`) on staff's and
# requesters' forms: whose it is, and its name. The patient's own date of birth ("dob") is written
# out whole in each entry, for translators.
_DATES = {
    "patient_dob": ("the patient's", "date of birth"),
    "from": ("the", "'from' date"),
    "to": ("the", "'to' date"),
    "date": ("the", "date"),
    "earliest": ("the", "earliest date"),
    "latest": ("the", "latest date"),
}


def _dated(yours: str, template: str) -> Choice:
    """The words for each date parse_date_parts can check: the patient's own date of birth
    (`yours`), and "{Whose} {what} must be ..." for the others."""
    return Choice("which", {"dob": yours} | {
        which: template.format(whose=whose, Whose=whose[:1].upper() + whose[1:], what=what)
        for which, (whose, what) in _DATES.items()
    }, pick=lambda params: params.get("which", "dob"))


# A date of birth with boxes left empty: which are missing, in the patient's own words.
_INCOMPLETE = {
    "day": N_("Your date of birth must include a day"),
    "month": N_("Your date of birth must include a month"),
    "year": N_("Your date of birth must include a year"),
    "day month": N_("Your date of birth must include a day and month"),
    "day year": N_("Your date of birth must include a day and year"),
    "month year": N_("Your date of birth must include a month and year"),
}

PATIENTS: dict[str, Words] = {
    # Names (shared/validation.py)
    "name_missing": _name(N_("Enter your first name"), N_("Enter your last name"),
                          "Enter the patient's first name", "Enter the patient's last name"),
    "name_too_long": _name(
        N_("Your first name must be {longest} characters or fewer"),
        N_("Your last name must be {longest} characters or fewer"),
        "The patient's first name must be {longest} characters or fewer",
        "The patient's last name must be {longest} characters or fewer"),
    "name_control_character": _name(
        N_("Your first name contains a character that cannot be used"),
        N_("Your last name contains a character that cannot be used"),
        "The patient's first name contains a character that cannot be used",
        "The patient's last name contains a character that cannot be used"),
    "name_characters": _name(
        N_("Your first name must only include letters, spaces, hyphens and apostrophes"),
        N_("Your last name must only include letters, spaces, hyphens and apostrophes"),
        "The patient's first name must only include letters, spaces, hyphens and apostrophes",
        "The patient's last name must only include letters, spaces, hyphens and apostrophes"),
    "name_no_letter": _name(
        N_("Your first name must include at least one letter"),
        N_("Your last name must include at least one letter"),
        "The patient's first name must include at least one letter",
        "The patient's last name must include at least one letter"),
    # Date of birth in three boxes
    "dob_missing": _dated(N_("Enter your date of birth"), "Enter {whose} {what}"),
    "dob_incomplete": Choice("missing", {
        missing: _dated(yours, "{Whose} {what} must include a " + missing.replace(" ", " and "))
        for missing, yours in _INCOMPLETE.items()
    }),
    "dob_not_numbers": _dated(N_("Your date of birth must be a real date, using numbers only"),
                              "{Whose} {what} must be a real date, using numbers only"),
    "dob_year_digits": N_("Year must include 4 numbers"),
    "dob_not_real": _dated(N_("Your date of birth must be a real date"), "{Whose} {what} must be a real date"),
    "dob_future": _dated(N_("Your date of birth must be in the past"), "{Whose} {what} must be in the past"),
    "dob_too_old": _dated(N_("Your date of birth must be after {earliest_year}"),
                          "{Whose} {what} must be after {{earliest_year}}"),
    # Date of birth as YYYY-MM-DD (the API and the kiosk)
    "dob_iso_missing": "Enter the date of birth as YYYY-MM-DD",
    "dob_iso_invalid": "The date of birth must be a real date written as YYYY-MM-DD",
    "dob_iso_future": "The date of birth must be in the past",
    "dob_iso_too_old": "The date of birth must be after {earliest_year}",
    # NHS number, contact details, postcode
    "nhs_number_missing": _whose_number(N_("Enter your NHS number"), "Enter the NHS number",
                                        "Enter the patient's NHS number"),
    "nhs_number_not_digits": _whose_number(
        N_("Your NHS number must contain only numbers, spaces and dashes"),
        "The NHS number must contain only numbers, spaces and dashes"),
    "nhs_number_length": _whose_number(N_("Your NHS number must be 10 digits long"),
                                       "The NHS number must be 10 digits long"),
    "nhs_number_check_digit": _whose_number(
        N_("Check your NHS number: it is not a valid NHS number. It is 10 digits, like 999 123 4567"),
        "Check your NHS number: it is not a valid NHS number. It is 10 digits, like 999 123 4567"),  # as before
    "nhs_number_not_text": "Enter the NHS number as text, like 999 123 4567",
    "mobile_invalid": N_("Enter a UK mobile phone number, like 07700 900 982"),
    "email_invalid": N_("Enter an email address in the correct format, like name@example.com"),
    "postcode_missing": N_("Enter a postcode"),
    "postcode_invalid": N_("Enter a real postcode, like LS1 4AB"),
    "postcode_needed": N_("Enter your postcode, so we can find your records without an NHS number"),
    "contact_needed": N_(
        "Enter a mobile number or an email address, so we can send your confirmation"),
    "details_invalid": N_("There is a problem with the details entered"),
    # The booking questions' own checks (public/questions.py)
    "postcode_full_needed": N_("Enter your full postcode, like LS1 4AB"),
    "contact_missing": N_("Enter a mobile phone number or an email address"),
    "request_number_format": N_(
        "A test request number is RQ and 8 numbers, like {example}. Leave this empty if you do "
        "not have one"),
    "request_not_found_for_you": N_(
        "We could not find a test request with that number for you. Check the number on your "
        "form, or leave this empty: staff can add it when you arrive"),
    # Booking rules (services/booking.py, shared/rules.py)
    "age_too_young": N_("{type_name:article_lower} is for people aged {min_age} or over. "
                      "For children under 16, choose 'Child blood test'."),
    "age_too_old": N_("{type_name:article_lower} is for children under {max_age}. "
                    "Choose 'Adult blood test' instead."),
    "appointment_type_unknown": N_("Choose a type of appointment"),
    "clinic_closed": N_("That clinic is closed. Select another time or place."),
    "wrong_type": Choice("latest_start", pick=_latest_start, variants={
        "any": N_("That time is not available for {type_name:in_sentence}. Select another time."),
        "before": N_("That time is not available for {type_name:in_sentence}. {type_name} "
                     "appointments must start before {latest_start:%H:%M}. Select another time."),
    }),
    "too_soon": Choice("notice_minutes", pick=_notice, variants={
        "hours": N_("Appointments must be booked at least {notice_minutes:hours} hours ahead. "
                    "Select a later time."),
        "minutes": N_("Appointments must be booked at least {notice_minutes} minutes ahead. "
                      "Select a later time."),
    }),
    "too_far": N_("You can only book up to {weeks} weeks ahead. Select an earlier date."),
    "slot_taken": N_("Sorry, that time has just been taken. Select another time."),
    "slot_not_found": N_("That time is no longer available. Select another time."),
    "same_slot": N_("That is the time you already have. Select a different time."),
    "identity_mismatch": N_(
        "The details you gave do not match what we hold for this NHS number. Check your name "
        "and date of birth are the same as your GP surgery has them. If they are right, call "
        "{booking_line} and we will help you book."),
    "overlapping_booking": N_(
        "You already have a blood test booked at {existing_start:time} on {existing_start:date}, "
        "which overlaps this time. Select a different time, or change that booking."),
    "too_many_bookings": N_(
        "You already have {active} blood tests booked, the most you can have at once. "
        "Change or cancel one of them instead."),
    "booking_not_found": N_(
        "We could not find a booking with that reference and date of birth. "
        "Check both and try again, or call the booking line."),
    "own_booking_not_found": N_("We could not find that booking among your blood tests."),
    "own_request_not_found": N_("We could not find that test request among your blood tests."),
    "booking_cancelled": N_("This booking has been cancelled. You can make a new booking."),
    "booking_checked_in": N_(
        "You have already checked in for your appointment at {starts_at:time} on "
        "{starts_at:date}."),
    "booking_collected": N_("This blood test has already taken place."),
    "booking_missed": N_(
        "This appointment at {starts_at:time} on {starts_at:date} has passed. "
        "Please make a new booking."),
    "booking_unchangeable": N_("This booking cannot be changed."),
    "conflict": N_("Your booking was changed a moment ago. Look it up again."),
    "change_in_progress": N_("Your booking was being changed a moment ago. Look it up again."),
    "booking_in_progress": N_("Your booking was being made a moment ago. Select Book appointment again."),
    # A patient signed in with NHS login, whose details cannot be changed on our pages
    "nhs_login_identity_mismatch": N_(
        "The details from your NHS login do not match what we hold for your NHS number, so we "
        "have not booked. Call {booking_line} and we will help you book."),
    "nhs_login_age": N_(
        "This type of test is not for someone of your age. Choose another type of test. To "
        "book for a child, sign out and book without NHS login."),
    "request_not_found": N_("No test request with that number is held for this patient"),
    "rate_limited": N_("Too many attempts. Wait {wait_seconds} seconds and try again."),
    "device_booking_limit": N_(
        "There have been too many bookings from this device in the last hour. "
        "Please try again later, or call {booking_line}."),
    # Check-in (the kiosk shows its own words, kiosk_app/messages.py; these are the API's)
    "cancelled": "This appointment was cancelled. Please speak to reception.",
    "already_checked_in": "You are already checked in. Your number is {queue_number}.",
    "checkin_missed": "This appointment time has passed. Please speak to reception.",
    "too_late": "You are too late to check in for this appointment. Please speak to reception.",
    "too_early": "You are early. You can check in from {checkin_opens_at:%H:%M}.",
    "wrong_site": "Your appointment is at {site_name}. Please speak to reception.",
    "wrong_day": "Your appointment is on {starts_at:date}. Please speak to reception.",
    "qr_unreadable": "This QR code cannot be read. Please speak to reception.",
    "qr_outdated": (
        "This QR code is for an older version of your booking. Please speak to reception."),
    "checkin_conflict": "This booking changed a moment ago. Please try again.",
    # The waiting list
    "places_missing": N_("Select at least one place"),
    "not_waitable": N_("Only a booking that has not happened yet can go on the waiting list."),
    "waiting_place_not_found": N_("We could not find that waiting list place."),
    "offer_link_broken": N_(
        "This link does not work. Check you have the whole link from your message, "
        "or call the booking line."),
    "offer_expired": N_("Sorry, this offer has expired. Your booking has not changed."),
    "offer_gone": N_(
        "Sorry, that time has gone: someone else accepted it first. "
        "Your booking has not changed."),
    "offer_stale": N_(
        "Your booking has changed since this offer was sent, so it no longer applies. "
        "Your booking has not changed."),
    "offer_refused": N_("Sorry, we could not move your booking: {reason}"),
    "offer_already_accepted": N_("You have already accepted this time."),
    # Finding a booking (manage, the waiting list) and the choose pages (public/choose.py)
    "reference_missing": N_("Enter your booking reference"),
    "reference_format": N_("Your booking reference is 9 letters and numbers, like ABC-DEF-GHJ"),
    "lookup_rate_limited": N_(
        "You have tried too many times. Wait a minute and try again, or call {booking_line}."),
    "manage_expired": N_(
        "For your security, we closed your booking after 15 minutes. Enter your details again."),
    "place_missing": N_("Select a place for your blood test"),
    "day_missing": N_("Select a date"),
    "time_missing": N_("Select a time"),
}
