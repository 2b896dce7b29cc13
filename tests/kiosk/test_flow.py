"""The check-in state machine, without Qt or a server: every transition and problem code."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from kiosk_app.flow import (
    DOB_MISS_QR,
    DOB_MISS_REFERENCE,
    NOT_OUR_CODE,
    Back,
    CheckedIn,
    CheckIn,
    ConfirmNo,
    ConfirmYes,
    DobDelete,
    DobDone,
    DobEntry,
    DobFieldSelected,
    DobKey,
    Failed,
    Identified,
    Identify,
    IdleTimeout,
    Labels,
    NoQrCode,
    NotMeReported,
    PrintFinished,
    PrintLabels,
    ReferenceDelete,
    ReferenceDone,
    ReferenceKey,
    ReportNotMe,
    ScanReceived,
    Screen,
    StartAgain,
    State,
    Step,
    transition,
)
from kiosk_app.messages import PROBLEM_CODES, problem_text
from kiosk_app.models import CheckinResult, Identity
from label_printer import LabelData

TODAY = dt.date(2026, 11, 23)
DOB = dt.date(1957, 3, 4)
IDENTITY = Identity("ABCDEFGHJ", "J*** S****", "10:30", "Adult blood test", "Riverside")
LABEL = LabelData(family_name="SMITH", given_name="John", date_of_birth=DOB,
                  nhs_number="9434765919", specimen_id="2611230001", container="EDTA",
                  tests=("FBC",), site_name="Riverside", sequence=(1, 1))


def run(state: State, *events: object) -> Step:
    step = Step(state)
    for event in events:
        step = transition(step.state, event, today=TODAY, new_id=lambda: "req-1")  # type: ignore[arg-type]
    return step


def typed_dob(state: State, digits: str = "04031957") -> State:
    return run(state, *(DobKey(d) for d in digits)).state


def at_confirm() -> State:
    return State(screen=Screen.CONFIRM, reference="ABCDEFGHJ", date_of_birth=DOB,
                 identity=IDENTITY)


def checked_in(**overrides: object) -> CheckinResult:
    values: dict[str, object] = dict(reference="ABCDEFGHJ", queue_number=7, wait_minutes=15,
                                     labels=(LABEL,), print_job_id=12, print_job_status="pending")
    values.update(overrides)
    return CheckinResult(**values)  # type: ignore[arg-type]


def test_start_to_reference_entry_and_back():
    step = run(State(), NoQrCode())
    assert step.state.screen == Screen.REFERENCE and step.commands == ()
    assert run(step.state, Back()).state == State()


def test_reference_keypad_typing_deleting_and_limits():
    state = run(State(), NoQrCode(), *(ReferenceKey(c) for c in "abcDEF0O1GHJKM")).state
    # Lower case is read as upper case; 0, O, 1 are not in the alphabet; 9 characters at most.
    assert state.reference == "ABCDEFGHJ"
    assert run(state, ReferenceDelete()).state.reference == "ABCDEFGH"


def test_short_reference_gets_a_plain_correction_and_stays():
    state = run(State(), NoQrCode(), ReferenceKey("A"), ReferenceDone()).state
    assert state.screen == Screen.REFERENCE and "9 letters and numbers" in state.error
    assert run(state, ReferenceKey("B")).state.error == ""


def test_reference_done_moves_to_date_of_birth():
    state = run(State(), NoQrCode(), ReferenceDone("abc-def-ghj")).state
    assert state.screen == Screen.DOB and state.reference == "ABCDEFGHJ" and state.qr is None


QR = "PHLEBO1.WyJBQkNERUZHSEoiLDEsIjIwMjYtMTEtMjMiLDFd.c2lnbmF0dXJl"
NEXT_QR = "PHLEBO1.WyJLTU5QUVJTVFciLDEsIjIwMjYtMTEtMjMiLDFd.b3RoZXJzaWc"


def test_scan_goes_to_date_of_birth_with_the_qr_and_nothing_else():
    state = run(State(screen=Screen.REFERENCE, reference="ABC"), ScanReceived(f" {QR} ")).state
    assert state == State(screen=Screen.DOB, qr=QR)
    assert run(state, Back()).state == State()  # back from a scanned DOB is the start


@pytest.mark.parametrize("code", ["5012345678900", "https://example.org/loyalty?card=12345",
                                  "PHLEBO1.", "PHLEBO2.WyJBQkNERUZHSEoiXQ.c2ln",
                                  "PHLEBO1.has spaces in it and more", "QRDATA.1"])
def test_a_code_that_is_not_ours_is_refused_before_the_date_of_birth(code):
    state = run(replace(at_confirm(), screen=Screen.REFERENCE), ScanReceived(code)).state
    assert state == State(error=NOT_OUR_CODE)  # the start screen, saying why; nothing kept
    assert "not a check-in QR code" in state.error and "I don't have my QR code" in state.error


def test_a_scanned_booking_reference_goes_to_the_date_of_birth():
    state = run(State(), ScanReceived("abc-def-ghj")).state
    assert state == State(screen=Screen.DOB, reference="ABCDEFGHJ")


@pytest.mark.parametrize("screen", [Screen.START, Screen.DOB, Screen.CONFIRM, Screen.RESULT,
                                    Screen.PROBLEM])
def test_a_new_scan_on_any_resting_screen_starts_a_new_check_in(screen):
    state = replace(at_confirm(), screen=screen)
    assert run(state, ScanReceived(NEXT_QR)).state == State(screen=Screen.DOB, qr=NEXT_QR)


def test_scans_are_ignored_while_waiting_for_the_server_or_printer():
    busy = State(screen=Screen.BUSY, busy="finding")
    printing = State(screen=Screen.RESULT, checkin=checked_in(), labels=Labels.PRINTING)
    for state in (busy, printing):
        assert run(state, ScanReceived(NEXT_QR)).state == state
    assert run(State(), ScanReceived("   ")).state == State()


def test_dob_digits_fill_day_month_year_and_move_on_by_themselves():
    state = typed_dob(State(screen=Screen.DOB, reference="ABCDEFGHJ"))
    assert state.dob == DobEntry("04", "03", "1957", "year")
    assert typed_dob(state, "1").dob.year == "1957"  # a full year takes no more digits


def test_dob_field_tap_and_delete_walk_back():
    state = typed_dob(State(screen=Screen.DOB), "0403")
    assert state.dob.field == "year"
    state = run(state, DobDelete()).state  # empty year: back into month
    assert state.dob == DobEntry("04", "0", "", "month")
    state = run(state, DobFieldSelected("day"), DobKey("9")).state
    assert state.dob.day == "04"  # day is full
    state = run(state, DobFieldSelected("nonsense")).state
    assert state.dob.field == "day"


@pytest.mark.parametrize("digits, words", [
    ("0403", "all 4 numbers of the year"),
    ("31021990", "That date does not exist"),
    ("01131990", "month"),
    ("01011850", "year"),
    ("01012030", "year"),  # after today
])
def test_impossible_dates_get_a_correction_not_a_server_call(digits, words):
    step = run(typed_dob(State(screen=Screen.DOB, reference="ABCDEFGHJ"), digits), DobDone())
    assert step.state.screen == Screen.DOB and words in step.state.error and not step.commands


def test_future_date_given_directly_is_refused():
    step = run(State(screen=Screen.DOB, reference="ABCDEFGHJ"), DobDone(dt.date(2027, 1, 1)))
    assert step.state.screen == Screen.DOB and step.state.error and not step.commands


def test_dob_done_asks_the_server_by_reference():
    step = run(typed_dob(State(screen=Screen.DOB, reference="ABCDEFGHJ")), DobDone())
    assert step.state.screen == Screen.BUSY and step.state.busy == "finding"
    assert step.commands == (Identify(date_of_birth=DOB, reference="ABCDEFGHJ"),)


def test_dob_done_asks_the_server_by_qr():
    step = run(State(), ScanReceived(QR), DobDone(DOB))
    assert step.commands == (Identify(date_of_birth=DOB, qr=QR),)


def test_back_from_typed_dob_returns_to_reference_keeping_it():
    state = run(typed_dob(State(screen=Screen.DOB, reference="ABCDEFGHJ")), Back()).state
    assert state.screen == Screen.REFERENCE and state.reference == "ABCDEFGHJ"
    assert state.dob == DobEntry()


def test_identified_shows_is_this_you():
    state = State(screen=Screen.BUSY, busy="finding", reference="ABCDEFGHJ", date_of_birth=DOB)
    step = run(state, Identified(IDENTITY))
    assert step.state.screen == Screen.CONFIRM and step.state.identity == IDENTITY


def test_yes_checks_in_with_one_request_id_per_attempt():
    step = run(at_confirm(), ConfirmYes())
    assert step.state.screen == Screen.BUSY and step.state.busy == "checking_in"
    assert step.commands == (CheckIn("ABCDEFGHJ", DOB, "req-1"),)
    assert step.state.request_id == "req-1"


def test_no_sends_to_reception_tells_staff_and_forgets_the_name():
    step = run(at_confirm(), ConfirmNo())
    state = step.state
    assert state.screen == Screen.PROBLEM and state.problem.code == "not_me"
    assert state.identity is None and state.date_of_birth is None
    assert step.commands == (ReportNotMe("ABCDEFGHJ", DOB),)


@pytest.mark.parametrize("answer", [NotMeReported(), NotMeReported(sent=False)])
def test_a_late_not_me_answer_never_disturbs_the_next_patient(answer):
    for state in (State(), at_confirm(), State(screen=Screen.BUSY, busy="finding",
                                                reference="ABCDEFGHJ", date_of_birth=DOB)):
        assert run(state, answer) == Step(state)


def test_checked_in_with_labels_shows_the_number_and_prints():
    state = State(screen=Screen.BUSY, busy="checking_in", identity=IDENTITY)
    step = run(state, CheckedIn(checked_in()))
    assert step.state.screen == Screen.RESULT and step.state.labels == Labels.PRINTING
    assert step.commands == (PrintLabels(job_id=12, labels=(LABEL,)),)
    assert step.state.waiting


@pytest.mark.parametrize("job_id, status, labels", [
    (12, "printed", Labels.PRINTED),  # a retry after the labels printed: nothing prints twice
    (None, "", Labels.NONE),  # nothing to print at the kiosk
    (12, "failed", Labels.RECEPTION),
])
def test_checked_in_without_labels_to_print(job_id, status, labels):
    state = State(screen=Screen.BUSY, busy="checking_in")
    step = run(state, CheckedIn(checked_in(labels=(), print_job_id=job_id,
                                           print_job_status=status)))
    assert step.state.screen == Screen.RESULT and step.state.labels == labels
    assert step.commands == ()


def test_print_finished_ok_and_fault():
    printing = State(screen=Screen.RESULT, checkin=checked_in(), labels=Labels.PRINTING)
    assert run(printing, PrintFinished(True)).state.labels == Labels.PRINTED
    fault = run(printing, PrintFinished(False, "paper out")).state
    assert fault.screen == Screen.PROBLEM and fault.problem.code == "printer_fault"
    assert fault.problem.extra["queue_number"] == 7 and fault.checkin is None


@pytest.mark.parametrize("busy", ["finding", "checking_in"])
@pytest.mark.parametrize("code", ["not_found", "invalid_qr", "wrong_site", "wrong_day",
                                  "cancelled", "already_checked_in", "too_early", "too_late",
                                  "invalid", "rate_limited", "unreachable", "unauthorised"])
def test_every_server_error_becomes_a_problem_screen(busy, code):
    # (after the one more try a date of birth the server did not match gets: see below)
    state = State(screen=Screen.BUSY, busy=busy, reference="ABCDEFGHJ", date_of_birth=DOB,
                  dob_misses=1)
    step = run(state, Failed(code, "x", {"queue_number": 4}))
    assert step.state.screen == Screen.PROBLEM and step.state.problem.code == code
    assert step.state.reference == "" and step.state.date_of_birth is None


@pytest.mark.parametrize("qr, reference, words", [
    (QR, "", DOB_MISS_QR), (None, "ABCDEFGHJ", DOB_MISS_REFERENCE)])
def test_a_date_of_birth_the_server_did_not_match_gets_one_more_try(qr, reference, words):
    asked = run(replace(typed_dob(State(screen=Screen.DOB, qr=qr, reference=reference)),
                        screen=Screen.DOB), DobDone())
    assert asked.state.screen == Screen.BUSY and asked.state.busy == "finding"
    again = run(asked.state, Failed("not_found", "No appointment matches those details."))
    assert again.state.screen == Screen.DOB and again.state.error == words
    assert again.state.dob == DobEntry() and again.state.date_of_birth is None
    assert (again.state.qr, again.state.reference) == (qr, reference)  # kept for the retry
    retried = run(typed_dob(again.state), DobDone())
    assert retried.commands == (Identify(date_of_birth=DOB, qr=qr,
                                         reference=None if qr else reference),)
    twice = run(retried.state, Failed("not_found", "No appointment matches those details."))
    assert twice.state.screen == Screen.PROBLEM and twice.state.problem.code == "not_found"
    assert twice.state.reference == "" and twice.state.qr is None


def test_only_a_date_of_birth_miss_gets_another_try():
    finding = State(screen=Screen.BUSY, busy="finding", reference="ABCDEFGHJ", date_of_birth=DOB)
    for code in ("rate_limited", "invalid_qr", "wrong_day", "unreachable"):
        assert run(finding, Failed(code)).state.screen == Screen.PROBLEM


@pytest.mark.parametrize("code", PROBLEM_CODES)
def test_every_problem_says_speak_to_reception(code):
    words = problem_text(code, {"queue_number": 4, "checkin_opens_at": "09:30"})
    assert "reception" in words.action.lower() and words.title and words.body


def test_wrong_day_and_wrong_site_give_the_facts():
    today = dt.date(2026, 11, 23)
    later = problem_text("wrong_day", {"starts_at": "2026-11-24T10:30:00+00:00"}, today)
    assert later.body == ("Your appointment is on Tuesday 24 November 2026 at 10:30am. "
                          "Please come back then.")
    missed = problem_text("wrong_day", {"starts_at": "2026-11-20T09:05:00+00:00"}, today)
    assert missed.title == "Your appointment was on a different day"
    assert missed.body == "Your appointment was on Friday 20 November 2026 at 9:05am."
    assert "new appointment" in missed.action and "reception" in missed.action
    summer = problem_text("wrong_day", {"starts_at": "2027-06-01T09:00:00+01:00"}, today)
    assert "Tuesday 1 June 2027 at 9:00am" in summer.body  # London time, not UTC
    elsewhere = problem_text("wrong_site", {"site_name": "Seacroft Clinic",
                                            "site_address": "1 York Road, LS14 6UH",
                                            "starts_at": "2026-11-23T14:00:00+00:00"}, today)
    assert elsewhere.body == ("Your appointment is at Seacroft Clinic, 1 York Road, LS14 6UH, "
                              "on Monday 23 November 2026 at 2:00pm.")
    # An older server without the facts still gets the general words.
    assert "letter or text" in problem_text("wrong_day", {}).body
    assert "letter or text" in problem_text("wrong_site", {}).body


def test_problem_words_carry_the_details_they_need():
    assert "09:30" in problem_text("too_early", {"checkin_opens_at": "09:30"}).body
    assert problem_text("already_checked_in", {"queue_number": 4}).queue_number == 4
    outstanding = problem_text("already_checked_in", {"queue_number": 4,
                                                      "labels_outstanding": True})
    assert "labels" in outstanding.action
    assert problem_text("printer_fault", {"queue_number": 7}).checked_in
    # Unknown codes fall back to the general message; reference and DOB mismatch look the same.
    assert problem_text("teapot").title == problem_text("error").title
    assert problem_text("not_found").queue_number is None


def test_results_that_arrive_on_the_wrong_screen_are_ignored():
    assert run(State(), Identified(IDENTITY)).state == State()
    assert run(State(screen=Screen.BUSY, busy="finding"),
               CheckedIn(checked_in())).state.screen == Screen.BUSY
    assert run(State(screen=Screen.RESULT), PrintFinished(True)).state.labels == Labels.NONE


@pytest.mark.parametrize("event", [IdleTimeout(), StartAgain()])
def test_idle_timeout_and_start_again_clear_everything(event):
    for state in (typed_dob(State(screen=Screen.DOB, reference="ABCDEFGHJ")), at_confirm(),
                  State(screen=Screen.RESULT, checkin=checked_in(), labels=Labels.PRINTED),
                  run(at_confirm(), ConfirmNo()).state):
        assert run(state, event).state == State()


def test_idle_timeout_waits_while_the_server_or_printer_is_busy():
    for state in (State(screen=Screen.BUSY, busy="checking_in"),
                  State(screen=Screen.RESULT, checkin=checked_in(), labels=Labels.PRINTING)):
        assert run(state, IdleTimeout()).state == state
