"""Raw requests to gunicorn on both engines: an invalid chunked body is a 400, and 2,000 seeded,
mutated requests (bytes flipped, JSON values swapped for nasty ones, bodies nested thousands
deep, lying lengths, broken chunking, huge ids, NUL and lone surrogates, junk headers) never get
a 5xx, and a refused one never leaves a row behind. Sent over plain sockets, not an HTTP client:
what arrives is exactly what a broken or hostile client would send."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import re
import socket
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlmodel import Session

from booking_web.services.accounts import create_api_key, key_for_token
from booking_web.services.booking import book_appointment
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.checkin import check_in
from shared.models import KeyKind
from shared.nhs_number import make_test_number
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_patient, slots_of
from tests.faults.conftest import Live
from tests.rows import rows_by_table

SERVER_ENV = {  # every request here comes from 127.0.0.1: the per-address limits would refuse most
    "PHLEBO_LOOKUP_LIMIT_PER_MINUTE": "1000000",
    "PHLEBO_BOOKING_LIMIT_PER_HOUR": "1000000",
    "PHLEBO_MIN_NOTICE_MINUTES": "0",
}
REQUESTS = 2000
SEED = 1717
_STATUS = re.compile(rb"^HTTP/1\.[01] (\d{3}) ")


def send(port: int, raw: bytes, timeout: float = 20) -> int | None:
    """Send raw bytes, close our side, read to the end; the status, or None if none came."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer (400) and close before reading everything we send
        answer = b""
        while len(answer) < 1_000_000:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
    found = _STATUS.match(answer)
    return int(found.group(1)) if found else None


