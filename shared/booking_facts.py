"""A booking's facts as plain values (no ORM objects): what the booking read and wrote, from which
its message and its answer are built. The booking request builds no entity (bench/HISTORY.md
item 20): each of these is one row of one of its statements, or the values it inserted."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """A site as a booking shows and checks it (the Site columns of the same names)."""

    id: int
    name: str
    address: str
    postcode: str
    access_notes: str
    paediatric: bool
    active: bool


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """The patient row a booking was made for, as it stands after the booking's upsert (its
    contact details are the ones their messages go to)."""

    id: int
    nhs_number: str | None
    given_name: str
    family_name: str
    date_of_birth: dt.date
    mobile: str
    email: str


@dataclass(frozen=True, slots=True)
class BookingFacts:
    """An appointment as inserted (the Appointment columns of the same names)."""

    id: int
    reference: str
    slot_id: int
    site_id: int
    patient_id: int
    type_code: str
    status: str
    request_number: str | None
    starts_at: dt.datetime
    version: int
    language: str
    channel: str
