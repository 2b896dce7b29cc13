"""Walk-ins at the real kiosk window, offscreen, against the contract stub over HTTP: "I do not
have an appointment", the NHS number (or name and postcode) and the date of birth, then a number
and labels as for a booking; each refusal in plain words; Back and the idle timeout; a lost
answer resent under the same request id. Screens saved to test-artifacts/kiosk/ (English and
Arabic) and looked at."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from kiosk_app.flow import (
    BAD_POSTCODE,
    NHS_NUMBER_TYPO,
    Failed,
    NoAppointment,
    NoNhsNumber,
    Problem,
    Screen,
    State,
    TextDone,
    TextKey,
    transition,
)
from kiosk_app.theme import Theme
from kiosk_app.views import NhsNumberView, TextEntryView
from shared.locales import language
from shared.nhs_number import make_test_number
from tests.kiosk.stub_server import BOOK_ONLINE_AT
from tests.kiosk.test_screens import on, save, shown, tap, type_dob
from tests.kiosk.test_screenshots import OUT

NHS_NUMBER = make_test_number(4321)
WRONG_DIGIT = NHS_NUMBER[:-1] + str((int(NHS_NUMBER[-1]) + 1) % 10)  # one digit mistyped
TODAY = dt.date(2026, 11, 23)


def walk_ins(stub) -> list[dict]:  # type: ignore[no-untyped-def]
    return [body for _, path, body in stub.requests if path == "/api/v1/kiosk/walk-in"]


def start_walk_in(qtbot, kiosk) -> NhsNumberView:  # type: ignore[no-untyped-def]
    tap(qtbot, kiosk.window.views[Screen.START].no_appointment)
    view = kiosk.window.current_view
    assert isinstance(view, NhsNumberView)
    return view


def type_nhs_number(qtbot, kiosk, digits: str = NHS_NUMBER) -> NhsNumberView:  # type: ignore[no-untyped-def]
    view = start_walk_in(qtbot, kiosk)
    for digit in digits:
        tap(qtbot, view.keypad.keys[digit])
    return view


def type_answer(qtbot, kiosk, answer: str) -> TextEntryView:  # type: ignore[no-untyped-def]
    view = kiosk.window.current_view
    assert isinstance(view, TextEntryView)
    for char in answer:
        tap(qtbot, view.keyboard.space if char == " " else view.keyboard.keys[char])
    return view


def by_name(qtbot, kiosk, given: str, family: str, postcode: str) -> None:  # type: ignore[no-untyped-def]
    tap(qtbot, start_walk_in(qtbot, kiosk).unknown)
    for answer in (given, family, postcode):
        tap(qtbot, type_answer(qtbot, kiosk, answer).next)


def wait_for(qtbot, kiosk, screen: Screen) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: on(kiosk, screen) and not kiosk.controller.state.waiting,
                    timeout=10_000)


def test_a_walk_in_by_nhs_number_gets_a_number_and_labels(qtbot, make_kiosk, stub, labels_dir):
    stub.add_walk_in(nhs_number=NHS_NUMBER, tubes=(("EDTA", ("FBC",)), ("Serum (gel)", ("UE",))))
    kiosk = make_kiosk()
    start = kiosk.window.views[Screen.START]
    assert start.no_appointment.text() == "I do not have an appointment"
    assert start.no_appointment.height() >= 64 and start.no_appointment.width() >= 640
    view = type_nhs_number(qtbot, kiosk)
    assert shown(kiosk, "nhs_number_display") == "{} {} {}".format(
        NHS_NUMBER[:3], NHS_NUMBER[3:6], NHS_NUMBER[6:])
    save(kiosk, "walk-in-01-nhs-number")
    tap(qtbot, view.next)
    assert on(kiosk, Screen.DOB)
    tap(qtbot, type_dob(qtbot, kiosk).next)
    wait_for(qtbot, kiosk, Screen.RESULT)

    assert shown(kiosk, "queue_number") == "1"
    assert shown(kiosk, "wait") == "Your wait is about 20 minutes."
    assert shown(kiosk, "labels") == "Your labels have printed for the phlebotomist."
    save(kiosk, "walk-in-02-result")
    [sent] = walk_ins(stub)
    assert sent == {"nhs_number": NHS_NUMBER, "date_of_birth": "1957-03-04",
                    "request_id": kiosk.controller.state.request_id}
    # The print path is the booking's: two labels on paper, the job reported printed.
    assert len(list(labels_dir.glob("*.png"))) == 2
    assert [(job, body["printer_status"]) for job, body in stub.reports] == [(101, "ok")]
    assert stub.jobs[101]["status"] == "printed"
    tap(qtbot, kiosk.window.current_view.finish)
    assert kiosk.controller.state == State()


def test_a_walk_in_by_name_and_postcode(qtbot, make_kiosk, stub):
    stub.add_walk_in(given_name="Anne-Marie", family_name="O'Brien", postcode="LS1 4AB")
    kiosk = make_kiosk()
    tap(qtbot, start_walk_in(qtbot, kiosk).unknown)
    view = type_answer(qtbot, kiosk, "ANNE-MARIE")
    assert view.title.text() == "What is your first name?"
    assert shown(kiosk, "text_display") == "ANNE-MARIE_"
    assert not view.keyboard.keys["1"].isVisible()  # no numbers in a name
    save(kiosk, "walk-in-03-first-name")
    tap(qtbot, view.next)
    assert view.title.text() == "What is your last name?"
    tap(qtbot, type_answer(qtbot, kiosk, "O'BRIEN").next)
    assert view.title.text() == "What is your postcode?"
    assert view.keyboard.keys["1"].isVisible() and not view.keyboard.keys["'"].isVisible()
    type_answer(qtbot, kiosk, "LS1 4AB")
    save(kiosk, "walk-in-04-postcode")
    tap(qtbot, view.next)
    assert on(kiosk, Screen.DOB)
    tap(qtbot, type_dob(qtbot, kiosk).next)
    wait_for(qtbot, kiosk, Screen.RESULT)
    assert shown(kiosk, "queue_number") == "1"
    [sent] = walk_ins(stub)
    assert (sent["given_name"], sent["family_name"], sent["postcode"]) == (
        "ANNE-MARIE", "O'BRIEN", "LS1 4AB")
    assert "nhs_number" not in sent


def test_a_typo_in_the_nhs_number_is_caught_on_screen_and_asks_nothing_of_the_server(
        qtbot, make_kiosk, stub):
    stub.add_walk_in(nhs_number=NHS_NUMBER)
    kiosk = make_kiosk()
    view = type_nhs_number(qtbot, kiosk, WRONG_DIGIT[:9])
    assert not view.next.isEnabled()  # 9 digits: Next waits for the tenth
    tap(qtbot, view.keypad.keys[WRONG_DIGIT[9]])
    tap(qtbot, view.next)
    assert on(kiosk, Screen.WALK_IN_NHS)
    assert shown(kiosk, "nhs_number_error") == NHS_NUMBER_TYPO
    assert shown(kiosk, "nhs_number_error").startswith("That is not a valid NHS number.")
    assert shown(kiosk, "nhs_hint") == ""  # the correction takes the hint's place
    save(kiosk, "walk-in-05-nhs-number-typo")
    assert walk_ins(stub) == []
    tap(qtbot, view.delete)
    tap(qtbot, view.keypad.keys[NHS_NUMBER[9]])
    assert shown(kiosk, "nhs_number_error") == ""
    tap(qtbot, view.next)
    assert on(kiosk, Screen.DOB) and kiosk.controller.state.nhs_number == NHS_NUMBER


REFUSALS = {
    "no_walk_ins": ("This clinic does not take walk-ins today",
                    "You need an appointment for a blood test here. You can book an appointment "
                    f"online at {BOOK_ONLINE_AT}.", "Or please speak to reception."),
    "walk_ins_full": ("We cannot see more walk-in patients just now",
                      "The clinic has as many walk-in patients as it can see at the moment. You "
                      f"can book an appointment online at {BOOK_ONLINE_AT}.",
                      "Or please speak to reception."),
    "no_clinic": ("There is no clinic running now",
                  "We can only see walk-in patients while a clinic is open. You can book an "
                  f"appointment online at {BOOK_ONLINE_AT}.", "Or please speak to reception."),
}
NO_REQUEST = ("We could not find a blood test request for you today",
              "Reception can check your details and help you.", "Please speak to reception.")


def problem_words(kiosk) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    return (shown(kiosk, "problem_title"), shown(kiosk, "problem_body"),
            shown(kiosk, "problem_action"))


@pytest.mark.parametrize("code", list(REFUSALS))
def test_each_refusal_says_what_to_do_in_plain_words(qtbot, make_kiosk, stub, code):
    stub.add_walk_in(nhs_number=NHS_NUMBER)
    stub.walk_in_refusal = code
    kiosk = make_kiosk()
    tap(qtbot, type_nhs_number(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk).next)
    wait_for(qtbot, kiosk, Screen.PROBLEM)
    assert problem_words(kiosk) == REFUSALS[code]
    assert shown(kiosk, "queue_number") == ""
    save(kiosk, f"walk-in-06-{code}")
    tap(qtbot, kiosk.window.current_view.again)
    assert kiosk.controller.state == State()


def test_no_request_reads_the_same_for_a_stranger_a_wrong_birthday_and_no_request(
        qtbot, make_kiosk, stub):
    stub.add_walk_in(nhs_number=NHS_NUMBER, given_name="Jane", family_name="Walker",
                     postcode="LS1 4AB")
    stub.add_walk_in(nhs_number=make_test_number(77), date_of_birth="1960-01-01")
    stub.walk_ins[-1].queue_number = 9  # already seen today: no open request left
    kiosk = make_kiosk()
    attempts = [
        lambda: tap(qtbot, type_nhs_number(qtbot, kiosk, make_test_number(555)).next),  # nobody
        lambda: tap(qtbot, type_nhs_number(qtbot, kiosk).next),  # her number, not her birthday
        lambda: by_name(qtbot, kiosk, "JANE", "WALKER", "LS2 9JT"),  # her name, not her home
        lambda: tap(qtbot, type_nhs_number(qtbot, kiosk, make_test_number(77)).next),
    ]
    dobs = ["04031957", "05031957", "04031957", "01011960"]
    seen = []
    for attempt, dob in zip(attempts, dobs, strict=True):
        attempt()
        tap(qtbot, type_dob(qtbot, kiosk, dob).next)
        wait_for(qtbot, kiosk, Screen.PROBLEM)
        seen.append(problem_words(kiosk))
        tap(qtbot, kiosk.window.current_view.again)
    assert seen == [NO_REQUEST] * 4
    assert len(walk_ins(stub)) == 4


def test_back_on_every_walk_in_screen_keeps_what_was_typed_before(qtbot, make_kiosk, stub):
    kiosk = make_kiosk()
    view = start_walk_in(qtbot, kiosk)
    tap(qtbot, view.back)
    assert kiosk.controller.state == State()
    by_name(qtbot, kiosk, "JANE", "WALKER", "LS1 4AB")
    assert on(kiosk, Screen.DOB)
    tap(qtbot, kiosk.window.current_view.back)
    text = kiosk.window.current_view
    assert isinstance(text, TextEntryView) and shown(kiosk, "text_display") == "LS1 4AB_"
    tap(qtbot, text.back)
    assert text.title.text() == "What is your last name?" and shown(kiosk, "text_display") == "WALKER_"
    tap(qtbot, text.back)
    assert shown(kiosk, "text_display") == "JANE_"
    tap(qtbot, text.back)
    assert on(kiosk, Screen.WALK_IN_NHS) and kiosk.controller.state.given_name == ""
    nhs = kiosk.window.current_view
    assert isinstance(nhs, NhsNumberView)
    for digit in NHS_NUMBER:
        tap(qtbot, nhs.keypad.keys[digit])
    tap(qtbot, nhs.next)
    tap(qtbot, type_dob(qtbot, kiosk, "04").back)
    assert on(kiosk, Screen.WALK_IN_NHS) and kiosk.controller.state.nhs_number == NHS_NUMBER
    assert kiosk.controller.state.dob.day == ""  # the date of birth is typed afresh
    assert walk_ins(stub) == []


def test_the_idle_timeout_clears_a_walk_in_and_the_language(qtbot, make_kiosk, stub):
    kiosk = make_kiosk(idle_seconds=0.4)
    tap(qtbot, kiosk.window.views[Screen.START].languages["ar"])
    tap(qtbot, start_walk_in(qtbot, kiosk).unknown)
    type_answer(qtbot, kiosk, "JANE")
    assert kiosk.controller.state.given_name == "JANE"
    qtbot.waitUntil(lambda: on(kiosk, Screen.START), timeout=5000)
    assert kiosk.controller.state == State()
    assert language().code == "en"
    assert kiosk.window.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert kiosk.window.views[Screen.START].no_appointment.text() == "I do not have an appointment"


def test_a_lost_answer_is_sent_again_under_the_same_request_id_and_gets_the_same_number(
        qtbot, make_kiosk, stub, labels_dir):
    stub.add_walk_in(nhs_number=NHS_NUMBER)
    stub.drop_walk_in_responses = 1  # checked in on the server, the answer lost on the way
    kiosk = make_kiosk()
    tap(qtbot, type_nhs_number(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk).next)
    wait_for(qtbot, kiosk, Screen.RESULT)
    assert shown(kiosk, "queue_number") == "1"
    sent = [(path, key) for path, key in stub.keys if path == "/api/v1/kiosk/walk-in"]
    bodies = walk_ins(stub)
    assert len(sent) == 2 and len({key for _, key in sent}) == 1
    assert len({b["request_id"] for b in bodies}) == 1 and sent[0][1] == bodies[0]["request_id"]
    assert stub.walk_ins[0].queue_number == 1 and len(stub.checkins) == 1  # checked in once
    assert len(list(labels_dir.glob("*.png"))) == 1  # and one label, printed once


def test_the_server_out_of_reach_says_so_and_the_patient_can_start_again(qtbot, make_kiosk, stub):
    kiosk = make_kiosk()
    stub.stop()
    tap(qtbot, type_nhs_number(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk).next)
    wait_for(qtbot, kiosk, Screen.PROBLEM)
    assert shown(kiosk, "problem_title") == "Check-in is not working at the moment"
    tap(qtbot, kiosk.window.current_view.again)
    assert on(kiosk, Screen.START)


def test_walk_in_screens_in_arabic_mirror_but_keypads_read_left_to_right(qtbot, make_kiosk, stub):
    kiosk = make_kiosk()
    tap(qtbot, kiosk.window.views[Screen.START].languages["ar"])
    start = kiosk.window.views[Screen.START]
    assert start.no_appointment.text() != "I do not have an appointment"
    QApplication.processEvents()
    save(kiosk, "ar-walk-in-01-start")
    view = type_nhs_number(qtbot, kiosk, NHS_NUMBER[:5])
    assert view.title.text() != "Type your NHS number"
    keys = view.keypad.keys
    assert keys["1"].x() < keys["2"].x() < keys["3"].x()
    assert view.next.mapTo(kiosk.window, view.next.rect().topLeft()).x() < \
        view.back.mapTo(kiosk.window, view.back.rect().topLeft()).x()
    assert shown(kiosk, "nhs_number_display").startswith(NHS_NUMBER[:3] + " ")
    QApplication.processEvents()
    save(kiosk, "ar-walk-in-02-nhs-number")
    tap(qtbot, view.unknown)
    text = type_answer(qtbot, kiosk, "JANE")
    board = text.keyboard.keys
    assert board["Q"].x() < board["W"].x() < board["E"].x()
    assert shown(kiosk, "text_display") == "JANE_"
    QApplication.processEvents()
    save(kiosk, "ar-walk-in-03-first-name")
    stub.walk_in_refusal = "no_walk_ins"
    tap(qtbot, text.next)
    tap(qtbot, type_answer(qtbot, kiosk, "WALKER").next)
    tap(qtbot, type_answer(qtbot, kiosk, "LS1 4AB").next)
    tap(qtbot, type_dob(qtbot, kiosk).next)
    wait_for(qtbot, kiosk, Screen.PROBLEM)
    assert BOOK_ONLINE_AT in shown(kiosk, "problem_body")
    assert shown(kiosk, "problem_title") != REFUSALS["no_walk_ins"][0]
    QApplication.processEvents()
    save(kiosk, "ar-walk-in-04-no-walk-ins")


# -- the flow alone (no Qt): what the screens cannot show --------------------------------------
def test_a_name_takes_letters_spaces_hyphens_and_apostrophes_only():
    state = transition(State(), NoAppointment()).state
    state = transition(state, NoNhsNumber()).state
    for char in "Jo3 ;-'":
        state = transition(state, TextKey(char)).state
    assert state.given_name == "JO -'"
    step = transition(state, TextDone(" - ' "), today=TODAY)
    assert step.state.error == "Please type your first name." and step.state.text_field == "given_name"


@pytest.mark.parametrize(("typed", "kept"), [("ls14ab", "LS1 4AB"), ("LS1 4AB", "LS1 4AB"),
                                              ("SW1A 1AA", "SW1A 1AA")])
def test_a_whole_postcode_moves_on_to_the_date_of_birth(typed, kept):
    state = State(screen=Screen.WALK_IN_TEXT, walk_in=True, given_name="JANE",
                  family_name="WALKER", text_field="postcode")
    step = transition(state, TextDone(typed), today=TODAY)
    assert step.state.screen == Screen.DOB and step.state.postcode == kept


@pytest.mark.parametrize("typed", ["LS1", "LS1 4A", "12345", "L"])
def test_half_a_postcode_or_not_a_postcode_is_corrected(typed):
    state = State(screen=Screen.WALK_IN_TEXT, walk_in=True, text_field="postcode")
    step = transition(state, TextDone(typed), today=TODAY)
    assert step.state.screen == Screen.WALK_IN_TEXT
    assert step.state.error == "Please check your postcode. It looks like LS1 4AB."
    assert step.commands == ()


@pytest.mark.parametrize("code", ["invalid", "not_found"])
def test_details_the_server_cannot_use_read_as_no_request_for_a_walk_in(code):
    busy = State(screen=Screen.BUSY, busy="checking_in", walk_in=True, nhs_number=NHS_NUMBER)
    step = transition(busy, Failed(code), today=TODAY)
    assert step.state.problem is not None and step.state.problem.code == "no_request"
    assert step.state.nhs_number == ""  # the problem screen keeps nothing about the patient
    booked = transition(State(screen=Screen.BUSY, busy="checking_in"), Failed(code), today=TODAY)
    assert booked.state.problem is not None and booked.state.problem.code == code


WALK_IN_SCREENS = {
    "start": State(),
    "nhs-typo": State(screen=Screen.WALK_IN_NHS, walk_in=True, nhs_number="9434765918",
                      error=NHS_NUMBER_TYPO),
    "first-name": State(screen=Screen.WALK_IN_TEXT, walk_in=True, given_name="ANNE-MARIE"),
    "postcode-error": State(screen=Screen.WALK_IN_TEXT, walk_in=True, text_field="postcode",
                            postcode="LS1", error=BAD_POSTCODE),
    **{code: State(screen=Screen.PROBLEM, problem=Problem(code, {"book_online_at": BOOK_ONLINE_AT}))
       for code in ("no_request", "no_walk_ins", "walk_ins_full", "no_clinic")},
}


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large-contrast"])
@pytest.mark.parametrize("code", ["cy", "pl", "ar"])
def test_walk_in_screens_fit_in_every_language_and_text_size(qtbot, make_kiosk, code, large):
    """Nothing squeezed below its height or pushed off the screen (the words are longest in
    Welsh and Polish, and largest with larger text); saved to be looked at."""
    kiosk = make_kiosk()
    window = kiosk.window
    tap(qtbot, window.views[Screen.START].languages[code])
    window.apply_theme(Theme(large=large, contrast=large))
    for name, state in WALK_IN_SCREENS.items():
        window.show_state(state)
        qtbot.wait(1)
        view = window.current_view
        for widget in view.findChildren(QWidget):
            if widget.isVisible():
                needed = (widget.heightForWidth(widget.width()) if widget.hasHeightForWidth()
                          else widget.minimumSizeHint().height())
                assert widget.height() >= needed, (name, widget.objectName(), needed)
                assert widget.mapTo(view, widget.rect().bottomLeft()).y() <= view.height(), name
        if isinstance(view, TextEntryView | NhsNumberView):
            assert view.next.height() >= 64 and view.back.height() >= 64
        for way_in in view.findChildren(QPushButton):  # no button's words cut off
            if way_in.isVisible():
                assert way_in.sizeHint().width() <= way_in.width(), (name, way_in.text())
        assert window.grab().save(str(OUT / f"walk-in-{code}-{name}{'-large' if large else ''}.png"))
