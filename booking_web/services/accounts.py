"""Staff accounts (argon2 password hashes) and API keys (stored as SHA-256 hashes)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from booking_web.services.organisations import organisation_by_code
from shared.errors import NotAllowed, Problem, ValidationFailed, problem
from shared.models import ApiKey, KeyKind, Role, Site, StaffUser
from shared.validation import one_line_problem

_hasher = PasswordHasher()
# Verified against when the username is unknown, so timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def create_staff(*, session: Session, username: str, display_name: str, password: str, role: str,
                 site_id: int | None, now: dt.datetime, organisation: str | None = None) -> StaffUser:
    """Add a member of staff; commits. A requester belongs to one organisation (its ODS code)."""
    errors: dict[str, Problem] = {}
    if not username.strip() or len(username) > 60:
        errors["username"] = problem("username_invalid", longest=60)
    elif wrong := one_line_problem(username, "username"):
        errors["username"] = wrong
    if wrong := one_line_problem(display_name, "staff_name"):
        errors["display_name"] = wrong  # it goes on labels printed at the chair (By ...)
    elif session.exec(select(StaffUser).where(StaffUser.username == username.strip())).first():
        errors["username"] = problem("username_taken")
    if len(password) < 12:
        errors["password"] = problem("password_too_short", shortest=12)
    if role not in {r.value for r in Role}:
        errors["role"] = problem("role_missing")
    if site_id is not None and session.get(Site, site_id) is None:
        errors["site_id"] = problem("site_choose")
    org = organisation_by_code(session=session, ods_code=organisation) if organisation else None
    if role == Role.REQUESTER and org is None:
        errors["organisation"] = (problem("organisation_ods_unknown", ods_code=organisation) if organisation
                                  else problem("organisation_ods_needed"))
    elif organisation and role != Role.REQUESTER:
        errors["organisation"] = problem("organisation_only_requester")
    if errors:
        raise ValidationFailed("staff_details_invalid", fields=errors)
    user = StaffUser(username=username.strip(), display_name=display_name.strip() or username.strip(),
                     password_hash=_hasher.hash(password), role=role, site_id=site_id,
                     organisation_id=org.id if org else None, created_at=now)
    session.add(user)
    session.commit()
    return user


def authenticate(*, session: Session, username: str, password: str) -> StaffUser | None:
    """The active staff user with these credentials, or None."""
    user = session.exec(select(StaffUser).where(StaffUser.username == username.strip())).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.commit()
    return user


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(*, session: Session, name: str, kind: str = KeyKind.PARTNER, site_id: int | None = None,
                   now: dt.datetime) -> str:
    """Make a new key and return it; only its hash is kept, so it is shown once."""
    if not name.strip():
        raise ValidationFailed("key_name_missing", fields={"name": problem("name_empty")})
    if kind in (KeyKind.KIOSK, KeyKind.DISPLAY) and (site_id is None or session.get(Site, site_id) is None):
        raise ValidationFailed("key_site_needed", fields={"site_id": problem("site_existing")}, kind=kind)
    key = "phl_" + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name.strip(), key_hash=_hash_key(key), prefix=key[:10], kind=kind,
                       site_id=site_id, created_at=now))
    session.commit()
    return key


@dataclass(frozen=True)
class LiveKey:
    """What a request needs of its bearer key (no ORM object: every API request reads one)."""

    id: int
    name: str
    kind: str
    site_id: int | None


# Built once (every API request runs it): building a statement costs more than running it. The
# key is read on every request, never cached, so a key revoked a moment ago is refused at once.
_LIVE_KEY = sa_select(col(ApiKey.id), col(ApiKey.name), col(ApiKey.kind), col(ApiKey.site_id)).where(
    col(ApiKey.key_hash) == bindparam("key_hash"), col(ApiKey.revoked_at).is_(None))


def key_for_token(*, session: Session, token: str) -> LiveKey:
    """The live key for a bearer token, or NotAllowed."""
    row = session.connection().execute(_LIVE_KEY, {"key_hash": _hash_key(token)}).first() if token else None
    if row is None:
        raise NotAllowed("api_key_needed", code="unauthorised")
    return LiveKey(*row)
