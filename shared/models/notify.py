"""Messages to patients (an outbox with retries) and the waiting list for earlier times."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class Channel(StrEnum):
    """How a message reaches the patient."""

    SMS = "sms"
    EMAIL = "email"


class OutboxStatus(StrEnum):
    """Where a message is: waiting, being sent by a worker, done, given up, or no longer wanted."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # e.g. a reminder for an appointment cancelled before it went


class OutboxMessage(SQLModel, table=True):
    """One message to one recipient. `dedup_key` is unique: the same message is never queued twice.
    Personalisation holds the least needed (reference, date, time, site): no NHS number or DOB."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_status_next_try", "status", "next_try_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(max_length=200, unique=True)
    channel: str = Field(max_length=10)
    recipient: str = Field(max_length=254)
    template: str = Field(max_length=40)
    # The patient's language: the Notify template for it is used when one is set
    # (PHLEBO_NOTIFY_TEMPLATE_<TEMPLATE>_<CHANNEL>_<LANG>), else the English one. '' is English.
    language: str = Field(default="", max_length=8, sa_column_kwargs={"server_default": ""})
    personalisation: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    status: str = Field(default=OutboxStatus.PENDING, max_length=10)
    attempts: int = 0
    next_try_at: dt.datetime
    last_error: str = Field(default="", max_length=500)
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    provider_id: str = Field(default="", max_length=100)  # Notify's notification id
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id", index=True)
    # A message about a test request (invitation, reminder, lapse): not sent once it is moot.
    lab_request_id: int | None = Field(default=None, foreign_key="lab_request.id", index=True)
    # Send only while the appointment is still booked at this version (reminders, offers).
    only_if_version: int | None = None
    expires_at: dt.datetime | None = (
        None  # not worth sending after this (e.g. the appointment start)
    )


class WaitlistStatus(StrEnum):
    """A waiting-list entry is waiting until it is accepted, left, or its booking ends."""

    WAITING = "waiting"
    MOVED = "moved"
    ENDED = "ended"


class WaitlistEntry(SQLModel, table=True):
    """A booked patient who wants to hear of an earlier time at some sites (one entry a booking)."""

    __tablename__ = "waitlist_entry"

    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id", unique=True)
    status: str = Field(default=WaitlistStatus.WAITING, max_length=10)
    joined_at: dt.datetime  # queue order: first joined, first offered
    updated_at: dt.datetime
    ended_reason: str = Field(default="", max_length=200)


class WaitlistSite(SQLModel, table=True):
    """A site a waiting patient would go to."""

    __tablename__ = "waitlist_site"

    entry_id: int = Field(foreign_key="waitlist_entry.id", primary_key=True)
    site_id: int = Field(foreign_key="site.id", primary_key=True)


class OfferStatus(StrEnum):
    """An offer is open until accepted, expired, or the chair has gone to someone else."""

    OPEN = "open"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    GONE = "gone"


class WaitlistOffer(SQLModel, table=True):
    """A free chair offered to a waiting patient by a signed, expiring link. The chair is not held:
    the first to accept gets it, through the ordinary reschedule."""

    __tablename__ = "waitlist_offer"
    __table_args__ = (
        UniqueConstraint("entry_id", "slot_id", name="uq_offer_entry_slot"),
        Index("ix_offer_status_slot", "status", "slot_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="waitlist_entry.id")
    slot_id: int = Field(foreign_key="slot.id")
    status: str = Field(default=OfferStatus.OPEN, max_length=10)
    created_at: dt.datetime
    expires_at: dt.datetime
    decided_at: dt.datetime | None = None
