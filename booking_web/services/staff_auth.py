"""Staff sign-in with rate limits per username and per address, and the signed-in user."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from booking_web.services import ratelimit
from booking_web.services.accounts import authenticate
from shared.errors import NotAllowed
from shared.models import StaffUser

LOGIN_WINDOW = dt.timedelta(minutes=15)
LOGIN_LIMIT_PER_USER = 5
LOGIN_LIMIT_PER_ADDRESS = 20


def sign_in(
    *, session: Session, username: str, password: str, address: str, now: dt.datetime
) -> StaffUser:
    """The staff user for these credentials; NotAllowed if wrong, RateLimited after too many tries
    for this username or from this address (counted before the password is checked)."""
    ratelimit.hit(
        session=session,
        key=f"login:addr:{address}",
        limit=LOGIN_LIMIT_PER_ADDRESS,
        window=LOGIN_WINDOW,
        now=now,
    )
    if not username.isprintable() or not password.isprintable():
        username, password = (
            "",
            "",
        )  # NUL and control characters never match (PostgreSQL text refuses NUL)
    ratelimit.hit(
        session=session,
        key=f"login:user:{username.strip().lower()[:60]}",
        limit=LOGIN_LIMIT_PER_USER,
        window=LOGIN_WINDOW,
        now=now,
    )
    user = authenticate(session=session, username=username, password=password)
    if user is None:
        raise NotAllowed(
            "The username or password is not right",
            code="bad_login",
            fields={"username": "Enter a correct username and password"},
        )
    return user


def staff_by_id(*, session: Session, user_id: object) -> StaffUser | None:
    """The active staff user with this id, or None."""
    user = session.get(StaffUser, user_id) if isinstance(user_id, int) else None
    return user if user is not None and user.active else None
