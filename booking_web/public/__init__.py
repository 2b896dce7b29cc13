"""The patient pages: book, manage, change and cancel (NHS.UK design system, no JavaScript)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from booking_web.booking_line import booking_line
from booking_web.context import settings

bp = Blueprint("public", __name__)


@bp.app_context_processor
def _booking_line() -> dict[str, Any]:
    """The booking line on every page (the footer, and wherever a page says to call)."""
    return {"booking_line": booking_line(settings())}


@bp.get("/")
def start() -> str:
    """The start page: what you need, how long it takes, and the way in to book or manage."""
    return render_template("public/start.html", back_url=None)


# The views register themselves on `bp`; imported last because they import `bp`.
from booking_web.public import book, documents, invitation, manage  # noqa: E402, F401
