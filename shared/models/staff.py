"""Staff accounts and API keys."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import Field, SQLModel


class Role(StrEnum):
    """Staff roles."""

    ADMIN = "admin"
    PHLEBOTOMIST = "phlebotomist"
    MANAGER = "manager"  # reads the service's reports (admins can too)
    REQUESTER = "requester"  # orders tests for one organisation and sees only its requests


class KeyKind(StrEnum):
    """What an API key may do: partners book; a kiosk checks in at its own site only; a display
    (the waiting-room call screen) shows its own site's calls only."""

    PARTNER = "partner"
    KIOSK = "kiosk"
    DISPLAY = "display"


class StaffUser(SQLModel, table=True):
    """A member of staff who signs in to the staff pages."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=60, unique=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=300)
    role: str = Field(max_length=20)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    active: bool = True
    created_at: dt.datetime


class ApiKey(SQLModel, table=True):
    """A bearer key for the JSON API. Only a hash of the key is stored."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    kind: str = Field(max_length=20)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
