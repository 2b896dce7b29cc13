"""NHS login tables: sign-ins under way (state, nonce and PKCE verifier, each used once) and the
signed-in sessions they open. Only hashes of the browser's secrets are stored; tokens never are."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel


class NhsLoginAttempt(SQLModel, table=True):
    """One trip to NHS login and back: the callback may use it once, within minutes."""

    __tablename__ = "nhs_login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    state_hash: str = Field(max_length=64, unique=True)  # SHA-256 of the state, hex
    nonce: str = Field(max_length=100)
    code_verifier: str = Field(max_length=128)  # PKCE: never leaves the server
    purpose: str = Field(max_length=20)  # where to go once signed in: book, manage
    created_at: dt.datetime = Field(index=True)
    used_at: dt.datetime | None = None


class NhsLoginSession(SQLModel, table=True):
    """A patient signed in with NHS login, and who NHS login says they are. The browser holds
    the session's secret; signing out (or a long pause) ends it for every copy of the cookie."""

    __tablename__ = "nhs_login_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)  # SHA-256 of the cookie's secret, hex
    subject: str = Field(max_length=200)  # NHS login's `sub`
    level: str = Field(max_length=4)  # identity proofing: P9 (checked), P5, P0
    nhs_number: str | None = Field(default=None, max_length=10)
    given_name: str = Field(default="", max_length=100)
    family_name: str = Field(default="", max_length=100)
    date_of_birth: dt.date | None = None
    mobile: str = Field(default="", max_length=20)
    email: str = Field(default="", max_length=254)
    created_at: dt.datetime = Field(index=True)
    last_seen_at: dt.datetime
    ended_at: dt.datetime | None = None
