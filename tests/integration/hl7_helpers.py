"""Shared pieces of the HL7 tests: a listener on a loopback port in a thread, an independent
MLLP client (python-hl7's), the example messages, and reading ACKs with hl7apy."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import hl7.client
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from booking_web.hl7.listener import make_server
from booking_web.services.accounts import create_staff
from tests.conftest import NOW
from tests.factories import SETUP
from tests.integration.public_pages import get, submit

DATA = Path(__file__).resolve().parents[1] / "data" / "hl7"
TIMEOUT = 10.0  # no test waits longer than this for an answer


def example(name: str) -> bytes:
    """An example message from tests/data/hl7 as bytes (segments end with CR)."""
    return (DATA / name).read_bytes()


@contextlib.contextmanager
def listener(engine, settings, *, read_timeout: float = 5.0, max_bytes: int | None = None,
             clock=lambda: NOW) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """A listener on 127.0.0.1 (a free port, given to the test), stopped afterwards."""
    extra = {} if max_bytes is None else {"max_bytes": max_bytes}
    server = make_server(engine=engine, settings=settings, host="127.0.0.1", port=0, read_timeout=read_timeout,
                         clock=clock, **extra)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)


def send(port: int, message: bytes | str) -> str:
    """Send through python-hl7's MLLPClient (not our code); the ACK's text (CR segments)."""
    with hl7.client.MLLPClient("127.0.0.1", port) as client:
        client.socket.settimeout(TIMEOUT)
        raw = client.send_message(message if isinstance(message, bytes) else message.encode())
    return unframe(raw).decode("utf-8", errors="replace")


def unframe(raw: bytes) -> bytes:
    """The payload of one MLLP frame (asserting the framing)."""
    assert raw.startswith(b"\x0b") and raw.endswith(b"\x1c\x0d"), raw[:40]
    return raw[1:-2]


def exchange(port: int, data: bytes) -> bytes:
    """Send raw bytes on a plain socket; the answer up to the end of its first frame."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        got = b""
        while not got.endswith(b"\x1c\x0d"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        return got


def raw_exchange(port: int, data: bytes, *, wait: float = TIMEOUT) -> bytes:
    """Send raw bytes on a plain socket; everything answered until the server closes or goes
    quiet for `wait` seconds (a send cut short by the server closing is not an error)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass
        return read_all(sock, wait)


def read_all(sock: socket.socket, wait: float) -> bytes:
    """Bytes until the peer closes, or nothing came for `wait` seconds."""
    sock.settimeout(wait)
    got = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            return got
        if not chunk:
            return got
        got += chunk


def read_ack(text: str):  # type: ignore[no-untyped-def]
    """The ACK parsed and checked against the v2.5.1 structure by hl7apy (STRICT)."""
    return parse_message(text.replace("\n", "\r"), validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)


def ack_code(text: str) -> str:
    """MSA-1 of an ACK."""
    return read_ack(text).msa.msa_1.to_er7()


def collect_on_today_page(app, session, *, site_id: int, appointment_id: int) -> str:  # type: ignore[no-untyped-def]
    """A phlebotomist of the site signs in on a fresh browser-like client and records every tube
    collected on the patient's page of the today page (the real form, CSRF token and all); the
    today page afterwards, as text."""
    create_staff(session=session, actor=SETUP,
                 username="pat", display_name="Pat Phlebotomist", password="correct horse battery",
                 role="phlebotomist", site_id=site_id, now=NOW)
    staff = app.test_client()
    signed_in = submit(staff, "/staff/sign-in", {"username": "pat", "password": "correct horse battery"})
    assert signed_in.status_code == 302, signed_in.data[:300]
    page = get(staff, f"/staff/today/{appointment_id}")
    tubes = [name for name in page.radios if name.startswith("tube-")]
    assert tubes, "no tubes to record on the patient's page"
    done = submit(staff, f"/staff/today/{appointment_id}/collected",
                  {name: page.radio_value(name, "Collected") for name in tubes}, page=page)
    assert done.status_code == 302, done.data[:300]
    return get(staff, "/staff/today").text
