"""Printer and network faults with real parts. Each checks: no label lost, none duplicated
(every specimen ends up on paper exactly once, as the label or as a copy marked REPRINT),
the patient told (speak to reception, with their number), staff told (the today page)."""

from __future__ import annotations

import datetime as dt
import shutil
import time

import pytest

from booking_web.services import reprints as label_service
from booking_web.services.staff_audit import Actor
from kiosk_app.flow import Screen
from shared.models import PrintJob
from tests.e2e.conftest import ARRIVES_AT, World
from tests.e2e.helpers import (
    Booking,
    StaffBrowser,
    appointment_status,
    assert_each_label_printed_once,
    book_with_request,
    confirm_and_wait,
    lost_labels,
    on,
    read_labels,
    reprint_at_the_chair,
    scan_and_enter_dob,
    server_labels,
    set_site_printer,
    shown,
    tap,
    wait_for_confirm,
    wait_for_print_report,
)
from tests.e2e.proxy import LossyProxy

CHECKIN = b"POST /api/v1/kiosk/checkin "


def check_in(qtbot, kiosk, booking: Booking) -> None:  # type: ignore[no-untyped-def]
    """Scan, date of birth, 'Yes, check me in', and wait for the end."""
    scan_and_enter_dob(qtbot, kiosk, booking.qr)
    wait_for_confirm(qtbot, kiosk)
    confirm_and_wait(qtbot, kiosk)


def assert_patient_told_to_see_reception(kiosk, number: int = 1) -> None:  # type: ignore[no-untyped-def]
    """Checked in, number shown, labels are for reception."""
    assert on(kiosk, Screen.PROBLEM), kiosk.controller.state
    assert shown(kiosk, "problem_title") == "You're checked in"
    assert shown(kiosk, "problem_body") == "Your labels did not print."
    assert shown(kiosk, "problem_action") == "Please speak to reception about your labels."
    assert shown(kiosk, "queue_number") == str(number)


def assert_staff_alerted(world: World, status: str) -> None:
    """The today page lists the patient under 'Labels did not all print'."""
    with StaffBrowser(world, world.phlebotomist) as staff:
        today = staff.get("/staff/today")
    assert "Labels did not all print" in today
    assert f"Number 1, WHITFIELD, Margaret: labels {status}" in today
    assert f"{status.capitalize()}: check labels" in today


def reprint_by_service(world: World, specimen_ids: list[str]) -> list[str]:
    """Staff reprints through the service, to the site printer the admin set, each printed by
    the print worker before the next; returns what each job says once printed."""
    messages = []
    world.at(ARRIVES_AT + dt.timedelta(minutes=5))
    for sid in specimen_ids:
        with world.session() as session:
            result = label_service.reprint_specimen(
                session=session, specimen_id_text=sid, site_id=world.site_id,
                actor=Actor(None, "pat", "Phlebotomist"), reason="not_printed",
                checked_printer=True,
                now=ARRIVES_AT + dt.timedelta(minutes=5), settings=world.settings)
            assert result.printer == "site" and result.job.status == "pending"
        deadline = time.monotonic() + 30
        while (job := _job(world, result.job.id)).status != "printed":
            assert time.monotonic() < deadline, job.detail
            time.sleep(0.1)
        messages.append(job.detail)
    return messages


def _job(world: World, job_id: int | None) -> PrintJob:
    with world.session() as session:
        job = session.get(PrintJob, job_id)
        assert job is not None
        return job


@pytest.mark.parametrize("printer_language", ["escpos", "zpl"])
def test_paper_out_after_two_of_four_labels(qtbot, world, make_kiosk, artifacts):
    booking = book_with_request(world)
    world.at(ARRIVES_AT)
    world.printer.set_paper_out(2)
    kiosk = make_kiosk()
    check_in(qtbot, kiosk, booking)
    wait_for_print_report(qtbot, world, kiosk, booking)

    assert_patient_told_to_see_reception(kiosk)
    server = server_labels(world, booking)
    assert server.job_status == "partial" and server.printer_status == "fault"
    assert server.outcomes == ["confirmed", "confirmed", "unconfirmed", "not_sent"]
    assert [p.specimen_id for p in read_labels(world, server)] == server.ids[:2]
    assert [e["reason"] for e in lost_labels(world)] == ["paper out"]  # the 3rd was lost
    assert_staff_alerted(world, "partial")

    # Reception: a new roll; the admin points the site's reprint printer at this printer; the
    # phlebotomist reprints the two missing labels from the patient page.
    world.printer.load_paper()
    set_site_printer(world, world.sim.uri)
    with StaffBrowser(world, world.phlebotomist) as staff:
        detail = staff.get(f"/staff/today/{booking.appointment_id}")
        assert "Unknown: it may have printed" in detail and "Not printed" in detail
        for sid in server.ids[2:]:
            # The 3rd may have printed as far as the kiosk knows: the paper ran out, it is not
            # on the printer, and staff say so.
            page = reprint_at_the_chair(staff, booking, sid, "not_printed",
                                        checked_printer=sid == server.ids[2])
            assert "On the site&#39;s label printer, 08:55." in page
        detail = staff.get(f"/staff/today/{booking.appointment_id}")
        assert detail.count("Reprinted 1 of 2 times.") == 2
        # Every label is now on paper: the alert has done its job and goes away.
        today = staff.get("/staff/today")
        assert "Labels did not all print" not in today and "check labels" not in today

    printed = assert_each_label_printed_once(world, server_labels(world, booking))
    assert [(p.specimen_id, p.reprint) for p in printed] == [
        (server.ids[0], False), (server.ids[1], False), (server.ids[2], True),
        (server.ids[3], True)]
    shutil.copy(printed[2].path, artifacts / "label-reprint.png")
    after = server_labels(world, booking)
    assert after.staff_jobs == 2 and after.kiosk_jobs == 1
    assert appointment_status(world, booking) == ("checked_in", 1)


