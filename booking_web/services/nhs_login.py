"""NHS login sign-ins and sessions: a sign-in's state, nonce and PKCE verifier are kept here (not
in the browser) and used once; a signed-in session is a row the browser points at with a
secret, so signing out ends it everywhere. Only SHA-256 hashes of the browser's secrets are
stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from shared.models import NhsLoginAttempt, NhsLoginSession

ATTEMPT_MINUTES = 10  # from leaving for NHS login to coming back
IDLE_MINUTES = 15  # a signed-in session ends after this long unused
LONGEST_HOURS = 8  # and after this long whatever happens
KEEP_DAYS = 1  # finished sign-ins and sessions are deleted after this
TOUCH_SECONDS = 60  # last_seen_at is written at most this often


class SignInRefused(Exception):
    """The callback's state is not one we sent to this browser, or it was used or is too old.
    `reason`: unknown, used, expired."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """Who NHS login says the patient is (claims already checked and cleaned)."""

    subject: str
    level: str  # P9, P5 or P0
    nhs_number: str | None
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    mobile: str
    email: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def record_sign_in(*, session: Session, state: str, nonce: str, code_verifier: str, purpose: str,
                   now: dt.datetime) -> None:
    """Keep a sign-in's secrets until the patient comes back; commits. Old ones are deleted."""
    session.exec(delete(NhsLoginAttempt).where(  # type: ignore[call-overload]
        col(NhsLoginAttempt.created_at) < now - dt.timedelta(days=KEEP_DAYS)))
    session.add(NhsLoginAttempt(state_hash=_hash(state), nonce=nonce, code_verifier=code_verifier,
                                purpose=purpose, created_at=now))
    session.commit()


def take_sign_in(*, session: Session, state: str, now: dt.datetime) -> NhsLoginAttempt:
    """The sign-in this state belongs to, marked used in the same statement (so two callbacks
    with one state cannot both pass); commits. SignInRefused when unknown, used or too old."""
    state_hash = _hash(state)
    taken = session.exec(  # type: ignore[call-overload]
        update(NhsLoginAttempt)
        .where(col(NhsLoginAttempt.state_hash) == state_hash,
               col(NhsLoginAttempt.used_at).is_(None),
               col(NhsLoginAttempt.created_at) >= now - dt.timedelta(minutes=ATTEMPT_MINUTES))
        .values(used_at=now)
    ).rowcount
    session.commit()
    attempt = session.exec(
        select(NhsLoginAttempt).where(NhsLoginAttempt.state_hash == state_hash)
        .execution_options(populate_existing=True)
    ).first()
    if taken == 1 and attempt is not None:
        return attempt
    if attempt is None:
        raise SignInRefused("unknown")
    raise SignInRefused("used" if attempt.used_at is not None else "expired")


def open_session(*, session: Session, identity: Identity, now: dt.datetime) -> str:
    """Sign the patient in: a new session row; returns the secret for the browser. Commits."""
    secret = secrets.token_urlsafe(32)
    session.exec(delete(NhsLoginSession).where(  # type: ignore[call-overload]
        col(NhsLoginSession.created_at) < now - dt.timedelta(hours=LONGEST_HOURS, days=KEEP_DAYS)))
    session.add(NhsLoginSession(
        token_hash=_hash(secret), subject=identity.subject, level=identity.level,
        nhs_number=identity.nhs_number, given_name=identity.given_name,
        family_name=identity.family_name, date_of_birth=identity.date_of_birth,
        mobile=identity.mobile, email=identity.email, created_at=now, last_seen_at=now))
    session.commit()
    return secret


def signed_in(*, session: Session, secret: str, now: dt.datetime) -> tuple[Identity | None, bool]:
    """Who is signed in with this secret, and whether a session just timed out (so the page
    can say so). A session unused for IDLE_MINUTES, or older than LONGEST_HOURS, is ended."""
    row = session.exec(select(NhsLoginSession).where(
        NhsLoginSession.token_hash == _hash(secret))).first()
    if row is None or row.ended_at is not None:
        return None, False
    if (now - row.last_seen_at > dt.timedelta(minutes=IDLE_MINUTES)
            or now - row.created_at > dt.timedelta(hours=LONGEST_HOURS)):
        _end(session, row.id, now)  # type: ignore[arg-type]
        return None, True
    if (now - row.last_seen_at).total_seconds() >= TOUCH_SECONDS:
        session.exec(update(NhsLoginSession).where(  # type: ignore[call-overload]
            col(NhsLoginSession.id) == row.id).values(last_seen_at=now))
        session.commit()
    return Identity(subject=row.subject, level=row.level, nhs_number=row.nhs_number,
                    given_name=row.given_name, family_name=row.family_name,
                    date_of_birth=row.date_of_birth, mobile=row.mobile, email=row.email), False


def end_session(*, session: Session, secret: str, now: dt.datetime) -> None:
    """Sign out: the session ends for every copy of its cookie. Commits; harmless twice."""
    row = session.exec(select(NhsLoginSession.id).where(
        NhsLoginSession.token_hash == _hash(secret))).first()
    if row is not None:
        _end(session, row, now)


def _end(session: Session, session_id: int, now: dt.datetime) -> None:
    """End a session and forget the person's details it held (kept no longer than needed)."""
    session.exec(update(NhsLoginSession).where(  # type: ignore[call-overload]
        col(NhsLoginSession.id) == session_id, col(NhsLoginSession.ended_at).is_(None))
        .values(ended_at=now, nhs_number=None, given_name="", family_name="",
                date_of_birth=None, mobile="", email=""))
    session.commit()


def tidy_nhs_login(*, session: Session, now: dt.datetime) -> int:
    """The scheduler's tidy-up: sessions unused for IDLE_MINUTES or older than LONGEST_HOURS are
    ended (the person's details in them wiped) even if the browser never comes back; sign-ins
    and sessions older than KEEP_DAYS are deleted. Commits; how many sessions it ended."""
    stale = session.exec(select(NhsLoginSession.id).where(
        col(NhsLoginSession.ended_at).is_(None),
        (col(NhsLoginSession.last_seen_at) < now - dt.timedelta(minutes=IDLE_MINUTES))
        | (col(NhsLoginSession.created_at) < now - dt.timedelta(hours=LONGEST_HOURS)))).all()
    for session_id in stale:
        _end(session, session_id, now)  # type: ignore[arg-type]
    session.exec(delete(NhsLoginAttempt).where(  # type: ignore[call-overload]
        col(NhsLoginAttempt.created_at) < now - dt.timedelta(days=KEEP_DAYS)))
    session.exec(delete(NhsLoginSession).where(  # type: ignore[call-overload]
        col(NhsLoginSession.ended_at) < now - dt.timedelta(days=KEEP_DAYS)))
    session.commit()
    return len(stale)
