"""Test requests: the organisations that order tests (GP practices, clinics), the requests
themselves with their window, urgency and status history, and what happened to each tube.

One model for every way a request arrives (the staff pages, the JSON API, later HL7 v2 and
FHIR): an external placer order number is unique per sending organisation, so a repeat of the
same order finds the same request; an organisation's own test codes map to the catalogue."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class RequestStatus(StrEnum):
    """Where a request is. Open: the patient may book. Active: booked or at the clinic. The rest
    are final."""

    WAITING = "waiting"  # waiting for booking (not invited yet, or a booking ended)
    INVITED = "invited"
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    COLLECTED = "collected"
    NOT_TAKEN_UP = "not_taken_up"  # the window ended with no collection
    CANCELLED = "cancelled"


OPEN_REQUEST_STATUSES = (RequestStatus.WAITING, RequestStatus.INVITED)
ACTIVE_REQUEST_STATUSES = (RequestStatus.BOOKED, RequestStatus.CHECKED_IN)
FINAL_REQUEST_STATUSES = (
    RequestStatus.COLLECTED,
    RequestStatus.NOT_TAKEN_UP,
    RequestStatus.CANCELLED,
)


class Urgency(StrEnum):
    """How soon the requester needs the result."""

    ROUTINE = "routine"
    URGENT = "urgent"


class RequestSource(StrEnum):
    """How a request reached Phlebo."""

    WEB = "web"  # a requester on the staff pages
    API = "api"  # the JSON partner API
    HL7 = "hl7"
    FHIR = "fhir"


class TubeResult(StrEnum):
    """What happened to one tube at the chair."""

    COLLECTED = "collected"
    NOT_TAKEN = "not_taken"


class NotTakenReason(StrEnum):
    """Why a tube was not taken."""

    DECLINED = "declined"  # the patient declined
    COULD_NOT_OBTAIN = "could_not_obtain"
    WRONG_TUBE = "wrong_tube"


class Organisation(SQLModel, table=True):
    """An organisation that requests tests (a GP practice or clinic), known by its ODS code."""

    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    ods_code: str = Field(max_length=6, unique=True)  # upper case, 3-6 letters and digits
    name: str = Field(max_length=120)
    address: str = Field(default="", max_length=300)
    active: bool = True
    created_at: dt.datetime


class LabRequest(SQLModel, table=True):
    """A request for tests for a patient. `status` changes only by conditional UPDATEs (two
    bookings racing through one invitation link: one wins); every change adds a RequestEvent."""

    __tablename__ = "lab_request"
    __table_args__ = (
        # A repeat of the same placer order from the same organisation is the same request.
        UniqueConstraint("organisation_id", "placer_number", name="uq_lab_request_placer"),
        CheckConstraint("earliest IS NULL OR latest >= earliest", name="ck_lab_request_window"),
        Index("ix_lab_request_status", "status"),
        Index("ix_lab_request_org_created", "organisation_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_number: str = Field(max_length=20, unique=True)
    nhs_number: str = Field(max_length=10, index=True)
    requester: str = Field(max_length=100)  # the clinician who asked, as given
    api_key_id: int | None = Field(default=None, foreign_key="api_key.id")
    created_at: dt.datetime
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    placer_number: str | None = Field(default=None, max_length=50)  # e.g. HL7 ORC-2
    ordering_provider: str = Field(default="", max_length=100)  # e.g. HL7 ORC-12 id
    created_by_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    source: str = Field(default=RequestSource.API, max_length=10)
    # Set when the request gave the patient's name and date of birth (checked against the
    # record, never merged): only then can the patient book through an invitation.
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    mobile: str = Field(default="", max_length=20)  # where the invitation goes
    email: str = Field(default="", max_length=254)
    # The patient's language for messages and the booking pages, as the requester gave it
    # (shared.locales: 'cy', 'pl', 'ar'; '' for English, not given, or a language not offered).
    language: str = Field(default="", max_length=8)
    earliest: dt.date | None = None  # London dates, both inclusive
    latest: dt.date | None = None
    urgency: str = Field(default=Urgency.ROUTINE, max_length=10)
    clinical_details: str = Field(default="", max_length=500)
    fasting: bool = False
    status: str = Field(default=RequestStatus.WAITING, max_length=20)
    invited_at: dt.datetime | None = None
    reminded_at: dt.datetime | None = None  # set once, by the job that queues the one reminder
    link_failures: int = 0  # wrong dates of birth through the invitation link (3: the link is dead)
    updated_at: dt.datetime | None = None


class LabRequestTest(SQLModel, table=True):
    """One test on a request, in the order asked for."""

    __tablename__ = "lab_request_test"

    request_id: int = Field(foreign_key="lab_request.id", primary_key=True)
    test_code: str = Field(foreign_key="lab_test.code", primary_key=True, max_length=12)
    position: int = 0


class RequestEvent(SQLModel, table=True):
    """One step in a request's history: the status it reached, when, who or what did it, and
    how (e.g. 'by text message', the booking's time and place, a cancel reason)."""

    __tablename__ = "request_event"
    __table_args__ = (Index("ix_request_event_request", "request_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="lab_request.id")
    status: str = Field(max_length=20)
    at: dt.datetime
    actor: str = Field(default="", max_length=100)
    detail: str = Field(default="", max_length=300)
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id")


class TubeOutcome(SQLModel, table=True):
    """What happened to one labelled tube: collected (when, by whom) or not taken (why)."""

    __tablename__ = "tube_outcome"

    specimen_pk: int = Field(foreign_key="specimen.id", primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    result: str = Field(max_length=12)  # TubeResult
    reason: str = Field(default="", max_length=20)  # NotTakenReason when not taken
    at: dt.datetime
    by_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    by_name: str = Field(default="", max_length=100)


class OrganisationTestCode(SQLModel, table=True):
    """An organisation's own code for a test (as its order-comms system sends it) and the
    catalogue test it means."""

    __tablename__ = "organisation_test_code"

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    external_code: str = Field(primary_key=True, max_length=40)
    test_code: str = Field(foreign_key="lab_test.code", max_length=12)
