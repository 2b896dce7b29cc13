"""Staff sign-in with rate limits per username and per address, and the signed-in user."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from booking_web.services import ratelimit
from booking_web.services.accounts import authenticate
from shared.errors import NotAllowed, problem
from shared.models import StaffUser


def sign_in(
    *, session: Session, username: str, password: str, address: str, now: dt.datetime
) -> StaffUser:
    """The staff user for these credentials; NotAllowed if wrong, RateLimited after too many tries
    for this username or from this address (counted before the password is checked)."""
    if not username.isprintable() or not password.isprintable():
        username, password = (
            "",
            "",
        )  # NUL and control characters never match (PostgreSQL text refuses NUL)
    ratelimit.limit_sign_in(session=session, now=now, address=address, username=username)
    user = authenticate(session=session, username=username, password=password)
    if user is None:
        raise NotAllowed("bad_login", code="bad_login", fields={"username": problem("login_check")})
    return user


def staff_by_id(*, session: Session, user_id: object) -> StaffUser | None:
    """The active staff user with this id, or None."""
    user = session.get(StaffUser, user_id) if isinstance(user_id, int) else None
    return user if user is not None and user.active else None
