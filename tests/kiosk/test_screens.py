"""The real kiosk window, offscreen: taps on the on-screen keypads, the virtual scanner,
idle timeout, accessibility toggles and kiosk lock-down. Assertions are on what patients see."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QPushButton

from hardware_sim.scanner import VirtualScanner
from kiosk_app.flow import Screen
from kiosk_app.views import DobView, ReferenceView
from tests.kiosk.conftest import REFERENCE
from tests.kiosk.test_screenshots import OUT

LEFT = Qt.MouseButton.LeftButton


def tap(qtbot, widget: QPushButton) -> None:
    assert widget.isVisible() and widget.isEnabled(), widget.objectName()
    assert widget.height() >= 64, f"{widget.objectName()} is {widget.height()} px high"
    qtbot.mouseClick(widget, LEFT)


def shown(kiosk, name: str) -> str:
    label = kiosk.window.current_view.findChild(QLabel, name)
    assert label is not None, name
    return label.text() if label.isVisible() else ""


def save(kiosk, name: str) -> None:
    """The screen as patients see it, in test-artifacts/kiosk/ for people to look at."""
    OUT.mkdir(parents=True, exist_ok=True)
    assert kiosk.window.grab().save(str(OUT / f"flow-{name}.png"))


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


def test_a_mistyped_date_of_birth_gets_one_more_try(qtbot, make_kiosk, stub):
    kiosk = make_kiosk()
    tap(qtbot, type_reference(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk, "05031957").next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.DOB) and bool(kiosk.controller.state.error),
                    timeout=5000)
    assert shown(kiosk, "dob_error").startswith("We could not find a booking with that reference")
    assert [kiosk.window.current_view.fields[f].text() for f in ("day", "month", "year")] == [
        "", "", ""]
    save(kiosk, "dob-one-more-try")
    tap(qtbot, type_dob(qtbot, kiosk, "04031957").next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.CONFIRM), timeout=5000)
    assert [r[2]["reference"] for r in stub.requests if r[1].endswith("identify")] == [
        REFERENCE, REFERENCE]


def test_a_second_wrong_date_of_birth_shows_the_not_found_screen(qtbot, make_kiosk):
    kiosk = make_kiosk()
    tap(qtbot, type_reference(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk, "05031957").next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.DOB) and bool(kiosk.controller.state.error),
                    timeout=5000)
    tap(qtbot, type_dob(qtbot, kiosk, "06031957").next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.PROBLEM), timeout=5000)
    assert shown(kiosk, "problem_title") == "We could not find your appointment"
    assert shown(kiosk, "problem_action") == "Please speak to reception."
    assert shown(kiosk, "queue_number") == ""
    tap(qtbot, kiosk.window.current_view.again)
    assert on(kiosk, Screen.START)


def test_a_barcode_that_is_not_ours_is_refused_before_the_date_of_birth(qtbot, make_kiosk, stub):
    kiosk = make_kiosk()
    VirtualScanner(kiosk.window).scan("5012345678900")  # a shop barcode, say
    assert on(kiosk, Screen.START)
    assert shown(kiosk, "start_error").startswith("That is not a check-in QR code.")
    assert stub.requests == []  # nothing asked of the server, no date of birth asked for
    save(kiosk, "start-not-our-code")
    VirtualScanner(kiosk.window).scan(stub.appointments[REFERENCE].qr)
    assert on(kiosk, Screen.DOB)  # the real code right after still works


def test_wrong_day_and_wrong_site_screens_give_the_facts(qtbot, make_kiosk, stub):
    appt = stub.appointments[REFERENCE]
    kiosk = make_kiosk()
    appt.problem, appt.problem_extra = "wrong_day", {"starts_at": "2099-03-03T10:30:00+00:00"}
    tap(qtbot, type_reference(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk).next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.PROBLEM), timeout=5000)
    assert shown(kiosk, "problem_body") == ("Your appointment is on Tuesday 3 March 2099 at "
                                            "10:30am. Please come back then.")
    save(kiosk, "problem-wrong-day")
    tap(qtbot, kiosk.window.current_view.again)
    appt.problem, appt.problem_extra = "wrong_site", {
        "site_name": "Seacroft Clinic", "site_address": "1 York Road, Leeds, LS14 6UH",
        "starts_at": "2099-03-03T10:30:00+00:00"}
    tap(qtbot, type_reference(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk).next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.PROBLEM), timeout=5000)
    assert shown(kiosk, "problem_title") == "This appointment is at a different place"
    assert shown(kiosk, "problem_body") == ("Your appointment is at Seacroft Clinic, 1 York Road, "
                                            "Leeds, LS14 6UH, on Tuesday 3 March 2099 at 10:30am.")
    save(kiosk, "problem-wrong-site")


def test_impossible_date_is_corrected_on_screen(qtbot, make_kiosk):
    kiosk = make_kiosk()
    tap(qtbot, type_reference(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk, "31021990").next)
    assert on(kiosk, Screen.DOB)
    assert "does not exist" in shown(kiosk, "dob_error")


def test_not_me_sends_to_reception_and_tells_staff(qtbot, make_kiosk, stub):
    kiosk = make_kiosk()
    tap(qtbot, type_reference(qtbot, kiosk).next)
    tap(qtbot, type_dob(qtbot, kiosk).next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.CONFIRM), timeout=5000)
    tap(qtbot, kiosk.window.current_view.no)
    assert "reception" in shown(kiosk, "problem_action")
    assert "J***" not in " ".join(label.text() for label in kiosk.window.findChildren(QLabel)
                                  if label.isVisible())
    qtbot.waitUntil(lambda: stub.not_me == ["ABCDEFGHJ"], timeout=5000)  # flagged for staff


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


def test_the_letter_and_the_pages_say_what_the_kiosk_asks(make_kiosk):
    import pypdfium2

    from booking_web.services.appointment_summary import AppointmentSummary
    from booking_web.services.letters import letter_pdf

    start = dt.datetime(2026, 11, 23, 9, 10, tzinfo=dt.UTC)
    summary = AppointmentSummary(
        "DJFR4HYW8", "DJF-R4H-YW8", "booked", "adult", "Adult blood test", start,
        start + dt.timedelta(minutes=10), "Monday 23 November 2026", "9:10am", 1,
        "Northgate Health Centre", "12 Northgate Road, Leeds", "LS7 3AB", "", "Ann Example",
        "", "PHLEBO1.x",
    )  # fmt: skip
    doc = pypdfium2.PdfDocument(letter_pdf(summary, manage_url="https://example.nhs.uk/m"))
    try:
        letter = " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in doc)
    finally:
        doc.close()
    kiosk = make_kiosk()
    views = kiosk.window.views
    no_qr = views[Screen.START].no_qr.text()
    for steps in (" ".join(summary.check_in_steps), letter):
        assert "scan this QR code, then enter your date of birth" in steps  # scan, then DOB
        assert f'Tap "{no_qr}", type your booking reference DJF-R4H-YW8' in steps
        assert views[Screen.REFERENCE].title.text().lower() in steps.lower()
        assert views[Screen.DOB].title.text().lower() in steps.lower()
