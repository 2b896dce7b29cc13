"""A stand-in for the server's /api/v1/kiosk endpoints, over a real socket on 127.0.0.1.

Answers per the kiosk contract (auth, identify, idempotent checkin and walk-in, print reports,
not me) so the API client's retries and the kiosk flow are exercised over real HTTP. Replace it
with the Flask app once the real endpoints exist; the tests only rely on the contract."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KEY = "test-kiosk-key"
SITE = "Riverside Health Centre"
BOOK_ONLINE_AT = "bloodtests.example.nhs.uk"


@dataclass
class StubAppointment:
    """One booking the stub knows."""

    reference: str
    date_of_birth: str
    masked_name: str = "J*** S****"
    local_time: str = "10:30"
    appointment_type: str = "Adult blood test"
    problem: str | None = None  # an error code identify/checkin answer with
    problem_extra: dict[str, Any] = field(default_factory=dict)
    tubes: tuple[tuple[str, tuple[str, ...]], ...] = (("EDTA", ("FBC",)),
                                                      ("Serum (gel)", ("U&E", "LFT")))
    hand_label: tuple[str, ...] = ()
    queue_number: int | None = None
    job_id: int | None = None

    @property
    def qr(self) -> str:
        """What the QR on this patient's letter says (opaque to the kiosk)."""
        return f"PHLEBO1.{self.reference}.c2lnbmVk"


@dataclass
class StubWalkIn:
    """A patient with an open test request and no booking: found by NHS number, or by name and
    postcode, each with the date of birth."""

    date_of_birth: str
    nhs_number: str = ""
    given_name: str = ""
    family_name: str = ""
    postcode: str = ""
    reference: str = "WLKWLKWLK"
    queue_number: int | None = None
    job_id: int | None = None
    tubes: tuple[tuple[str, tuple[str, ...]], ...] = (("EDTA", ("FBC",)),)
    hand_label: tuple[str, ...] = ()

    def matches(self, body: dict[str, Any]) -> bool:
        """As the server matches (case, spaces and punctuation aside)."""
        if body.get("date_of_birth") != self.date_of_birth:
            return False
        if body.get("nhs_number"):
            return body["nhs_number"] == self.nhs_number
        return (_key(body.get("given_name")), _key(body.get("family_name")),
                _key(body.get("postcode"))) == (_key(self.given_name), _key(self.family_name),
                                                _key(self.postcode))


def _key(value: object) -> str:
    return "".join(c for c in str(value or "").casefold() if c.isalnum())


