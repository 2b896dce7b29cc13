"""The only module that speaks HTTP: the kiosk side of /api/v1/kiosk (httpx, short timeouts)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from kiosk_app.models import CheckinResult, Identity

log = logging.getLogger(__name__)

UNREACHABLE = "unreachable"
RETRY_PAUSES = (0.3, 1.0)  # between checkin tries; short, a patient is waiting


class ApiError(Exception):
    """The server refused, or could not be reached (code "unreachable")."""

    def __init__(self, code: str, message: str = "", *, status: int | None = None,
                 extra: dict[str, Any] | None = None):
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.status = status
        self.extra = extra or {}


class KioskApi:
    """A client for one kiosk: its server, its bearer key, and a queue of unsent print reports."""

    def __init__(self, base_url: str, key: str, *, timeout: float = 5.0, checkin_tries: int = 3,
                 outbox_path: Path | None = None, transport: httpx.BaseTransport | None = None,
                 pauses: tuple[float, ...] = RETRY_PAUSES):
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                    headers={"Authorization": f"Bearer {key}",
                                             "Accept": "application/json"},
                                    transport=transport)
        self._tries = max(1, checkin_tries)
        self._pauses = pauses
        self._outbox = ReportOutbox(outbox_path) if outbox_path else None

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def status(self) -> dict[str, Any]:
        """GET /status: the kiosk's site and the server clock."""
        return self._request("GET", "/api/v1/kiosk/status", tries=2, retry_read=True)

    def identify(self, *, date_of_birth: dt.date, qr: str | None = None,
                 reference: str | None = None) -> Identity:
        """Find the appointment by QR or reference, with the date of birth the patient entered."""
        body: dict[str, Any] = {"date_of_birth": date_of_birth.isoformat()}
        if qr is not None:
            body["qr"] = qr
        else:
            body["reference"] = reference
        # A read timeout is not retried: the attempt may have counted against the rate limit.
        data = self._request("POST", "/api/v1/kiosk/identify", json=body, tries=2,
                             retry_read=False)
        return Identity.from_json(data)

    def checkin(self, *, reference: str, date_of_birth: dt.date, request_id: str) -> CheckinResult:
        """Check in; on a lost connection retry with the SAME request_id, sent as the request's
        Idempotency-Key too (the server answers a resend from what the first one did)."""
        body = {"reference": reference, "date_of_birth": date_of_birth.isoformat(),
                "request_id": request_id}
        data = self._request("POST", "/api/v1/kiosk/checkin", json=body, tries=self._tries,
                             retry_read=True, headers={"Idempotency-Key": request_id})
        return CheckinResult.from_json(data)

    def walk_in(self, *, date_of_birth: dt.date, request_id: str, nhs_number: str = "",
                given_name: str = "", family_name: str = "", postcode: str = "") -> CheckinResult:
        """Check in a walk-in by NHS number, or else name and postcode, with the date of birth;
        retried exactly as checkin() is, with the SAME request_id and Idempotency-Key."""
        body: dict[str, Any] = {"date_of_birth": date_of_birth.isoformat(),
                                "request_id": request_id}
        if nhs_number:
            body["nhs_number"] = nhs_number
        else:
            body.update(given_name=given_name, family_name=family_name, postcode=postcode)
        data = self._request("POST", "/api/v1/kiosk/walk-in", json=body, tries=self._tries,
                             retry_read=True, headers={"Idempotency-Key": request_id})
        return CheckinResult.from_json(data)

    def report_not_me(self, *, reference: str, date_of_birth: dt.date) -> None:
        """Tell the server the patient said the booking found was not theirs; a lost answer is
        sent again under the same Idempotency-Key, so the server records it once."""
        body = {"reference": reference, "date_of_birth": date_of_birth.isoformat()}
        self._request("POST", "/api/v1/kiosk/not-me", json=body, tries=2, retry_read=True,
                      headers={"Idempotency-Key": str(uuid.uuid4())})

    def report_print(self, job_id: int, report: dict[str, Any]) -> str | None:
        """Send a print result; if that fails keep it in the outbox. Returns the job status."""
        self.flush_outbox()
        try:
            return self._send_report(job_id, report)
        except ApiError as exc:
            if self._outbox is None or exc.code != UNREACHABLE and (exc.status or 0) < 500:
                raise
            log.warning("print report for job %s kept for later: %s", job_id, exc.message)
            self._outbox.add(job_id, report)
            return None

    def flush_outbox(self) -> int:
        """Resend queued print reports; returns how many the server accepted."""
        if self._outbox is None:
            return 0
        return self._outbox.drain(self._send_report)

    def pending_reports(self) -> int:
        """How many print reports are waiting to be sent."""
        return 0 if self._outbox is None else len(self._outbox.items())

    def _send_report(self, job_id: int, report: dict[str, Any]) -> str:
        data = self._request("POST", f"/api/v1/kiosk/print-jobs/{int(job_id)}", json=report,
                             tries=1, retry_read=False,
                             headers={"Idempotency-Key": report_key(job_id, report)})
        return str(data.get("status", ""))

    def _request(self, method: str, path: str, *, tries: int, retry_read: bool,
                 json: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> dict[str, Any]:
        failure: httpx.TransportError | None = None
        for attempt in range(tries):
            try:
                response = self._client.request(method, path, json=json, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failure = exc  # the request never arrived: always safe to send again
            except httpx.TransportError as exc:
                failure = exc
                if not retry_read:
                    break
            else:
                if response.status_code in (502, 503, 504) and attempt + 1 < tries:
                    self._pause(attempt)
                    continue
                return _parse(response)
            if attempt + 1 < tries:
                self._pause(attempt)
        raise ApiError(UNREACHABLE, f"Could not reach the server: {failure!r}")

    def _pause(self, attempt: int) -> None:
        if self._pauses:
            time.sleep(self._pauses[min(attempt, len(self._pauses) - 1)])


def _parse(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a 2xx reply, or an ApiError built from the error body."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.is_success and isinstance(data, dict):
        return data
    if response.is_success:
        raise ApiError("bad_response", "The server sent a reply the kiosk cannot read.",
                       status=response.status_code)
    if not isinstance(data, dict) or "error" not in data:
        code = "server_error" if response.status_code >= 500 else f"http_{response.status_code}"
        raise ApiError(code, f"The server answered {response.status_code}.",
                       status=response.status_code)
    extra = {k: v for k, v in data.items() if k not in ("error", "message")}
    raise ApiError(str(data["error"]), str(data.get("message", "")),
                   status=response.status_code, extra=extra)


def report_key(job_id: int, report: dict[str, Any]) -> str:
    """The Idempotency-Key of a print report: made from the job and what the report says, so
    the same report sent again (from the outbox, or the journal after a restart) carries the
    same key, and the server answers it from the first without recording it again."""
    canonical = json.dumps(report, sort_keys=True, separators=(",", ":"))
    return str(uuid.uuid5(_REPORT_KEYS, f"{int(job_id)}\n{canonical}"))


_REPORT_KEYS = uuid.UUID("6f1d7c52-3b0e-4d55-9a51-0c7b3f0a2e17")  # a namespace of our own


class ReportOutbox:
    """Print reports that could not be sent, in a small JSON file, resent later in order."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def items(self) -> list[dict[str, Any]]:
        """The queued reports, oldest first."""
        with self._lock:
            return self._load()

    def add(self, job_id: int, report: dict[str, Any]) -> None:
        """Queue one report (written to disk before returning, so a crash loses nothing)."""
        with self._lock:
            items = self._load()
            items.append({"job_id": int(job_id), "report": report})
            self._save(items)

    def drain(self, send: Any) -> int:
        """Send queued reports with `send(job_id, report)`; stop at the first failure."""
        with self._lock:
            items = self._load()
            sent = 0
            while items:
                try:
                    send(items[0]["job_id"], items[0]["report"])
                    sent += 1
                except ApiError as exc:
                    if exc.code == UNREACHABLE or (exc.status or 0) >= 500:
                        break
                    # Refused for good (e.g. job unknown): resending would never succeed.
                    log.error("print report for job %s refused, dropped: %s",
                              items[0]["job_id"], exc.message)
                items.pop(0)
                self._save(items)
            return sent

    def _load(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        except ValueError:
            log.error("print report queue %s is unreadable; starting a new one", self.path)
            self.path.replace(self.path.with_suffix(".corrupt"))
            return []
        return list(data) if isinstance(data, list) else []

    def _save(self, items: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(items, indent=1))
        os.replace(tmp, self.path)  # atomic: never a half-written queue
