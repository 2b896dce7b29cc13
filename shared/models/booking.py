"""Booking tables (SQLModel). Instants are aware UTC; clinic dates and times are Europe/London."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class AppointmentStatus(StrEnum):
    """Where an appointment is in its life."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    COLLECTED = "collected"
    DNA = "dna"


ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


class CancelledBy(StrEnum):
    """Who ended a booking: the patient (web or a partner system for them), staff for the
    patient, or the service itself (the clinic closed)."""

    PATIENT = "patient"
    STAFF = "staff"
    SERVICE = "service"


class BookingChannel(StrEnum):
    """How a booking was made, for the reports. HL7 and FHIR are for the order-comms interfaces
    when they book; '' marks bookings made before the channel was recorded."""

    WEB = "web"  # the public booking site
    API = "api"  # a partner system through the JSON API
    STAFF = "staff"  # staff on the staff pages
    KIOSK = "kiosk"  # a walk-in checked in at the kiosk
    HL7 = "hl7"
    FHIR = "fhir"


class Site(SQLModel, table=True):
    """A clinic site where blood is taken."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    address: str = Field(max_length=300)
    postcode: str = Field(max_length=10)
    latitude: float
    longitude: float
    access_notes: str = Field(default="", max_length=1000)
    paediatric: bool = False
    active: bool = True


class AppointmentType(SQLModel, table=True):
    """A kind of appointment with its rules (DOMAIN section 4)."""

    __tablename__ = "appointment_type"

    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=80)
    description: str = Field(default="", max_length=500)
    duration_minutes: int
    min_age_years: int | None = None
    max_age_years: int | None = None  # exclusive: under this age
    paediatric_site_only: bool = False
    latest_start: dt.time | None = None  # local wall-clock; the slot must start before this
    sort_order: int = 0


class ClinicSession(SQLModel, table=True):
    """One clinic on one day at one site; it owns its slots."""

    __tablename__ = "clinic_session"
    __table_args__ = (
        CheckConstraint("chairs > 0", name="ck_session_chairs"),
        CheckConstraint("slot_minutes > 0", name="ck_session_slot_minutes"),
        Index("ix_session_site_date", "site_id", "date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    slot_minutes: int
    chairs: int
    closed_at: dt.datetime | None = None
    closed_reason: str = Field(default="", max_length=300)
    created_at: dt.datetime


class ClinicSessionType(SQLModel, table=True):
    """Which appointment types a clinic session takes."""

    __tablename__ = "clinic_session_type"

    session_id: int = Field(foreign_key="clinic_session.id", primary_key=True)
    type_code: str = Field(foreign_key="appointment_type.code", primary_key=True, max_length=20)


class Slot(SQLModel, table=True):
    """A start time with a number of chairs. `booked` is changed only by conditional updates."""

    __table_args__ = (
        CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_slot_capacity"),
        Index("ix_slot_site_start", "site_id", "starts_at"),
        Index("ix_slot_start", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="clinic_session.id", index=True)
    site_id: int = Field(foreign_key="site.id")
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime  # UTC
    capacity: int
    booked: int = 0


class Patient(SQLModel, table=True):
    """A patient. Bookings lock this row, so the per-patient cap cannot be raced past."""

    id: int | None = Field(default=None, primary_key=True)
    nhs_number: str | None = Field(default=None, max_length=10, unique=True)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    date_of_birth: dt.date
    postcode: str = Field(default="", max_length=10)
    mobile: str = Field(default="", max_length=20)
    email: str = Field(default="", max_length=254)
    created_at: dt.datetime


class Appointment(SQLModel, table=True):
    """A booking of one chair in one slot; the reference never changes, even on reschedule."""

    __table_args__ = (
        Index("ix_appointment_slot_status", "slot_id", "status"),
        Index("ix_appointment_patient", "patient_id"),
        # The reports read a period of appointments by their time, and of bookings by when made.
        Index("ix_appointment_start", "starts_at"),
        Index("ix_appointment_created", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=12, unique=True)
    slot_id: int = Field(foreign_key="slot.id")
    site_id: int = Field(foreign_key="site.id")
    patient_id: int = Field(foreign_key="patient.id")
    type_code: str = Field(foreign_key="appointment_type.code", max_length=20)
    status: str = Field(default=AppointmentStatus.BOOKED, max_length=20)
    request_number: str | None = Field(default=None, max_length=20)
    starts_at: dt.datetime  # copy of the slot's start, so lists need no join
    created_at: dt.datetime
    updated_at: dt.datetime
    cancelled_at: dt.datetime | None = None
    cancel_reason: str = Field(default="", max_length=300)
    # '' while not cancelled (and for bookings cancelled before this was recorded).
    cancelled_by: str = Field(default="", max_length=10, sa_column_kwargs={"server_default": ""})
    checked_in_at: dt.datetime | None = None
    queue_number: int | None = None
    collected_at: dt.datetime | None = None
    collected_by: str = Field(default="", max_length=100)
    version: int = 1  # bumped on every change; a stale QR or link can tell
    channel: str = Field(default="", max_length=10, sa_column_kwargs={"server_default": ""})
    # The language the patient booked in (shared.locales: 'cy', 'pl', 'ar'); '' is English.
    # Their messages and letter are written in it.
    language: str = Field(default="", max_length=8, sa_column_kwargs={"server_default": ""})
    walk_in: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class RateLimitBucket(SQLModel, table=True):
    """A fixed-window counter shared by every worker through the database."""

    __tablename__ = "rate_limit_bucket"

    key: str = Field(primary_key=True, max_length=200)
    window_start: dt.datetime
    count: int = 0


class QueueCounter(SQLModel, table=True):
    """The last queue number given out at a site on a day."""

    __tablename__ = "queue_counter"
    __table_args__ = (UniqueConstraint("site_id", "date", name="uq_queue_site_date"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    date: dt.date
    last_number: int = 0


class IdempotencyKey(SQLModel, table=True):
    """The first answer to a request sent with an Idempotency-Key, written in the same transaction
    as the request's effect and kept for a day: a retry with the same key and body gets this
    answer back instead of doing the work again. `scope` keeps keys apart per API key
    ("api:<key id>") and for the public site ("web")."""

    __tablename__ = "idempotency_key"
    __table_args__ = (Index("ix_idempotency_key_expires", "expires_at"),)

    scope: str = Field(primary_key=True, max_length=40)
    request_key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)  # SHA-256 of the method, path and body
    status: int
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime
    expires_at: dt.datetime
