"""`phlebo kiosk checkin` from the environment, against the live server and the simulated
printer over TCP."""

from __future__ import annotations

from kiosk_app import cli
from kiosk_app.headless import NOT_FOUND, OK
from tests.e2e.conftest import ARRIVES_AT
from tests.e2e.helpers import (
    appointment_status,
    assert_each_label_printed_once,
    book_with_request,
    server_labels,
)


def test_headless_check_in_prints_four_labels(world, monkeypatch, capsys):
    booking = book_with_request(world)
    world.at(ARRIVES_AT)
    monkeypatch.setenv("PHLEBO_SERVER_URL", world.url)
    monkeypatch.setenv("PHLEBO_KIOSK_KEY", world.kiosk_key)
    monkeypatch.setenv("PHLEBO_PRINTER", world.sim.uri)
    monkeypatch.setenv("PHLEBO_KIOSK_OUTBOX", str(world.tmp / "headless-outbox.json"))
    monkeypatch.setenv("PHLEBO_INSTANCE_DIR", str(world.tmp / "kiosk-instance"))
    reference = f"{booking.reference[:3]}-{booking.reference[3:6]}-{booking.reference[6:]}"

    code = cli.main(["checkin", "--reference", reference, "--date-of-birth", "1957-03-05"])
    out = capsys.readouterr().out
    assert code == NOT_FOUND != OK
    assert out.strip() == ("We could not find your appointment. The booking reference or the "
                           "date of birth did not match. Please speak to reception.")
    assert world.pngs() == [] and appointment_status(world, booking) == ("booked", None)

    code = cli.main(["checkin", "--reference", reference, "--date-of-birth", "1957-03-04"])
    out = capsys.readouterr().out
    assert code == OK, out
    assert out.splitlines() == [
        "Found: M******* W********, Adult blood test at 9:00am, Leeds General.",
        "Checked in. Queue number 1. You should be seen soon.",
        "Labels printed (4).",
        "Hand-label at the chair: Group and save.",
    ]
    server = server_labels(world, booking)
    assert server.job_status == "printed" and server.outcomes == ["confirmed"] * 4
    printed = assert_each_label_printed_once(world, server)
    assert [p.specimen_id for p in printed] == server.ids and not any(p.reprint for p in printed)
    assert not (world.tmp / "headless-outbox.json").exists()  # nothing left unsent
