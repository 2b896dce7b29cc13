"""A kiosk killed (kill -9, a real process: `phlebo kiosk checkin`) before its first label, in
the middle of its job, and after its labels but before its report. The live server, the
simulated printer over TCP and the kiosk's print journal on disk are real.

What must hold: every label ends up on paper exactly once, or is shown to staff as unknown with
"check the printer before reprinting"; the server turns a job with no report into a per-label
alert after the report timeout; the restarted kiosk reports what its journal knew; a reprint of
an unknown label needs the phlebotomist to say the label is not on the printer."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ARRIVES_AT, World
from tests.e2e.helpers import (
    PATIENT,
    Booking,
    StaffBrowser,
    appointment_status,
    assert_each_label_printed_once,
    book_with_request,
    read_labels,
    reprint_at_the_chair,
    server_labels,
    set_site_printer,
)

ROOT = Path(__file__).resolve().parents[2]
UNKNOWN = "unknown: check the printer before reprinting"
TIMEOUT = 30.0  # seconds any one wait may take on a busy machine


def wait_for(condition: Callable[[], object], what: str) -> None:
    """Poll until `condition()` is true (bounded)."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


class Kiosk:
    """`phlebo kiosk checkin` as its own process, with its journal and outbox in `home`."""

    def __init__(self, world: World, home: Path, printer_uri: str, server_url: str):
        self.world, self.home = world, home
        self.journal = home / "journal.jsonl"
        self.env = {**os.environ, "PHLEBO_SERVER_URL": server_url,
                    "PHLEBO_KIOSK_KEY": world.kiosk_key, "PHLEBO_PRINTER": printer_uri,
                    "PHLEBO_INSTANCE_DIR": str(home), "PHLEBO_KIOSK_JOURNAL": str(self.journal),
                    "PHLEBO_KIOSK_OUTBOX": str(home / "outbox.json"),
                    "QT_QPA_PLATFORM": "offscreen"}

    def start(self, booking: Booking) -> subprocess.Popen[str]:
        """Check the patient in, in a new process (it reports an earlier job first)."""
        return subprocess.Popen(
            [sys.executable, "-m", "phlebo", "kiosk", "checkin", "--reference", booking.reference,
             "--date-of-birth", PATIENT["date_of_birth"]],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def events(self) -> list[str]:
        """The journal's events so far, e.g. ['job', 'sending', 'settled', ...]."""
        text = self.journal.read_text() if self.journal.exists() else ""
        return [line.split('"event": "')[1].split('"')[0] for line in text.splitlines()
                if '"event": "' in line]


def kill_hard(process: subprocess.Popen[str]) -> None:
    """kill -9: no cleanup, no report, no journal line after this instant."""
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=TIMEOUT)  # reaps it and closes its output pipe
    assert process.returncode == -signal.SIGKILL


class HungPrinter:
    """A printer port that accepts the connection and then says nothing (the kiosk waits)."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.connected = threading.Event()
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self._server.getsockname()[1]}"

    def _accept(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        self._held.append(conn)
        self.connected.set()

    def close(self) -> None:
        for conn in self._held:
            conn.close()
        self._server.close()


class HoldingProxy:
    """In front of the server: passes every request on, except print reports, which it holds
    (the kiosk waits for an answer that never comes)."""

    HOLD = b"POST /api/v1/kiosk/print-jobs/"

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.held = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        self._socks: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _accept(self) -> None:
        self._listener.settimeout(0.05)
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._socks.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(TIMEOUT)
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = client.recv(65536)
            if not chunk:
                return
            request += chunk
        if request.startswith(self.HOLD):
            self.held.set()
            return  # never forwarded, never answered
        head, _, body = request.partition(b"\r\n\r\n")
        length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += client.recv(65536)
        with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=TIMEOUT) as up:
            up.sendall(head + b"\r\n\r\n" + body)
            while chunk := up.recv(65536):
                client.sendall(chunk)
        client.close()

    def close(self) -> None:
        self._stop.set()
        for sock in self._socks:
            sock.close()
        self._listener.close()


@pytest.fixture
def booking(world: World) -> Iterator[Booking]:
    """Margaret Whitfield, four tube labels (and a hand-labelled group and save), at 08:55."""
    made = book_with_request(world)
    world.at(ARRIVES_AT)
    yield made


def today_alert(world: World) -> str:
    """The today page's label alerts, as a phlebotomist sees them."""
    with StaffBrowser(world, world.phlebotomist) as staff:
        page = staff.get("/staff/today")
    return page.split('id="label-alerts"', 1)[1].split("</div>", 1)[0] if (
        'id="label-alerts"' in page) else ""


def after_report_timeout(world: World) -> None:
    """The server's clock past the kiosk job's report time (PHLEBO_PRINT_REPORT_TIMEOUT_SECONDS
    is 60 by default)."""
    world.at(ARRIVES_AT + dt.timedelta(seconds=world.settings.print_report_timeout_seconds + 1))


def restart(kiosk: Kiosk, booking: Booking) -> str:
    """The kiosk starts again (the patient tries once more): it reports its journal first."""
    again = kiosk.start(booking)
    out, _ = again.communicate(timeout=TIMEOUT)
    assert again.returncode == 5, out  # already checked in: the first attempt did that
    assert kiosk.journal.read_text() == ""  # every job in it reported, so it was emptied
    return out


