"""A walk-in end to end: a GP system sends a test request over the partner API, the patient has
no booking, walks in and taps "I do not have an appointment" at the real kiosk, types their NHS
number and date of birth, and the simulated printer's labels (over TCP, PNGs) decode to the
specimen ids the server recorded for the walk-in; a reply lost on the way back is sent again under
the same request id and checks the patient in once."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from sqlmodel import select

from booking_web.services.walk_ins import set_walk_ins
from kiosk_app.flow import Screen
from kiosk_app.views import NhsNumberView
from shared.models import Appointment
from tests.e2e.conftest import DAY
from tests.e2e.helpers import (
    DOB_DIGITS,
    NHS_NUMBER,
    WAIT_MS,
    Booking,
    assert_each_label_printed_once,
    on,
    server_labels,
    shown,
    tap,
    wait_for_print_report,
)
from tests.e2e.proxy import LossyProxy
from tests.factories import SETUP, SETUP_AT

WALKS_IN_AT = dt.datetime.combine(DAY, dt.time(9, 20), tzinfo=dt.UTC)  # London is UTC in November


def request_tests(world, tests: list[str]) -> str:  # type: ignore[no-untyped-def]
    """POST /api/v1/requests as the GP system (the patient's details with it); its number."""
    with httpx.Client(base_url=world.url, timeout=10,
                      headers={"Authorization": f"Bearer {world.partner_key}"}) as api:
        made = api.post("/api/v1/requests", json={
            "nhs_number": NHS_NUMBER, "tests": tests, "requester": "Dr Example, Leeds GP",
            "given_name": "Margaret", "family_name": "Whitfield", "date_of_birth": "1957-03-04"})
        assert made.status_code == 201, made.text
        return str(made.json()["request_number"])


def request_status(world, number: str) -> str:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=world.url, timeout=10,
                      headers={"Authorization": f"Bearer {world.partner_key}"}) as api:
        got = api.get(f"/api/v1/requests/{number}")
        assert got.status_code == 200, got.text
        return str(got.json()["status"])


