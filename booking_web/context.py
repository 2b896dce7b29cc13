"""Per-app and per-request access to settings, the clock and a database session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, g
from sqlalchemy.engine import Engine
from sqlmodel import Session

from shared.config import Settings
from shared.timeutil import utcnow


@dataclass
class Phlebo:
    """What create_app() builds once: settings, engine and the clock (tests may move it)."""

    settings: Settings
    engine: Engine
    clock: Callable[[], dt.datetime] = field(default=utcnow)


def state() -> Phlebo:
    """The running app's Phlebo state."""
    return current_app.extensions["phlebo"]  # type: ignore[no-any-return]


def settings() -> Settings:
    """The running app's settings."""
    return state().settings


def now() -> dt.datetime:
    """The current instant (aware UTC) by the app's clock."""
    return state().clock()


def db() -> Session:
    """This request's database session (closed when the request ends)."""
    if "db" not in g:
        g.db = Session(state().engine, expire_on_commit=False)
    return g.db  # type: ignore[no-any-return]


def close_db(_exc: BaseException | None = None) -> None:
    """Close this request's session, if one was opened."""
    session = g.pop("db", None)
    if session is not None:
        session.close()
