"""`phlebo hl7 listen`: the MLLP server that takes orders from order-comms systems, and
`phlebo hl7 send FILE`: send one message file to an MLLP endpoint (for newcomers and the demo)."""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.engine import Engine

from booking_web.hl7 import mllp
from booking_web.hl7.er7 import ack
from booking_web.hl7.inbound import receive
from booking_web.hl7.message import SEGMENT_SEQUENCE, Problem
from shared.config import Settings
from shared.db import make_engine
from shared.timeutil import utcnow


def make_server(*, engine: Engine, settings: Settings, host: str, port: int, read_timeout: float = mllp.READ_TIMEOUT,
                max_bytes: int = mllp.MAX_MESSAGE_BYTES,
                clock: Callable[[], dt.datetime] = utcnow) -> mllp.MllpServer:
    """An MLLP server (not yet serving) whose messages go to the request services; the clock is
    injected so tests run on a fixed day."""

    def framing_reply(reason: str) -> bytes:
        return ack(None, "AR", [Problem("MSH", None, SEGMENT_SEQUENCE, reason)], now=clock()).encode()

    # SQLite has one writer at a time. Connection threads that all try to write meet its lock,
    # and a thread that finds it taken sleeps in SQLite's busy handler (1, 2, 5 ... 100 ms) even
    # when the lock is freed a moment later; a lock of our own hands the turn over at once.
    # Reading and checking a message stay outside it. PostgreSQL writers run side by side.
    write_lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    def handle(payload: bytes) -> bytes:
        return receive(payload, engine=engine, settings=settings, now=clock, write_lock=write_lock)

    return mllp.MllpServer((host, port), handle, framing_reply, read_timeout=read_timeout, max_bytes=max_bytes)


def _listen(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    server = make_server(engine=engine, settings=settings, host=args.host, port=args.port)
    stopper = threading.Thread(target=server.shutdown, daemon=True)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopper.start())
    print(f"HL7 listener: MLLP on {args.host}:{server.port} (OML^O21, ORM^O01)", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        engine.dispose()
    return 0


def _send(args: argparse.Namespace) -> int:
    text = Path(args.file).read_bytes().replace(b"\r\n", b"\r").replace(b"\n", b"\r").strip(b"\r") + b"\r"
    host, _, port = args.to.rpartition(":")
    try:
        answer = mllp.send_message(host or "127.0.0.1", int(port), text, timeout=args.timeout)
    except (OSError, ValueError) as exc:
        print(f"Not sent: {exc}", file=sys.stderr)
        return 1
    print(answer.decode("utf-8", errors="replace").replace("\r", "\n"))
    return 0 if b"MSA|AA" in answer else 3


def main(argv: Sequence[str] | None = None) -> int:
    """`phlebo hl7 listen [--host H] [--port P]` and `phlebo hl7 send FILE [--to HOST:PORT]`."""
    parser = argparse.ArgumentParser(prog="phlebo hl7", description="HL7 v2 over MLLP")
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("listen", help="take orders (OML^O21, ORM^O01) over MLLP")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=2575, help="port (default 2575, HL7's registered port)")
    p.set_defaults(func=_listen)
    p = sub.add_parser("send", help="send one HL7 message file over MLLP and print the ACK")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--to", default="127.0.0.1:2575", metavar="HOST:PORT")
    p.add_argument("--timeout", type=float, default=10.0)
    p.set_defaults(func=_send)
    args = parser.parse_args(argv)
    return int(args.func(args))
