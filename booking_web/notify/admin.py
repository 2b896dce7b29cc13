"""The staff outbox page: counts by status, the latest messages, and a resend button for failed
ones. It has no login of its own: whoever registers it passes the staff pages' admin guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from booking_web.context import db, now
from booking_web.notify.outbox import count_by_status, list_messages, resend_message
from shared.errors import BookingError
from shared.models import OutboxStatus

Guard = Callable[[Callable[..., Any]], Callable[..., Any]]


def mask(recipient: str) -> str:
    """Enough of an address for staff to recognise it: '07*******23', 'j***@example.com'."""
    if "@" in recipient:
        name, _, domain = recipient.partition("@")
        return f"{name[:1]}***@{domain}"
    return recipient[:2] + "*" * max(len(recipient) - 4, 0) + recipient[-2:]


def make_outbox_blueprint(guard: Guard) -> Blueprint:
    """The outbox pages, each view wrapped in `guard` (e.g. role_required('admin'))."""
    bp = Blueprint("admin_outbox", __name__)

    @bp.get("/")
    @guard
    def index() -> str:
        status = request.args.get("status") or None
        if status not in {s.value for s in OutboxStatus}:
            status = None
        rows = list_messages(session=db(), status=status, limit=200)
        counts = count_by_status(session=db())
        db().rollback()
        return render_template(
            "admin_outbox/outbox.html", rows=rows, counts=counts, status=status, mask=mask
        )

    @bp.post("/<int:message_id>/resend")
    @guard
    def resend(message_id: int) -> Response:
        try:
            resend_message(session=db(), message_id=message_id, now=now())
            flash(f"Message {message_id} will be sent again within a minute.")
        except BookingError as exc:
            flash(exc.message)
        return redirect(url_for("admin_outbox.index", status="failed"))

    return bp