def test_printer_offline_prints_nothing_and_fails_the_job(qtbot, world, make_kiosk):
    booking = book_with_request(world)
    world.at(ARRIVES_AT)
    world.printer.set_offline(True)
    kiosk = make_kiosk()
    check_in(qtbot, kiosk, booking)
    wait_for_print_report(qtbot, world, kiosk, booking)

    assert_patient_told_to_see_reception(kiosk)
    server = server_labels(world, booking)
    assert server.job_status == "failed" and server.printer_status == "fault"
    assert server.outcomes == ["not_sent"] * 4
    assert world.pngs() == [] and lost_labels(world) == []
    assert_staff_alerted(world, "failed")

    world.printer.set_offline(False)
    set_site_printer(world, world.sim.uri)
    assert reprint_by_service(world, server.ids) == ["1 of 1 labels printed."] * 4
    printed = assert_each_label_printed_once(world, server_labels(world, booking))
    assert [p.specimen_id for p in printed] == server.ids and all(p.reprint for p in printed)


def test_connection_dropped_mid_job(qtbot, world, make_kiosk):
    booking = book_with_request(world)
    world.at(ARRIVES_AT)
    world.printer.drop_after(2)
    kiosk = make_kiosk()
    check_in(qtbot, kiosk, booking)
    wait_for_print_report(qtbot, world, kiosk, booking)

    assert_patient_told_to_see_reception(kiosk)
    server = server_labels(world, booking)
    assert server.job_status == "partial" and server.printer_status == "unknown"
    assert server.outcomes == ["confirmed", "confirmed", "unconfirmed", "not_sent"]
    assert [p.specimen_id for p in read_labels(world, server)] == server.ids[:2]
    assert_staff_alerted(world, "partial")

    set_site_printer(world, world.sim.uri)
    reprint_by_service(world, server.ids[2:])
    printed = assert_each_label_printed_once(world, server_labels(world, booking))
    assert [p.reprint for p in printed] == [False, False, True, True]


def test_server_down_during_check_in_then_a_retry_checks_in_once(qtbot, world, make_kiosk):
    booking = book_with_request(world)
    world.at(ARRIVES_AT)
    kiosk = make_kiosk()
    scan_and_enter_dob(qtbot, kiosk, booking.qr)
    wait_for_confirm(qtbot, kiosk)
    world.server.stop()  # between "Is this you?" and the tap on Yes
    confirm_and_wait(qtbot, kiosk)

    assert on(kiosk, Screen.PROBLEM)
    assert shown(kiosk, "problem_title") == "Check-in is not working at the moment"
    assert shown(kiosk, "problem_action") == "Please speak to reception."
    assert shown(kiosk, "queue_number") == ""
    assert appointment_status(world, booking) == ("booked", None)
    server = server_labels(world, booking)
    assert server.attempts == [] and server.kiosk_jobs == 0 and server.ids == []
    assert world.pngs() == []

    world.server.start()  # the same port: the kiosk's address still works
    tap(qtbot, kiosk.window.current_view.again)
    check_in(qtbot, kiosk, booking)
    wait_for_print_report(qtbot, world, kiosk, booking)

    assert on(kiosk, Screen.RESULT) and shown(kiosk, "queue_number") == "1"
    server = server_labels(world, booking)
    assert len(server.attempts) == 1 and server.kiosk_jobs == 1
    assert server.job_status == "printed" and len(server.ids) == 4
    printed = assert_each_label_printed_once(world, server)
    assert not any(p.reprint for p in printed)


def test_a_lost_reply_is_retried_with_the_same_request_id(qtbot, world, make_kiosk):
    booking = book_with_request(world)
    world.at(ARRIVES_AT)
    with LossyProxy(world.server.port, match=CHECKIN, drops=1) as proxy:
        kiosk = make_kiosk(server_url=proxy.url)
        check_in(qtbot, kiosk, booking)
        wait_for_print_report(qtbot, world, kiosk, booking)
        kiosk.background.wait(5_000)

    # The first check-in was done on the server but its reply never came; the kiosk's retry
    # carried the same request_id, and the server answered it with the same check-in.
    assert proxy.lost == 1
    bodies = proxy.bodies()
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert bodies[0]["request_id"] == kiosk.controller.state.request_id
    server = server_labels(world, booking)
    assert server.attempts == [bodies[0]["request_id"]]
    assert on(kiosk, Screen.RESULT) and shown(kiosk, "queue_number") == "1"
    assert shown(kiosk, "labels") == "Your labels have printed for the phlebotomist."
    assert server.kiosk_jobs == 1 and server.job_status == "printed"
    printed = assert_each_label_printed_once(world, server)
    assert [p.specimen_id for p in printed] == server.ids and not any(p.reprint for p in printed)
