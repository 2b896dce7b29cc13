"""Labels at the chair with real parts, in ESC/POS and in ZPL: the real kiosk checks the patient
in and prints nothing; an admin sets up the chairs on the admin page; the phlebotomist calls the
next patient to Chair 2 and scans the QR code from the patient's phone; the print worker sends
the labels to Chair 2's printer over TCP; the paper runs out mid-job, the today page says so,
a new roll goes in, and the outstanding labels print once: every specimen on paper exactly once
(the one that may have printed comes out marked REPRINT), with the time and collector on it."""

from __future__ import annotations

import time

import pytest

from kiosk_app.flow import Screen
from tests.e2e.conftest import ARRIVES_AT, World
from tests.e2e.helpers import (
    StaffBrowser,
    assert_each_label_printed_once,
    book_with_request,
    on,
    server_labels,
    shown,
)
from tests.e2e.test_faults_e2e import check_in


def set_up_chairs(world: World) -> None:
    """The admin adds Chair 1 and Chair 2 (the simulated printer) and prints at the chair."""
    page = f"/staff/admin/sites/{world.site_id}/chairs"
    with StaffBrowser(world, world.admin) as admin:
        for name, uri in (("Chair 1", "tcp://127.0.0.1:9"), ("Chair 2", world.sim.uri)):
            assert f"{name} saved." in admin.post(page, {"name": name, "printer_uri": uri}).text
        saved = admin.post(f"/staff/admin/sites/{world.site_id}/label-settings",
                           {"print_at": "chair"}, form_page=page)
        assert "Label settings saved." in saved.text


def until(check, seconds: float = 20.0):  # type: ignore[no-untyped-def]
    """Poll `check` (bounded) until it returns something true; that value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"still not true after {seconds} s")


@pytest.mark.parametrize("printer_language", ["escpos", "zpl"])
def test_labels_print_once_at_the_chair_after_identity_through_a_paper_out(
        qtbot, world, make_kiosk, printer_language):
    set_up_chairs(world)
    booking = book_with_request(world)
    world.at(ARRIVES_AT)
    kiosk = make_kiosk()
    check_in(qtbot, kiosk, booking)
    assert on(kiosk, Screen.RESULT) and shown(kiosk, "queue_number") == "1"
    assert world.pngs() == []  # the kiosk prints nothing where labels print at the chair

    world.printer.set_paper_out(2)  # the world's print worker sends the chair's labels
    with StaffBrowser(world, world.phlebotomist) as staff:
        today = staff.get("/staff/today")
        assert "Call next to Chair 2" in today
        chair2 = today.split("Call next to Chair 2")[0].rsplit("/staff/today/chairs/", 1)[1]
        chair_id = chair2.split("/")[0]
        staff.post(f"/staff/today/chairs/{chair_id}/call-next", {}, form_page="/staff/today")
        patient = f"/staff/today/{booking.appointment_id}"
        assert "Confirm who the patient is" in staff.get(patient)
        # The QR code on the patient's letter (the one they scanned at the kiosk).
        done = staff.post(f"{patient}/identify", {"chair_id": chair_id, "qr": booking.qr},
                          form_page=patient)
        assert "Identity confirmed. Labels are printing at Chair 2." in done.text
        fault = until(lambda: "Chair 2 printer: paper out" in staff.get("/staff/today"))
        assert fault and len(world.pngs()) == 2
        world.printer.load_paper()
        until(lambda: "Label printer problem" not in staff.get("/staff/today")
              and "Printed" in staff.get(patient))
    world.printer.wait_idle()
    server = server_labels(world, booking)
    assert len(server.ids) == 4  # citrate, serum gel, EDTA, fluoride oxalate; GS by hand
    printed = assert_each_label_printed_once(world, server)
    assert [p.specimen_id for p in printed] == server.ids  # in order of draw
    assert [p.reprint for p in printed] == [False, False, True, False]
    assert all(label.collected_at is not None and label.collector == "Phlebotomist"
               for label in server.labels)
