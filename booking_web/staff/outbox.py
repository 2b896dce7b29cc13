"""The outbox page for admins: counts by status, the latest messages to patients, and a resend
button for failed ones."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from booking_web.context import db, now
from booking_web.messages import words
from booking_web.notify.outbox import count_by_status, list_messages, resend_message
from booking_web.staff import actor, bp, role_required
from shared.errors import BookingError
from shared.models import OutboxStatus, Role

admin_only = role_required(Role.ADMIN)


def mask(recipient: str) -> str:
    """Enough of an address for staff to recognise it: '07*******23', 'j***@example.com'."""
    if "@" in recipient:
        name, _, domain = recipient.partition("@")
        return f"{name[:1]}***@{domain}"
    return recipient[:2] + "*" * max(len(recipient) - 4, 0) + recipient[-2:]


@bp.get("/outbox/")
@admin_only
def outbox() -> str:
    """Messages to patients, newest first, optionally of one status."""
    status = request.args.get("status") or None
    if status not in {s.value for s in OutboxStatus}:
        status = None
    rows = list_messages(session=db(), status=status, limit=200)
    counts = count_by_status(session=db())
    db().rollback()
    return render_template(
        "staff/admin/outbox.html", rows=rows, counts=counts, status=status, mask=mask
    )


@bp.post("/outbox/<int:message_id>/resend")
@admin_only
def outbox_resend(message_id: int) -> Response:
    """Send a failed (or skipped) message again."""
    try:
        resend_message(session=db(), message_id=message_id, actor=actor(), now=now())
        flash(f"Message {message_id} will be sent again within a minute.")
    except BookingError as exc:
        flash(words(exc))
    return redirect(url_for("staff.outbox", status="failed"))
