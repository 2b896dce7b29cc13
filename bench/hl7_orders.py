"""Inbound HL7 orders a second: ICE-style OML^O21 messages (tests/data/hl7, each with its own
placer number and control id) sent over MLLP to `phlebo hl7 listen`'s server, each answered AA
only once its request is committed; one connection sending one message after another, and four
connections at once. The listener runs in this process (a thread per connection, as shipped).
Loopback only; the listener is stopped at the end."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bench.databases import BENCH, bench_database
from booking_web.hl7.listener import make_server
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.code_map import set_code
from booking_web.services.organisations import create_organisation
from shared.config import Settings
from shared.db import make_engine
from shared.timeutil import utcnow

EXAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "hl7" / "ice_oml_o21.hl7"
NOTE = ("Inbound HL7: ICE-style OML^O21 (3 tests, the patient invited by text and email) over "
        "MLLP to the listener in the bench process, each with its own placer number and patient; "
        "a message counts when its ACK AA is back, which the listener sends after the request "
        "(with its history, patient and invitation messages) is committed. Target 200+/s on SQLite. "
        "CPU ms per message is this process's CPU time (the listener's threads and the small "
        "client) over the messages: steadier than the rate on a shared machine. The load average "
        "is the machine's 1-minute figure before the runs / after one connection / after four.")


def _messages(count: int, offset: int) -> list[bytes]:
    from shared.nhs_number import make_test_number

    text = EXAMPLE.read_bytes()
    out = []
    for n in range(offset, offset + count):
        out.append(text.replace(b"ICE0001234", f"B{n:09d}".encode())
                   .replace(b"ICE20261123075500001", f"C{n:09d}".encode())
                   .replace(b"9990042438", make_test_number(500_000 + n).encode())
                   .replace(b"|20261130|20261206|", b"|||"))
    return out


def _send_all(port: int, messages: list[bytes], answers: list[bytes]) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        for message in messages:
            sock.sendall(b"\x0b" + message + b"\x1c\x0d")
            got = b""
            while not got.endswith(b"\x1c\x0d"):
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("the listener closed the connection")
                got += chunk
            answers.append(got)


def _rate(port: int, messages: list[bytes], connections: int) -> tuple[float, int, float, float]:
    """Messages a second, how many were not accepted, CPU ms per message of this process (the
    listener and the small client), and the 1-minute load average at the end."""
    answers: list[bytes] = []
    share = [messages[i::connections] for i in range(connections)]
    threads = [threading.Thread(target=_send_all, args=(port, part, answers)) for part in share]
    began, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    accepted = sum(1 for a in answers if b"MSA|AA|" in a)
    return accepted / seconds, len(messages) - accepted, 1000 * cpu / len(messages), os.getloadavg()[0]


def run_hl7(*, quick: bool, workdir: Path, kind: str = "sqlite", server_url: str | None = None) -> dict[str, Any]:
    """Messages a second through the listener to a committed request, one and four connections."""
    count = 100 if quick else 1000
    with bench_database(kind, "hl7", workdir=workdir, server_url=server_url) as db:
        engine = make_engine(db.url)
        settings = Settings.from_env({}, database_url=db.url, instance_dir=workdir / "hl7-instance",
                                     secret_key="bench hl7 secret")
        with Session(engine) as session:
            seed_catalogue(session=session)
            org = create_organisation(session=session, ods_code="B86001", name="Park Surgery",
                                      actor=BENCH, now=utcnow())
            assert org.id is not None
            set_code(session=session, organisation_id=org.id, external_code="U&E", test_code="UE",
                     actor=BENCH, now=utcnow())
        server = make_server(engine=engine, settings=settings, host="127.0.0.1", port=0)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            load_before = os.getloadavg()[0]
            one, refused_one, cpu_one, load_one = _rate(server.port, _messages(count, 0), 1)
            four, refused_four, cpu_four, load_four = _rate(server.port, _messages(count, count), 4)
        finally:
            server.shutdown()
            server.server_close()
            engine.dispose()
    return {"status": "measured", "kind": kind, "messages": count, "one_connection_per_s": round(one, 1),
            "four_connections_per_s": round(four, 1), "not_accepted": refused_one + refused_four,
            "cpu_ms_per_message_one": round(cpu_one, 2), "cpu_ms_per_message_four": round(cpu_four, 2),
            "load_average": f"{load_before:.1f} / {load_one:.1f} / {load_four:.1f}"}


def main() -> int:
    """`python -m bench.hl7_orders [--quick]`: print the figures."""
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(run_hl7(quick="--quick" in sys.argv, workdir=Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