class StubKioskServer:
    """Threaded HTTP stub; start()/stop() or use as a context manager."""

    def __init__(self, key: str = KEY):
        self.key = key
        self.appointments: dict[str, StubAppointment] = {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.keys: list[tuple[str, str | None]] = []  # (path, Idempotency-Key) of each request
        self.checkins: dict[str, dict[str, Any]] = {}  # request_id -> response body
        self.jobs: dict[int, dict[str, Any]] = {}
        self.reports: list[tuple[int, dict[str, Any]]] = []
        self.not_me: list[str] = []  # references a patient said were not theirs
        self.drop_checkin_responses = 0  # check in, then hang up (a lost response)
        self.drop_not_me_responses = 0  # record a "not me", then hang up
        self.fail_reports = 0  # answer print reports with 503
        self.label_overrides: dict[str, Any] = {}  # fields every label is sent with instead
        self.walk_ins: list[StubWalkIn] = []
        self.walk_in_refusal: str | None = None  # no_walk_ins, walk_ins_full or no_clinic
        self.drop_walk_in_responses = 0  # check a walk-in in, then hang up (a lost response)
        self._queue = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL for the API client."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def add(self, reference: str = "ABCDEFGHJ", date_of_birth: str = "1957-03-04",
            **fields: Any) -> StubAppointment:
        """Add a booking."""
        appt = StubAppointment(reference, date_of_birth, **fields)
        self.appointments[reference] = appt
        return appt

    def add_walk_in(self, date_of_birth: str = "1957-03-04", **fields: Any) -> StubWalkIn:
        """Add a patient with an open request and no booking."""
        patient = StubWalkIn(date_of_birth, **fields)
        self.walk_ins.append(patient)
        return patient

    def paths(self) -> list[str]:
        """Request paths seen, in order."""
        return [path for _, path, _ in self.requests]

    def start(self) -> StubKioskServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> StubKioskServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the contract --------------------------------------------------------------------------
    def handle(self, method: str, path: str, auth: str,
               body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """(status, JSON body), or None to hang up without answering."""
        with self._lock:
            self.requests.append((method, path, body))
            if auth != f"Bearer {self.key}":
                return 401, _error("unauthorised", "This kiosk is not recognised.")
            if method == "GET" and path == "/api/v1/kiosk/status":
                return 200, {"site_id": 1, "site_name": SITE, "server_time": "2026-11-23T09:00Z"}
            if method == "POST" and path == "/api/v1/kiosk/identify":
                return self._identify(body)
            if method == "POST" and path == "/api/v1/kiosk/checkin":
                return self._checkin(body)
            if method == "POST" and path == "/api/v1/kiosk/walk-in":
                return self._walk_in(body)
            if method == "POST" and path == "/api/v1/kiosk/not-me":
                found = self._find(body)
                if not isinstance(found, StubAppointment):
                    return found
                self.not_me.append(found.reference)
                if self.drop_not_me_responses:
                    self.drop_not_me_responses -= 1
                    return None
                return 200, {"recorded": True}
            if method == "POST" and path.startswith("/api/v1/kiosk/print-jobs/"):
                return self._report(int(path.rsplit("/", 1)[1]), body)
            return 404, _error("not_found", "No such endpoint.")

    def _find(self, body: dict[str, Any]) -> StubAppointment | tuple[int, dict[str, Any]]:
        if "qr" in body:
            parts = str(body["qr"]).split(".")
            if len(parts) != 3 or parts[0] != "PHLEBO1" or parts[2] != "c2lnbmVk":
                return 400, _error("invalid_qr", "This QR code is not valid.")
            reference = parts[1]
        else:
            reference = str(body.get("reference", ""))
        appt = self.appointments.get(reference)
        if appt is None or appt.date_of_birth != body.get("date_of_birth"):
            return 404, _error("not_found", "No appointment matches those details.")
        if appt.problem:
            status = 429 if appt.problem == "rate_limited" else 409
            return status, _error(appt.problem, appt.problem, **appt.problem_extra)
        return appt

    def _identify(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        found = self._find(body)
        if not isinstance(found, StubAppointment):
            return found
        if found.queue_number is not None:
            return 409, _error("already_checked_in", "Already checked in.",
                               queue_number=found.queue_number, labels_outstanding=False)
        return 200, {"reference": found.reference, "masked_name": found.masked_name,
                     "starts_at": f"2026-11-23T{found.local_time}:00+00:00",
                     "local_time": found.local_time, "appointment_type": found.appointment_type,
                     "site_name": SITE}

    def _checkin(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        request_id = str(body.get("request_id", ""))
        if request_id in self.checkins:
            return self._again(request_id)
        found = self._find(body)
        if not isinstance(found, StubAppointment):
            return found
        if found.queue_number is not None:
            return 409, _error("already_checked_in", "Already checked in.",
                               queue_number=found.queue_number, labels_outstanding=False)
        response = self._admit(found, request_id, wait_minutes=15)
        if self.drop_checkin_responses:
            self.drop_checkin_responses -= 1
            return None
        return 200, response

    def _again(self, request_id: str) -> tuple[int, dict[str, Any]]:
        """A retry of an attempt: the same answer, minus the labels already printed."""
        response = dict(self.checkins[request_id])
        job = response["print_job"]["id"]
        if self.jobs[job]["status"] == "printed":
            response["labels"] = []
        response["print_job"] = {"id": job, "status": self.jobs[job]["status"]}
        return 200, response

    def _admit(self, found: StubAppointment | StubWalkIn, request_id: str, *,
               wait_minutes: int) -> dict[str, Any]:
        """Check in: the next queue number, a print job and its labels (kept for retries)."""
        self._queue += 1
        found.queue_number = self._queue
        found.job_id = 100 + self._queue
        labels = [{**_label(found, i, len(found.tubes), container, tests),
                   **self.label_overrides}
                  for i, (container, tests) in enumerate(found.tubes, start=1)]
        self.jobs[found.job_id] = {"status": "pending" if labels else "printed"}
        response = {"reference": found.reference, "queue_number": found.queue_number,
                    "wait_minutes": wait_minutes, "labels": labels,
                    "hand_label": list(found.hand_label),
                    "print_job": {"id": found.job_id, "status": self.jobs[found.job_id]["status"]}}
        self.checkins[request_id] = response
        return response

    def _walk_in(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """As the server: a resend of an attempt (its request_id) gets the first answer; every
        refusal carries where to book online; no_request whoever it is."""
        request_id = str(body.get("request_id", ""))
        if request_id in self.checkins:
            return self._again(request_id)
        if self.walk_in_refusal:
            return 409, _error(self.walk_in_refusal, self.walk_in_refusal,
                               book_online_at=BOOK_ONLINE_AT)
        found = next((p for p in self.walk_ins if p.matches(body)), None)
        if found is None or found.queue_number is not None:
            return 409, _error("no_request", "No request.", book_online_at=BOOK_ONLINE_AT)
        response = self._admit(found, request_id, wait_minutes=20)
        if self.drop_walk_in_responses:
            self.drop_walk_in_responses -= 1
            return None
        return 200, response

    def _report(self, job_id: int, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.fail_reports:
            self.fail_reports -= 1
            return 503, _error("unavailable", "Try again later.")
        if job_id not in self.jobs:
            return 404, _error("not_found", "No such print job.")
        outcomes = [r["outcome"] for r in body.get("results", [])]
        confirmed = sum(o == "confirmed" for o in outcomes)
        status = ("printed" if outcomes and confirmed == len(outcomes)
                  else "partial" if confirmed else "failed")
        self.jobs[job_id]["status"] = status
        self.reports.append((job_id, body))
        return 200, {"status": status}


def _error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


def _label(appt: StubAppointment | StubWalkIn, n: int, of: int, container: str,
           tests: tuple[str, ...]) -> dict[str, Any]:
    return {"specimen_id": f"26112{appt.queue_number:03d}{n:02d}", "family_name": "SMITH",
            "given_name": "John", "date_of_birth": appt.date_of_birth,
            "nhs_number": "9434765919", "container": container, "tests": list(tests),
            "site_name": SITE, "request_number": None, "reprint": False, "sequence": [n, of]}


def _handler(stub: StubKioskServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {}
            stub.keys.append((self.path, self.headers.get("Idempotency-Key")))
            answer = stub.handle(self.command, self.path, self.headers.get("Authorization", ""),
                                 body)
            if answer is None:
                self.close_connection = True  # the response is "lost" on the way back
                return
            status, payload = answer
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Quiet: tests assert on recorded requests instead."""

    return Handler
