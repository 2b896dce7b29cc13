"""The real kiosk window, offscreen: taps on the on-screen keypads, the virtual scanner,
idle timeout, accessibility toggles and kiosk lock-down. Assertions are on what patients see."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton

from hardware_sim.scanner import VirtualScanner
from kiosk_app.flow import Screen
from kiosk_app.views import DobView, ReferenceView
from tests.kiosk.conftest import REFERENCE

LEFT = Qt.MouseButton.LeftButton


def tap(qtbot, widget: QPushButton) -> None:
    assert widget.isVisible() and widget.isEnabled(), widget.objectName()
    assert widget.height() >= 64, f"{widget.objectName()} is {widget.height()} px high"
    qtbot.mouseClick(widget, LEFT)


def shown(kiosk, name: str) -> str:
    label = kiosk.window.current_view.findChild(QLabel, name)
    assert label is not None, name
    return label.text() if label.isVisible() else ""


def on(kiosk, screen: Screen) -> bool:
    return kiosk.controller.state.screen == screen


def type_reference(qtbot, kiosk, reference: str = REFERENCE) -> ReferenceView:
    tap(qtbot, kiosk.window.views[Screen.START].no_qr)
    view = kiosk.window.current_view
    assert isinstance(view, ReferenceView)
    for char in reference:
        tap(qtbot, view.keypad.keys[char])
    return view


def type_dob(qtbot, kiosk, digits: str = "04031957") -> DobView:
    view = kiosk.window.current_view
    assert isinstance(view, DobView)
    for digit in digits:
        tap(qtbot, view.keypad.keys[digit])
    return view


def test_manual_check_in_by_tapping(qtbot, make_kiosk, stub):
    kiosk = make_kiosk()
    assert "Scan the QR code" in shown(kiosk, "scan_prompt")
    view = type_reference(qtbot, kiosk)
    assert shown(kiosk, "reference_display") == "ABC-DEF-GHJ"
    tap(qtbot, view.delete)
    assert shown(kiosk, "reference_display") == "ABC-DEF-GH_"
    tap(qtbot, view.keypad.keys["J"])
    tap(qtbot, view.next)

    dob = type_dob(qtbot, kiosk)
    assert [dob.fields[f].text() for f in ("day", "month", "year")] == ["04", "03", "1957"]
    tap(qtbot, dob.next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.CONFIRM), timeout=5000)
    assert shown(kiosk, "masked_name") == "J*** S****"
    assert shown(kiosk, "appointment_time") == "Appointment at 10:30"

    tap(qtbot, kiosk.window.current_view.yes)
    qtbot.waitUntil(lambda: on(kiosk, Screen.RESULT), timeout=5000)
    assert shown(kiosk, "queue_number") == "1"
    assert shown(kiosk, "wait") == "Your wait is about 15 minutes."
    qtbot.waitUntil(lambda: "have printed" in shown(kiosk, "labels"), timeout=10000)
    assert stub.reports and stub.reports[0][1]["printer_status"] == "ok"
    tap(qtbot, kiosk.window.current_view.finish)
    assert on(kiosk, Screen.START)


def test_scanning_a_qr_code_asks_for_the_date_of_birth(qtbot, make_kiosk, stub):
    kiosk = make_kiosk()
    VirtualScanner(kiosk.window).scan(stub.appointments[REFERENCE].qr)
    assert on(kiosk, Screen.DOB)
    assert kiosk.controller.state.qr == stub.appointments[REFERENCE].qr
    tap(qtbot, type_dob(qtbot, kiosk).next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.CONFIRM), timeout=5000)
    assert stub.requests[-1][2]["qr"] == stub.appointments[REFERENCE].qr


def test_slow_human_typing_is_not_a_scan(qtbot, make_kiosk, stub):
    kiosk = make_kiosk()
    VirtualScanner(kiosk.window).type_like_a_person("PHLEBO1.ABC", interval_ms=120)
    assert on(kiosk, Screen.START)
    # ...and the keys did not leak into anything: a real scan right after still works.
    VirtualScanner(kiosk.window).scan(stub.appointments[REFERENCE].qr)
    assert on(kiosk, Screen.DOB)


def test_a_scan_survives_a_busy_gui_thread(qtbot, make_kiosk, stub):
    """The keys are timed by when they were pressed (the event's timestamp), not by when the
    GUI thread handled them: a 300 ms stall mid-scan used to drop the start of the code."""
    kiosk = make_kiosk()
    VirtualScanner(kiosk.window).scan(stub.appointments[REFERENCE].qr, stall_after=6, stall_ms=300)
    assert on(kiosk, Screen.DOB)
    assert kiosk.controller.state.qr == stub.appointments[REFERENCE].qr


def test_slow_keys_with_timestamps_are_still_a_person(qtbot, make_kiosk):
    kiosk = make_kiosk()
    VirtualScanner(kiosk.window).type_like_a_person("PHLEBO1.ABCDEFGH", interval_ms=120)
    assert on(kiosk, Screen.START)


def test_a_short_fast_burst_is_not_a_scan(qtbot, make_kiosk):
    kiosk = make_kiosk()
    VirtualScanner(kiosk.window).scan("ABC")
    assert on(kiosk, Screen.START)


def test_wrong_date_of_birth_shows_the_not_found_screen(qtbot, make_kiosk):
    kiosk = make_kiosk()
    tap(qtbot, type_reference(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk, "05031957").next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.PROBLEM), timeout=5000)
    assert shown(kiosk, "problem_title") == "We could not find your appointment"
    assert shown(kiosk, "problem_action") == "Please speak to reception."
    assert shown(kiosk, "queue_number") == ""
    tap(qtbot, kiosk.window.current_view.again)
    assert on(kiosk, Screen.START)


def test_impossible_date_is_corrected_on_screen(qtbot, make_kiosk):
    kiosk = make_kiosk()
    tap(qtbot, type_reference(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk, "31021990").next)
    assert on(kiosk, Screen.DOB)
    assert "does not exist" in shown(kiosk, "dob_error")


def test_not_me_sends_to_reception(qtbot, make_kiosk):
    kiosk = make_kiosk()
    tap(qtbot, type_reference(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk).next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.CONFIRM), timeout=5000)
    tap(qtbot, kiosk.window.current_view.no)
    assert "reception" in shown(kiosk, "problem_action")
    assert "J***" not in " ".join(label.text() for label in kiosk.window.findChildren(QLabel)
                                  if label.isVisible())


def test_printer_fault_still_shows_the_queue_number(qtbot, make_kiosk, sim_printer):
    sim_printer.set_paper_out(0)
    kiosk = make_kiosk()
    tap(qtbot, type_reference(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk).next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.CONFIRM), timeout=5000)
    tap(qtbot, kiosk.window.current_view.yes)
    qtbot.waitUntil(lambda: on(kiosk, Screen.PROBLEM), timeout=10000)
    assert shown(kiosk, "problem_title") == "You're checked in"
    assert shown(kiosk, "queue_number") == "1"
    assert shown(kiosk, "problem_action") == "Please speak to reception about your labels."


def test_server_unreachable_screen(qtbot, make_kiosk, stub):
    kiosk = make_kiosk()
    stub.stop()
    tap(qtbot, type_reference(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk).next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.PROBLEM), timeout=10000)
    assert shown(kiosk, "problem_title") == "Check-in is not working at the moment"


def test_idle_timeout_returns_to_start_and_clears_everything(qtbot, make_kiosk):
    kiosk = make_kiosk(idle_seconds=0.3)
    type_reference(qtbot, kiosk, "ABCD")
    kiosk.window.toggle_text_size()
    assert shown(kiosk, "reference_display") == "ABC-D__-___"
    qtbot.waitUntil(lambda: on(kiosk, Screen.START), timeout=3000)
    assert kiosk.controller.state.reference == ""
    assert kiosk.window.views[Screen.REFERENCE].display.text() == "___-___-___"
    assert kiosk.window.text_size.text() == "Larger text"  # back to normal for the next person


def test_touches_keep_the_kiosk_awake(qtbot, make_kiosk):
    kiosk = make_kiosk(idle_seconds=0.4)
    view = type_reference(qtbot, kiosk, "A")
    for char in "BCDE":
        QTest.qWait(250)
        tap(qtbot, view.keypad.keys[char])
    assert on(kiosk, Screen.REFERENCE)
    assert kiosk.controller.state.reference == "ABCDE"


def test_text_size_and_high_contrast_change_fonts_and_colours(qtbot, make_kiosk):
    kiosk = make_kiosk()
    title = kiosk.window.views[Screen.START].title
    title.ensurePolished()
    normal_size = title.font().pixelSize()
    normal_text = title.palette().color(QPalette.ColorRole.WindowText).name()
    tap(qtbot, kiosk.window.text_size)
    title.ensurePolished()
    assert title.font().pixelSize() > normal_size
    assert kiosk.window.text_size.text() == "Smaller text"
    tap(qtbot, kiosk.window.contrast)
    title.ensurePolished()
    assert title.palette().color(QPalette.ColorRole.WindowText).name() == "#ffffff"
    assert normal_text != "#ffffff"
    assert kiosk.window.contrast.text() == "Normal colours"
    tap(qtbot, kiosk.window.text_size)
    tap(qtbot, kiosk.window.contrast)
    title.ensurePolished()
    assert title.font().pixelSize() == normal_size


def test_toggles_are_on_every_screen(make_kiosk):
    kiosk = make_kiosk()
    for screen, view in kiosk.window.views.items():
        kiosk.window.stack.setCurrentWidget(view)
        assert kiosk.window.text_size.isVisible() and kiosk.window.contrast.isVisible(), screen


def test_kiosk_mode_cannot_be_closed_or_escaped(qtbot, make_kiosk):
    kiosk = make_kiosk()
    window = kiosk.window
    assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
    tap(qtbot, window.views[Screen.START].no_qr)
    QTest.keyClick(window, Qt.Key.Key_Escape)
    QTest.keyClick(window, Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier)
    assert window.close() is False
    assert window.isVisible() and on(kiosk, Screen.REFERENCE)


def test_dev_mode_is_a_closable_window(qtbot, make_kiosk):
    kiosk = make_kiosk(dev=True)
    assert not kiosk.window.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert kiosk.window.close() is True


def test_every_button_is_a_big_touch_target(make_kiosk):
    kiosk = make_kiosk()
    for view in kiosk.window.views.values():
        kiosk.window.stack.setCurrentWidget(view)
        for widget in view.findChildren(QPushButton):
            if widget.isVisible():
                assert widget.height() >= 64 and widget.width() >= 64, widget.objectName()
