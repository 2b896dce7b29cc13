"""Staff accounts (argon2 password hashes) and API keys (stored as SHA-256 hashes)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
import weakref
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from booking_web.services.organisations import organisation_by_code
from booking_web.services.staff_audit import Actor, record, settings_of
from shared.errors import NotAllowed, Problem, ValidationFailed, problem
from shared.models import ApiKey, KeyKind, Role, Site, StaffUser
from shared.validation import one_line_problem

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so timing does not reveal which usernames
    exist. Made at the first sign-in, not at import: an argon2 hash takes 64 MiB for a moment,
    which was the peak memory of every web worker, signing in or not (bench/HISTORY.md item 24)."""
    return _hasher.hash("not-a-real-password")


def create_staff(*, session: Session, username: str, display_name: str, password: str, role: str,
                 site_id: int | None, actor: Actor, now: dt.datetime, organisation: str | None = None) -> StaffUser:
    """Add a member of staff; audited (never the password); commits. A requester belongs to one
    organisation (its ODS code). ValidationFailed names each bad field and changes nothing."""
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
    site = session.get(Site, site_id) if site_id is not None else None
    record(session, actor=actor, action="staff_add", now=now, detail=f"{user.username}: " + settings_of({
        "name": user.display_name, "role": role, "site": site.name if site else "",
        "organisation": org.ods_code if org else ""}))
    session.commit()
    return user


def authenticate(*, session: Session, username: str, password: str) -> StaffUser | None:
    """The active staff user with these credentials, or None."""
    user = session.exec(select(StaffUser).where(StaffUser.username == username.strip())).first()
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
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
                   actor: Actor, now: dt.datetime) -> str:
    """Make a new key and return it; only its hash is kept, so it is shown once. Audited (by the
    key's first characters, which identify it and cannot be used as it). ValidationFailed
    changes nothing."""
    if not name.strip():
        raise ValidationFailed("key_name_missing", fields={"name": problem("name_empty")})
    if kind in (KeyKind.KIOSK, KeyKind.DISPLAY) and (site_id is None or session.get(Site, site_id) is None):
        raise ValidationFailed("key_site_needed", fields={"site_id": problem("site_existing")}, kind=kind)
    key = "phl_" + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name.strip(), key_hash=_hash_key(key), prefix=key[:10], kind=kind,
                       site_id=site_id, created_at=now))
    site = session.get(Site, site_id) if site_id is not None else None
    record(session, actor=actor, action="api_key_add", now=now, detail=f"{name.strip()}: " + settings_of({
        "kind": str(kind), "site": site.name if site else "", "starts": key[:10]}))
    session.commit()
    return key


@dataclass(frozen=True)
class LiveKey:
    """What a request needs of its bearer key (no ORM object: every API request reads one)."""

    id: int
    name: str
    kind: str
    site_id: int | None


# Built once (every API request that is not folded runs it): building a statement costs more
# than running it.
_LIVE_KEY = sa_select(col(ApiKey.id), col(ApiKey.name), col(ApiKey.kind), col(ApiKey.site_id)).where(
    col(ApiKey.key_hash) == bindparam("key_hash"), col(ApiKey.revoked_at).is_(None))

# The same check as a column another statement carries: the id of the live key with this hash
# and kind (NULL once it is revoked). A request whose key this process has seen before reads it
# in its first statement, beside its own work, instead of in a statement of its own.
LIVE_KEY_ID = sa_select(col(ApiKey.id)).where(
    col(ApiKey.key_hash) == bindparam("key_hash"), col(ApiKey.revoked_at).is_(None),
    col(ApiKey.kind) == bindparam("key_kind"),
).scalar_subquery().label("live_key_id")

# Keys seen live, per engine (as availability's type codes): token hash -> LiveKey. Only a hint
# of who is asking: every request still proves its key live in a statement of its own (the
# first statement of the work, see KeyProof), so a key revoked a moment ago, by any process, is
# refused on the very next request. Key rows are only ever created and revoked.
_SEEN: weakref.WeakKeyDictionary[Engine, dict[str, LiveKey]] = weakref.WeakKeyDictionary()
_SEEN_MOST = 1024  # a bound on memory, far above the number of keys a service issues


@dataclass
class KeyProof:
    """A key this process has seen live, not yet proven live in this request. The request's first
    statement carries LIVE_KEY_ID with `params`, and its value goes to `settle` before anything
    is written; a request that cannot carry it calls key_for_token instead."""

    key: LiveKey
    key_hash: str
    proven: bool = False

    @property
    def params(self) -> dict[str, str]:
        """The bind parameters LIVE_KEY_ID needs."""
        return {"key_hash": self.key_hash, "key_kind": self.key.kind}

    def settle(self, live_key_id: int | None) -> None:
        """Accept the value LIVE_KEY_ID read: NotAllowed (unauthorised) unless it is this key."""
        if live_key_id != self.key.id:
            raise NotAllowed("api_key_needed", code="unauthorised")
        self.proven = True


def seen_key(*, session: Session, token: str) -> KeyProof | None:
    """The key for a bearer token, if this process has seen it live: to be proven in the request's
    first statement (no statement here). None for a token not seen: call key_for_token."""
    seen = _SEEN.get(session.get_bind().engine)
    if not token or not seen:
        return None
    key_hash = _hash_key(token)
    key = seen.get(key_hash)
    return KeyProof(key, key_hash) if key is not None else None


def key_for_token(*, session: Session, token: str) -> LiveKey:
    """The live key for a bearer token, read in a statement of its own, or NotAllowed."""
    key_hash = _hash_key(token) if token else ""
    row = session.connection().execute(_LIVE_KEY, {"key_hash": key_hash}).first() if token else None
    if row is None:
        raise NotAllowed("api_key_needed", code="unauthorised")
    key = LiveKey(*row)
    seen = _SEEN.setdefault(session.get_bind().engine, {})
    if len(seen) >= _SEEN_MOST:
        seen.clear()
    seen[key_hash] = key
    return key
