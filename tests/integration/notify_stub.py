"""A stand-in for the GOV.UK Notify API on 127.0.0.1, so the real notifications-python-client is
exercised end to end: it records each POST and answers like Notify (201, or an error when told)."""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# Notify keys are '<name>-<service id>-<secret>'; the client signs a JWT with the secret.
API_KEY = f"phlebo_test-{uuid.UUID(int=1)}-{uuid.UUID(int=2)}"


@dataclass
class NotifyStub:
    """What the stub received, and the failures to give before succeeding. Like Notify, it keeps
    what it accepted and finds it again by reference (GET /v2/notifications?reference=...)."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    lookups: list[dict[str, Any]] = field(default_factory=list)  # {"reference", "found", "at"}
    fail_with: list[int] = field(default_factory=list)  # statuses to answer, one per request, first
    answer_delay: float = 0.0  # seconds between taking a message and answering (a slow network)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self, path_end: str = "") -> list[dict[str, Any]]:
        """The JSON bodies of successful sends (optionally only /sms or /email)."""
        return [r["body"] for r in self.requests if r["ok"] and r["path"].endswith(path_end)]

    def accepted(self, reference: str) -> list[dict[str, Any]]:
        """The notifications taken under a reference, as Notify would list them."""
        with self.lock:
            return [{"id": r["id"], "reference": reference, "status": "created"}
                    for r in self.requests if r["ok"] and r["body"].get("reference") == reference]


class _QuietServer(ThreadingHTTPServer):
    """A client that died mid-answer (the tests kill schedulers) is no error of the stub's."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def notify_stub() -> Iterator[NotifyStub]:
    """Run the stub on a free loopback port for the duration of the block."""
    stub = NotifyStub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server name
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            notification_id = str(uuid.uuid4())
            with stub.lock:
                status = stub.fail_with.pop(0) if stub.fail_with else 201
                stub.requests.append(
                    {
                        "path": self.path,
                        "body": body,
                        "ok": status == 201,
                        "auth": self.headers.get("Authorization", ""),
                        "id": notification_id,
                        "at": time.monotonic(),
                    }
                )
            if status == 201:
                time.sleep(stub.answer_delay)  # taken: a sender killed now never hears so
                reply: dict[str, Any] = {
                    "id": notification_id,
                    "reference": body.get("reference"),
                }
            else:
                reply = {
                    "status_code": status,
                    "errors": [
                        {
                            "error": "BadRequestError" if status < 500 else "Exception",
                            "message": "phone_number Not a UK mobile number 07700900123"
                            if status < 500
                            else "Internal server error",
                        }
                    ],
                }
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            url = urlsplit(self.path)
            if url.path != "/v2/notifications":
                self.send_error(404)
                return
            reference = parse_qs(url.query).get("reference", [""])[0]
            found = stub.accepted(reference) if reference else []
            with stub.lock:
                stub.lookups.append({"reference": reference, "found": bool(found), "at": time.monotonic()})
            data = json.dumps({"notifications": found, "links": {"current": self.path}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            pass

    server = _QuietServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
