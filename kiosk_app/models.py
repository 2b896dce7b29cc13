"""What the server tells the kiosk, as plain frozen records (no HTTP, no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Identity:
    """The least needed to let a patient recognise their own appointment."""

    reference: str
    masked_name: str
    local_time: str
    appointment_type: str
    site_name: str
    starts_at: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Identity:
        """Build from the identify response body."""
        return cls(reference=str(data["reference"]), masked_name=str(data["masked_name"]),
                   local_time=str(data.get("local_time", "")),
                   appointment_type=str(data.get("appointment_type", "")),
                   site_name=str(data.get("site_name", "")),
                   starts_at=str(data.get("starts_at", "")))


@dataclass(frozen=True)
class CheckinResult:
    """A successful check-in: queue number, wait, and the labels still to print."""

    reference: str
    queue_number: int
    wait_minutes: int | None
    labels: tuple[dict[str, Any], ...] = ()
    hand_label: tuple[str, ...] = ()
    print_job_id: int | None = None
    print_job_status: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckinResult:
        """Build from the checkin response body."""
        job = data.get("print_job") or {}
        wait = data.get("wait_minutes")
        return cls(reference=str(data["reference"]), queue_number=int(data["queue_number"]),
                   wait_minutes=None if wait is None else int(wait),
                   labels=tuple(data.get("labels") or ()),
                   hand_label=tuple(str(t) for t in data.get("hand_label") or ()),
                   print_job_id=None if job.get("id") is None else int(job["id"]),
                   print_job_status=str(job.get("status", "")))