def staff_finish_labels(world: World, booking: Booking) -> list[str]:
    """At the chair: for each label not printed, reprint it; for each unknown one, look at the
    printer first (the simulator's output) and reprint only if it is not there. Returns what
    was done per label."""
    set_site_printer(world, world.sim.uri)
    server = server_labels(world, booking)
    on_printer = {p.specimen_id for p in read_labels(world, server)}
    done = []
    with StaffBrowser(world, world.phlebotomist) as staff:
        path = f"/staff/today/{booking.appointment_id}"
        detail = staff.get(path)
        for sid, outcome in zip(server.ids, server.outcomes, strict=True):
            if outcome == "confirmed":
                done.append("printed")
            elif outcome == "not_sent":
                reprint_at_the_chair(staff, booking, sid, "not_printed")
                done.append("reprinted")
            else:
                assert "Unknown: it may have printed. Check the printer before reprinting." in (
                    detail)
                # Without saying the printer was checked, the reprint is refused.
                refused = staff.post(f"{path}/reprint", {"specimen_id": sid,
                                                         "reason": "not_printed"}, form_page=path)
                assert "Check the printer, then confirm this label is not on it" in refused.text
                if sid in on_printer:
                    done.append("found on the printer")
                else:
                    reprint_at_the_chair(staff, booking, sid, "not_printed", checked_printer=True)
                    done.append("checked, reprinted")
    return done


def test_killed_before_the_first_label(world, booking, tmp_path):
    printer = HungPrinter()
    kiosk = Kiosk(world, tmp_path / "kiosk", printer.uri, world.url)
    try:
        first = kiosk.start(booking)
        wait_for(printer.connected.is_set, "the kiosk to reach the printer")
        wait_for(lambda: "job" in kiosk.events(), "the job in the journal")
        kill_hard(first)
    finally:
        printer.close()
    assert kiosk.events() == ["job"]  # nothing was being sent
    assert appointment_status(world, booking) == ("checked_in", 1)

    # No report yet: within the report time the labels are just printing...
    assert server_labels(world, booking).job_status == "pending"
    assert today_alert(world) == ""
    # ...after it, every label is shown unknown, with the warning.
    after_report_timeout(world)
    alert = today_alert(world)
    assert "no report from the kiosk" in alert and f"4 {UNKNOWN}" in alert

    restart(kiosk, booking)
    server = server_labels(world, booking)
    assert server.outcomes == ["not_sent"] * 4 and server.job_status == "failed"
    assert "4 not printed" in today_alert(world)
    assert staff_finish_labels(world, booking) == ["reprinted"] * 4
    printed = assert_each_label_printed_once(world, server_labels(world, booking))
    assert all(p.reprint for p in printed)
    assert today_alert(world) == ""


def test_killed_in_the_middle_of_the_job(world, booking, tmp_path):
    world.printer.set_slow(1.5)  # each label takes 1.5 s: time to stop the kiosk mid-job
    kiosk = Kiosk(world, tmp_path / "kiosk", world.sim.uri, world.url)
    first = kiosk.start(booking)
    wait_for(lambda: kiosk.events().count("sending") == 2, "the second label to be sent")
    time.sleep(0.2)  # its bytes are on their way to the printer
    kill_hard(first)
    world.printer.set_slow(0)
    events = kiosk.events()
    assert events == ["job", "sending", "settled", "sending"], events
    after_report_timeout(world)
    assert f"4 {UNKNOWN}" in today_alert(world)

    restart(kiosk, booking)
    server = server_labels(world, booking)
    assert server.outcomes == ["confirmed", "unconfirmed", "not_sent", "not_sent"]
    alert = today_alert(world)
    assert f"1 printed, 1 {UNKNOWN}, 2 not printed" in alert

    wait_for(lambda: len(world.pngs()) >= 1, "the printer to finish")
    time.sleep(2)  # the simulator ends the second label (1.5 s) if its bytes had arrived
    done = staff_finish_labels(world, booking)
    assert done[0] == "printed" and done[2:] == ["reprinted", "reprinted"]
    assert done[1] in ("found on the printer", "checked, reprinted")
    assert_each_label_printed_once(world, server_labels(world, booking))


def test_killed_after_its_labels_before_its_report(world, booking, tmp_path):
    proxy = HoldingProxy(world.server.port)
    kiosk = Kiosk(world, tmp_path / "kiosk", world.sim.uri, proxy.url)
    try:
        first = kiosk.start(booking)
        wait_for(proxy.held.is_set, "the print report to be sent")
        kill_hard(first)
    finally:
        proxy.close()
    assert kiosk.events() == ["job"] + ["sending", "settled"] * 4
    assert len(world.pngs()) == 4
    after_report_timeout(world)
    assert f"4 {UNKNOWN}" in today_alert(world)

    kiosk.env["PHLEBO_SERVER_URL"] = world.url
    restart(kiosk, booking)
    server = server_labels(world, booking)
    assert server.outcomes == ["confirmed"] * 4 and server.job_status == "printed"
    assert today_alert(world) == ""
    printed = assert_each_label_printed_once(world, server)
    assert not any(p.reprint for p in printed)
