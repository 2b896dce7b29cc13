"""The waiting list: a booked patient asks to hear of an earlier time; offers come by message
with a signed, expiring link, and the first to accept gets the chair."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("waitlist", __name__, url_prefix="/waiting-list")

from booking_web.waitlist import views  # noqa: E402, F401
