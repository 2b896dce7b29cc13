"""The patient pages: book, manage, change and cancel (NHS.UK design system, no JavaScript needed)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("public", __name__)


@bp.get("/")
def start():  # type: ignore[no-untyped-def]
    return "Phlebo: book a blood test"