@dataclass
class Request:
    """One request before it is turned into bytes."""

    method: str
    path: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def raw(self, *, length: int | None = None) -> bytes:
        head = [f"{self.method} {self.path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        head += [f"{k}: {v}" for k, v in self.headers]
        if self.body or self.method == "POST":
            head.append(f"Content-Length: {len(self.body) if length is None else length}")
        return ("\r\n".join(head) + "\r\n\r\n").encode("utf-8", "surrogateescape") + self.body


@dataclass
class World:
    """What the requests are made of: keys, a booking, a print job, a public page's cookie."""

    partner: str
    kiosk: str
    slot_ids: list[int]
    reference: str
    dob: str
    job_id: int
    specimen: str
    cookie: str
    csrf: str


def make_world(live: Live) -> World:
    with Session(live.engine, expire_on_commit=False) as session:
        seed_catalogue(session=session)
        today = make_clinic(session, day=NOW.date(), start=dt.time(8), end=dt.time(10))
        patient = make_patient(901, nhs_number=make_test_number(990_000))
        appt = book_appointment(session=session, slot_id=slots_of(session, today)[2].id, type_code="adult",
                                patient=patient, now=NOW,
                                settings=dataclasses.replace(live.settings, min_notice_minutes=0)).appointment
        kiosk = create_api_key(session=session, actor=SETUP,
                               name="fuzz kiosk", kind=KeyKind.KIOSK, site_id=today.site_id,
                               now=NOW)
        done = check_in(session=session, site_id=today.site_id,
                        api_key_id=key_for_token(session=session, token=kiosk).id,
                        reference=appt.reference, date_of_birth=patient.date_of_birth,
                        request_id="0c6f1d8e-7a5b-4c3d-9e2f-1a2b3c4d5e6f", now=NOW, settings=live.settings)
    page = _get(live.port, "/book/type")
    cookie = re.search(rb"Set-Cookie: (session=[^;]+)", page, re.I).group(1).decode()  # type: ignore[union-attr]
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()  # type: ignore[union-attr]
    return World(live.partner_key, kiosk, live.slot_ids, appt.reference, patient.date_of_birth.isoformat(),
                 done.job_id, done.labels[0].specimen_id, cookie, csrf)


def _get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def corpus(w: World) -> list[Request]:
    """Well-formed requests to every door that writes, and a few that read."""
    partner = [("Authorization", f"Bearer {w.partner}"), ("Content-Type", "application/json")]
    kiosk = [("Authorization", f"Bearer {w.kiosk}"), ("Content-Type", "application/json")]
    form = [("Cookie", w.cookie), ("Content-Type", "application/x-www-form-urlencoded")]
    patient = {"nhs_number": make_test_number(990_100), "given_name": "Ngozi", "family_name": "Eze",
               "date_of_birth": "1971-03-09", "mobile": "07700 900 654"}

    def j(value: object) -> bytes:
        return json.dumps(value).encode()

    return [
        Request("POST", "/api/v1/appointments", partner + [("Idempotency-Key", "fuzz-1")],
                j({"slot_id": w.slot_ids[0], "appointment_type": "adult", "patient": patient})),
        Request("POST", "/api/v1/appointments", partner,
                j({"slot_id": w.slot_ids[1], "appointment_type": "fasting", "patient": patient,
                   "request_number": "RQ00000001"})),
        Request("POST", f"/api/v1/appointments/{w.reference}/reschedule", partner,
                j({"slot_id": w.slot_ids[3], "date_of_birth": w.dob})),
        Request("POST", f"/api/v1/appointments/{w.reference}/cancel", partner, j({"date_of_birth": w.dob})),
        Request("POST", "/api/v1/requests", partner,
                j({"nhs_number": patient["nhs_number"], "tests": ["FBC", "UE"], "requester": "Dr Fuzz"})),
        Request("GET", f"/api/v1/slots?site_id=1&date=2026-11-25&appointment_type=adult", partner),
        Request("GET", f"/api/v1/appointments/{w.reference}?date_of_birth={w.dob}", partner),
        Request("POST", "/api/v1/kiosk/identify", kiosk, j({"reference": w.reference, "date_of_birth": w.dob})),
        Request("POST", "/api/v1/kiosk/checkin", kiosk,
                j({"reference": w.reference, "date_of_birth": w.dob,
                   "request_id": "5d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a"})),
        Request("POST", f"/api/v1/kiosk/print-jobs/{w.job_id}", kiosk,
                j({"results": [{"specimen_id": w.specimen, "outcome": "confirmed"}], "printer_status": "ok",
                   "detail": "fuzz"})),
        Request("POST", "/book/type", form, f"csrf_token={w.csrf}&type=adult".encode()),
        Request("POST", "/manage", form,
                f"csrf_token={w.csrf}&reference={w.reference}&dob-day=9&dob-month=3&dob-year=1971".encode()),
    ]


NASTY: list[object] = [None, True, 0, -1, 10**30, -(10**30), 1.5e308, "", "\u0000", "\ud800", "x" * 5000,
                       [], {}, [[[[]]]], {"a": {"b": {}}}, "9990000026", "2026-02-30", "ABC-DEF-GHJ", "<script>",
                       "'; DROP TABLE patient; --", "\u202e\u0301", 3.0, "1e999", [None] * 50]


def _json_paths(value: object, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _json_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _json_paths(v, (*path, i))
    return found


def _replace(value: object, path: tuple, new: object) -> object:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return copy


def mutate(rng: random.Random, base: Request) -> bytes:
    """One mutation of a well-formed request, chosen at random."""
    req = Request(base.method, base.path, list(base.headers), base.body)
    kind = rng.randrange(14)
    if kind == 0 and req.body.startswith(b"{"):  # a JSON value swapped for a nasty one
        data = json.loads(req.body)
        for _ in range(rng.randint(1, 3)):
            data = _replace(data, rng.choice(_json_paths(data)), rng.choice(NASTY))
        req.body = json.dumps(data).encode()
    elif kind == 1:  # JSON nested thousands deep
        depth = rng.choice([100, 1_000, 5_000, 30_000])
        req.body = ('{"slot_id": ' + "[" * depth + "]" * depth + "}").encode()
    elif kind == 2:  # bytes flipped, inserted or deleted anywhere (head or body)
        raw = bytearray(req.raw())
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(raw))
            op = rng.randrange(3)
            if op == 0:
                raw[at] = rng.randrange(256)
            elif op == 1:
                raw.insert(at, rng.randrange(256))
            elif len(raw) > 1:
                del raw[at]
        return bytes(raw)
    elif kind == 3:  # a Content-Length that lies
        return req.raw(length=rng.choice([0, 1, len(req.body) // 2, len(req.body) + 10, 10**6]))
    elif kind == 4:  # chunked, broken in one of several ways
        size = f"{len(req.body):x}"
        chunks = rng.choice([
            f"zz\r\n".encode() + req.body + b"\r\n0\r\n\r\n",
            f"-1\r\n".encode() + req.body,
            f"{size}\r\n".encode() + req.body + b"XX0\r\n\r\n",
            f"{size}\r\n".encode() + req.body,  # no last chunk
            b"fffffffffffffffffff\r\n" + req.body,
            f"{size};ext=\x00\r\n".encode() + req.body + b"\r\n0\r\n\r\n",
        ])
        head = req.raw().split(b"\r\n\r\n", 1)[0].replace(b"Content-Length", b"X-Was-Length")
        return head + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
    elif kind == 5:  # ids and references in the path swapped
        req.path = re.sub(r"/(\d+|[A-Z0-9]{9})(?=/|$|\?)", "/" + rng.choice(
            [str(10**30), "-1", "0", "%00", "%ff%fe", "%F0%9F%92%89", "..%2F..", "9" * 400, "%2e%2e"]),
            req.path) + rng.choice(["", "?", "?%00=%00", "?site_id=" + str(10**30)])
    elif kind == 6:  # junk headers
        req.headers.append(rng.choice([("X-Junk", "\u00e9\u00e8"), ("X" * 300, "y"), ("Idempotency-Key", ""),
                                       ("Idempotency-Key", "k" * 400), ("Authorization", "Bearer nope"),
                                       ("Content-Type", "text/plain"), ("X-Long", "z" * 9000),
                                       ("Content-Length", "12"), ("Transfer-Encoding", "gzip")]))
    elif kind == 7:  # another method
        req.method = rng.choice(["PUT", "DELETE", "PATCH", "GET", "OPTIONS", "HEAD", "FOO"])
    elif kind == 8:  # no Authorization, or a form where JSON was
        req.headers = [(k, v) for k, v in req.headers if k != "Authorization" or rng.random() < 0.5]
        req.headers = [(k, "application/x-www-form-urlencoded" if k == "Content-Type" else v) for k, v in req.headers]
    elif kind == 9:  # the body cut short
        req.body = req.body[: rng.randrange(len(req.body) + 1)]
    elif kind == 10:  # form fields with nasty values
        fields = ["csrf_token", "type", "slot_id", "site_id", "reference", "dob-day", "booking_key", "postcode"]
        req.body = "&".join(f"{rng.choice(fields)}={rng.choice(['%00', '%ff', str(10**30), 'x' * 3000, '-1', ''])}"
                            for _ in range(rng.randint(1, 6))).encode()
    elif kind == 11:  # random bytes for a body
        req.body = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
    elif kind == 12:  # text the database cannot keep, as JSON escapes
        req.body = req.body.replace(b'"adult"', b'"ad\\u0000ult"').replace(b'"fuzz"', b'"\\udc80"') or b'"\\ud800"'
    else:  # the request as it is: a control, which may do its work (and write)
        pass
    return req.raw()


@pytest.mark.parametrize("broken", [b"zz\r\n{}\r\n0\r\n\r\n", b"5\r\n{}", b"2\r\n{}XX0\r\n\r\n"],
                         ids=["bad size", "cut short", "no terminator"])
def test_an_invalid_chunked_body_is_400_under_gunicorn(live, broken):
    before = rows_by_table(live.engine)
    head = (f"POST /api/v1/appointments HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Authorization: Bearer {live.partner_key}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    assert send(live.port, head + broken) == 400
    assert rows_by_table(live.engine) == before


def test_mutated_raw_requests_never_get_a_5xx_and_a_refusal_writes_nothing(live):
    world = make_world(live)
    port = live.port
    rng = random.Random(SEED)
    bases = corpus(world)
    statuses: Counter[int | None] = Counter()
    failures: list[str] = []
    rows = rows_by_table(live.engine)
    for i in range(REQUESTS):
        raw = mutate(rng, rng.choice(bases))
        status = send(port, raw)
        statuses[status] += 1
        after = rows_by_table(live.engine)
        if status is None and b"\r\n\r\n" not in raw:
            pass  # the head never ended before we hung up: there is no request to answer
        elif status is None or status >= 500:
            failures.append(f"#{i}: {status} for {raw[:300]!r}")
        elif status >= 400 and after != rows:
            changed = {t: (rows[t], after[t]) for t in after if after[t] != rows[t]}
            failures.append(f"#{i}: refused with {status} but wrote {changed}: {raw[:300]!r}")
        rows = after
    assert not failures, f"{len(failures)} bad answers ({dict(statuses)}):\n" + "\n".join(failures[:20])
    # The mix really reached the app: refusals of several kinds, and some requests that worked.
    assert sum(n for s, n in statuses.items() if s and s < 400) >= 20, statuses
    assert {400, 404, 405, 422} <= set(statuses), statuses
