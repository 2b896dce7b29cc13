"""What the server tells the kiosk, as plain frozen records (no HTTP, no Qt). Labels are read
here once, into label_printer's LabelData, and printed as they are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from label_printer.errors import LabelDataError
from label_printer.layout import LabelData


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
    labels: tuple[LabelData, ...] = ()
    hand_label: tuple[str, ...] = ()
    print_job_id: int | None = None
    print_job_status: str = ""
    # Labels the kiosk could not read: their specimen ids as sent, and why. None of the job's
    # labels is printed then (they go together, in order of draw); reception reprints them.
    unreadable: tuple[str, ...] = ()
    unreadable_detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckinResult:
        """Build from the checkin response body."""
        job = data.get("print_job") or {}
        wait = data.get("wait_minutes")
        raw = list(data.get("labels") or ())
        labels: tuple[LabelData, ...]
        unreadable: tuple[str, ...]
        try:
            labels, unreadable, why = tuple(label_from_json(x) for x in raw), (), ""
        except ValueError as exc:
            labels, why = (), f"The server sent a label the kiosk cannot print ({exc})."
            unreadable = tuple(str(x.get("specimen_id", "")) if isinstance(x, dict) else ""
                               for x in raw)
        return cls(reference=str(data["reference"]), queue_number=int(data["queue_number"]),
                   wait_minutes=None if wait is None else int(wait),
                   labels=labels,
                   hand_label=tuple(str(t) for t in data.get("hand_label") or ()),
                   print_job_id=None if job.get("id") is None else int(job["id"]),
                   print_job_status=str(job.get("status", "")),
                   unreadable=unreadable, unreadable_detail=why)


def label_from_json(label: object) -> LabelData:
    """One label of the check-in answer (the server's label_json); ValueError if malformed."""
    if not isinstance(label, dict):
        raise ValueError("a label is not an object")
    try:
        sequence = label.get("sequence")
        return LabelData(
            family_name=str(label["family_name"]), given_name=str(label.get("given_name", "")),
            date_of_birth=dt.date.fromisoformat(str(label["date_of_birth"])),
            nhs_number=str(label.get("nhs_number") or ""),
            specimen_id=str(label["specimen_id"]), container=str(label["container"]),
            tests=tuple(str(t) for t in label.get("tests") or ()),
            site_name=str(label.get("site_name", "")),
            request_number=(None if label.get("request_number") is None
                            else str(label["request_number"])),
            reprint=bool(label.get("reprint", False)),
            sequence=(int(sequence[0]), int(sequence[1])) if sequence else None)
    except (KeyError, TypeError, ValueError, IndexError, LabelDataError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
