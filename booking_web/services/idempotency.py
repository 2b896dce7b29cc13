"""Idempotency keys: a request sent again with the same key gets the first answer back, and its
work is not done twice.

How: a service that changes something takes a `Once` and, as the last write before its commit,
stores the answer it is about to give under the key (`remember_answer`). The answer and the
effect commit together, so a crash cannot leave one without the other. A second request with the
key does its work again in a transaction of its own, and that transaction is thrown away: its
answer cannot be stored (the key is taken: AnsweredBefore), or the work itself is refused because
it was done (the booking exists, the chair is taken). Either way the caller then reads the stored
answer (`earlier_answer`). Nothing is read before the work, so a first request costs one write.

Two requests with one key at the same moment are put in order by the database: on PostgreSQL
the second INSERT of the key waits for the first transaction and then finds the key taken; on
SQLite writers take turns. A refused request stores nothing (it changed nothing), so the same
key may be sent again and is decided afresh."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, select

from shared.db import insert_on_conflict
from shared.errors import ValidationFailed, problem
from shared.models import IdempotencyKey

KEEP_FOR = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255

Render = Callable[[Any], tuple[int, dict[str, Any]]]


class AnsweredBefore(Exception):
    """The key already holds an answer: the work just done must be rolled back."""


@dataclass
class Once:
    """One keyed request: where its key lives (per API key, or the public site), the key, what
    the request was (its fingerprint), and how the service's result becomes the answer."""

    scope: str
    key: str
    fingerprint: str
    render: Render | None = None
    answer: tuple[int, dict[str, Any]] | None = field(default=None, init=False)


def api_scope(api_key_id: int) -> str:
    """Where the keys of one API key live: keys are per API key."""
    return f"api:{api_key_id}"


def check_key(raw: str) -> str:
    """The Idempotency-Key header's value, or ValidationFailed: 1 to 255 visible ASCII characters."""
    key = raw.strip()
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(33 <= ord(c) <= 126 for c in key):
        raise ValidationFailed(
            "idempotency_key_invalid", fields={"Idempotency-Key": problem("idempotency_key_new")},
            code="invalid_idempotency_key", longest=MAX_KEY_LENGTH,
        )
    return key


def fingerprint(method: str, path: str, body: object) -> str:
    """SHA-256 of what the request asks for: method, path and its JSON body in a canonical form
    (key order and spacing do not matter)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


_COLUMNS = ("scope", "request_key", "fingerprint", "status", "body", "created_at", "expires_at")
# A key stored more than KEEP_FOR ago is taken over; a live one is left alone (nothing returned).
_STORE = insert_on_conflict(
    IdempotencyKey.__table__,  # type: ignore[attr-defined]
    _COLUMNS,
    conflict="scope, request_key",
    update={name: f"excluded.{name}" for name in _COLUMNS[2:]},
    where="idempotency_key.expires_at <= excluded.created_at",
    returning=("scope",),
)


def remember_answer(session: Session, once: Once | None, result: Any, now: dt.datetime) -> None:
    """Store the answer for `result` under the key, in the caller's transaction (call it last,
    just before the commit). AnsweredBefore when the key already holds a live answer."""
    if once is None:
        return
    assert once.render is not None, "a keyed service call needs to know how to render its answer"
    status, body = once.render(result)
    values = dict(scope=once.scope, request_key=once.key, fingerprint=once.fingerprint, status=status,
                  body=body, created_at=now, expires_at=now + KEEP_FOR)
    # RETURNING, not rowcount: psycopg reports no rowcount for an upsert that did nothing.
    if session.connection().execute(_STORE, values).first() is None:
        raise AnsweredBefore(once.key)
    once.answer = (status, body)


def earlier_answer(*, session: Session, once: Once, now: dt.datetime) -> tuple[int, dict[str, Any]] | None:
    """The answer stored under the key in the last KEEP_FOR (None if there is none). The same key
    with a different request is ValidationFailed: a key names one request."""
    row = session.exec(
        select(IdempotencyKey).where(
            IdempotencyKey.scope == once.scope,
            IdempotencyKey.request_key == once.key,
            IdempotencyKey.expires_at > now,  # type: ignore[operator]
        )
    ).first()
    session.rollback()
    if row is None:
        return None
    if row.fingerprint != once.fingerprint:
        raise ValidationFailed(
            "idempotency_key_reused", fields={"Idempotency-Key": problem("idempotency_key_used")},
            code="idempotency_key_reused",
        )
    return row.status, dict(row.body)


def purge_expired_keys(*, session: Session, now: dt.datetime) -> int:
    """Delete keys older than KEEP_FOR; commits. Returns how many went."""
    gone = session.exec(  # type: ignore[call-overload]
        delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now)  # type: ignore[arg-type]
    ).rowcount
    session.commit()
    return int(gone or 0)