def walk_in_at_the_kiosk(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    """As the patient: no appointment, the NHS number, the date of birth."""
    tap(qtbot, kiosk.window.views[Screen.START].no_appointment)
    view = kiosk.window.current_view
    assert isinstance(view, NhsNumberView)
    for digit in NHS_NUMBER:
        tap(qtbot, view.keypad.keys[digit])
    tap(qtbot, view.next)
    assert on(kiosk, Screen.DOB), kiosk.controller.state
    dob = kiosk.window.current_view
    for digit in DOB_DIGITS:
        tap(qtbot, dob.keypad.keys[digit])
    tap(qtbot, dob.next)
    qtbot.waitUntil(lambda: not kiosk.controller.state.waiting, timeout=WAIT_MS)


@pytest.mark.parametrize("printer_language", ["escpos", "zpl"])
def test_a_walk_in_with_a_request_gets_a_number_and_labels_for_its_specimens(
        qtbot, world, make_kiosk, artifacts):
    with world.session() as session:
        set_walk_ins(session=session, actor=SETUP, now=SETUP_AT, site_id=world.site_id, cap=4, per="hour")
    number = request_tests(world, ["FBC", "UE", "LFT"])
    world.at(WALKS_IN_AT)
    kiosk = make_kiosk()
    walk_in_at_the_kiosk(qtbot, kiosk)

    assert on(kiosk, Screen.RESULT), kiosk.controller.state
    assert shown(kiosk, "queue_number") == "1"
    with world.session() as session:
        appt = session.exec(select(Appointment).where(Appointment.request_number == number)).one()
        assert appt.id is not None
        assert (appt.walk_in, appt.status, appt.queue_number) == (True, "checked_in", 1)
        walk_in = Booking(appt.reference, number, appt.id, qr="")
    wait_for_print_report(qtbot, world, kiosk, walk_in)
    assert shown(kiosk, "labels") == "Your labels have printed for the phlebotomist."
    kiosk.window.grab().save(str(artifacts / f"walk-in-result-{world.printer.language}.png"))

    server = server_labels(world, walk_in)
    assert server.containers == ["Serum gel (SST)", "EDTA"]  # order of draw: U&E and LFT share
    assert server.job_status == "printed" and server.outcomes == ["confirmed"] * 2
    sent = kiosk.controller.state.checkin
    assert sent is not None and list(sent.labels) == server.labels
    # On paper: one label per specimen the server recorded, barcodes decoded from the PNGs.
    printed = assert_each_label_printed_once(world, server)
    assert [p.specimen_id for p in printed] == server.ids
    assert not any(p.reprint for p in printed)
    assert request_status(world, number) == "checked_in"

    tap(qtbot, kiosk.window.current_view.finish)
    assert on(kiosk, Screen.START)


def test_the_same_patient_walking_in_again_is_told_to_speak_to_reception_and_nothing_prints(
        qtbot, world, make_kiosk):
    with world.session() as session:
        set_walk_ins(session=session, actor=SETUP, now=SETUP_AT, site_id=world.site_id, cap=4, per="hour")
    request_tests(world, ["FBC"])
    world.at(WALKS_IN_AT)
    kiosk = make_kiosk()
    walk_in_at_the_kiosk(qtbot, kiosk)
    assert on(kiosk, Screen.RESULT) and shown(kiosk, "queue_number") == "1"
    qtbot.waitUntil(lambda: len(world.pngs()) == 1, timeout=WAIT_MS)
    tap(qtbot, kiosk.window.current_view.finish)

    walk_in_at_the_kiosk(qtbot, kiosk)  # the request is checked in: none is open now
    assert on(kiosk, Screen.PROBLEM), kiosk.controller.state
    assert shown(kiosk, "problem_title") == "We could not find a blood test request for you today"
    assert shown(kiosk, "problem_action") == "Please speak to reception."
    kiosk.background.wait(5_000)
    assert len(world.pngs()) == 1
    with world.session() as session:
        assert len(session.exec(select(Appointment)).all()) == 1


def test_a_lost_reply_is_sent_again_under_the_same_request_id_and_checks_in_once(
        qtbot, world, make_kiosk):
    with world.session() as session:
        set_walk_ins(session=session, actor=SETUP, now=SETUP_AT, site_id=world.site_id, cap=4, per="hour")
    number = request_tests(world, ["FBC", "UE"])
    world.at(WALKS_IN_AT)
    with LossyProxy(world.server.port, match=b"POST /api/v1/kiosk/walk-in ", drops=1) as proxy:
        kiosk = make_kiosk(server_url=proxy.url)
        walk_in_at_the_kiosk(qtbot, kiosk)
        with world.session() as session:
            appt = session.exec(select(Appointment).where(Appointment.request_number == number)).one()
            assert appt.id is not None
            walk_in = Booking(appt.reference, number, appt.id, qr="")
        wait_for_print_report(qtbot, world, kiosk, walk_in)
        kiosk.background.wait(5_000)

    # The server checked the walk-in in, its reply was lost; the kiosk's resend carried the same
    # request id and got the same check-in back: one appointment, one number, one set of labels.
    assert proxy.lost == 1
    bodies = proxy.bodies()
    assert len(bodies) == 2 and bodies[0] == bodies[1]
    assert bodies[0]["request_id"] == kiosk.controller.state.request_id
    assert on(kiosk, Screen.RESULT) and shown(kiosk, "queue_number") == "1"
    with world.session() as session:
        assert len(session.exec(select(Appointment)).all()) == 1
    server = server_labels(world, walk_in)
    assert server.attempts == [bodies[0]["request_id"]] and server.kiosk_jobs == 1
    printed = assert_each_label_printed_once(world, server)
    assert [p.specimen_id for p in printed] == server.ids and not any(p.reprint for p in printed)
