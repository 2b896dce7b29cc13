"""A patient with six tests checks in at the real kiosk against the real server, and the
simulated printer's labels are decoded and compared dot for dot with what the server says."""

from __future__ import annotations

import shutil

import pytest

from kiosk_app.flow import Screen
from kiosk_app.views.result import HAND_LABEL
from tests.e2e.conftest import ARRIVES_AT
from tests.e2e.helpers import (
    DRAW_ORDER,
    NHS_NUMBER,
    ScreenLog,
    StaffBrowser,
    appointment_status,
    assert_each_label_printed_once,
    book_with_request,
    confirm_and_wait,
    on,
    qr_from_manage_page,
    scan_and_enter_dob,
    server_labels,
    shown,
    tap,
    wait_for_confirm,
    wait_for_print_report,
)


@pytest.mark.parametrize("printer_language", ["escpos", "zpl"])
def test_six_tests_check_in_prints_four_labels_in_order_of_draw(
        qtbot, world, make_kiosk, artifacts):
    booking = book_with_request(world)
    assert qr_from_manage_page(world, booking) == booking.qr  # the code the patient carries
    world.at(ARRIVES_AT)
    kiosk = make_kiosk()
    log = ScreenLog(kiosk)

    scan_and_enter_dob(qtbot, kiosk, booking.qr)
    wait_for_confirm(qtbot, kiosk)
    confirm_and_wait(qtbot, kiosk)
    wait_for_print_report(qtbot, world, kiosk, booking)

    # What the patient sees.
    assert on(kiosk, Screen.RESULT), kiosk.controller.state
    assert shown(kiosk, "queue_number") == "1"
    assert shown(kiosk, "wait") == "You should be seen soon."
    assert log.label_messages() == ["Your labels are printing for the phlebotomist.",
                                    "Your labels have printed for the phlebotomist."]
    assert shown(kiosk, "hand_label") == HAND_LABEL
    assert HAND_LABEL == "The phlebotomist will label one tube at the chair."
    kiosk.window.grab().save(str(artifacts / "result-screen.png"))

    # What the server recorded, and what the kiosk was told to print.
    server = server_labels(world, booking)
    assert server.containers == DRAW_ORDER
    assert [lab.tests for lab in server.labels] == [("INR",), ("UE", "LFT"), ("FBC",), ("GLU",)]
    sent = kiosk.controller.state.checkin
    assert sent is not None and sent.hand_label == ("Group and save",)
    assert list(sent.labels) == server.labels
    assert server.job_status == "printed" and server.printer_status == "ok"
    assert server.outcomes == ["confirmed"] * 4
    assert appointment_status(world, booking) == ("checked_in", 1)

    # What the printer printed: four labels, in order of draw, dot for dot the server's labels
    # (so SURNAME, forename, DOB, NHS number 3-3-4 and tests are right), none for GS, no REPRINT.
    printed = assert_each_label_printed_once(world, server)
    assert [p.specimen_id for p in printed] == server.ids
    assert [p.path.name for p in printed] == ["0001.png", "0002.png", "0003.png", "0004.png"]
    assert not any(p.reprint for p in printed)
    assert len({p.session for p in printed}) == 1  # one print job, one connection
    first = server.labels[0]
    assert (first.family_name, first.given_name, first.nhs_number) == (
        "Whitfield", "Margaret", NHS_NUMBER)
    for p in printed[:2]:
        shutil.copy(p.path, artifacts / f"label-{p.path.stem}.png")

    # The phlebotomist's today page: labels printed, GS to hand-label at the chair.
    with StaffBrowser(world, world.phlebotomist) as staff:
        today = staff.get("/staff/today")
        assert "Labels did not all print" not in today
        assert "WHITFIELD, Margaret" in today and "Printed" in today
        assert "Hand-label at the chair: Group and save" in today
        detail = staff.get(f"/staff/today/{booking.appointment_id}")
        assert "Group and save: no label was printed" in detail
        assert detail.count(">Printed</td>") == 4

    tap(qtbot, kiosk.window.current_view.finish)
    assert on(kiosk, Screen.START)
    assert shown(kiosk, "scan_prompt").startswith("Scan the QR code")


def test_the_same_qr_scanned_again_says_already_checked_in_and_prints_nothing(
        qtbot, world, make_kiosk):
    booking = book_with_request(world)
    world.at(ARRIVES_AT)
    kiosk = make_kiosk()
    scan_and_enter_dob(qtbot, kiosk, booking.qr)
    wait_for_confirm(qtbot, kiosk)
    confirm_and_wait(qtbot, kiosk)
    assert on(kiosk, Screen.RESULT) and shown(kiosk, "queue_number") == "1"
    assert len(world.pngs()) == 4
    tap(qtbot, kiosk.window.current_view.finish)

    scan_and_enter_dob(qtbot, kiosk, booking.qr)
    qtbot.waitUntil(lambda: on(kiosk, Screen.PROBLEM), timeout=10_000)
    assert shown(kiosk, "problem_title") == "You are already checked in"
    assert shown(kiosk, "problem_body") == "You do not need to check in again."
    assert shown(kiosk, "queue_number") == "1"
    assert "M*******" not in shown(kiosk, "problem_body")

    kiosk.background.wait(5_000)
    server = server_labels(world, booking)
    assert len(world.pngs()) == 4 and len(server.attempts) == 1
    assert server.kiosk_jobs == 1 and server.staff_jobs == 0
    assert appointment_status(world, booking) == ("checked_in", 1)
    tap(qtbot, kiosk.window.current_view.again)
    assert on(kiosk, Screen.START)
