"""The requester's area: their organisation's requests (filtered by status and date, each with
every step), one request in full, and cancelling one. Another organisation's request is a 404.
The new-request journey is in request_journey.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from booking_web.context import db, now
from booking_web.messages import field_words, words
from booking_web.services.lab_requests import Scope, cancel_request
from booking_web.services.request_reading import get_request, list_requests
from booking_web.staff import actor, bp, current_staff, role_required
from shared.errors import BookingError
from shared.models import FINAL_REQUEST_STATUSES, RequestStatus, Role
from shared.timeutil import london_today, to_local
from shared.validation import parse_date_parts

requester_only = role_required(Role.REQUESTER)


def requester_scope() -> Scope:
    """The signed-in requester's organisation: the only requests they may see."""
    user = current_staff()
    if user is None or user.organisation_id is None:
        abort(403)
    return Scope(organisation_id=user.organisation_id)


def _date_filter(prefix: str, errors: dict[str, str]) -> tuple[dt.date | None, dict[str, str]]:
    values = {p: (request.args.get(f"{prefix}-{p}") or "")[:10] for p in ("day", "month", "year")}
    if not any(v.strip() for v in values.values()):
        return None, values
    day, error = parse_date_parts(values["day"], values["month"], values["year"], today=london_today(now()),
                                  which=prefix, future=True)
    if error:
        errors[f"{prefix}-day"] = words(error)
    return day, values


@bp.get("/requests")
@requester_only
def requests_list() -> str:
    """The organisation's requests, newest first, with every step."""
    scope = requester_scope()
    errors: dict[str, str] = {}
    status = request.args.get("status", "")
    if status and status not in {s.value for s in RequestStatus}:
        errors["status"] = "Choose a status from the list"
        status = ""
    created_from, from_values = _date_filter("from", errors)
    created_to, to_values = _date_filter("to", errors)
    try:
        page_number = max(int(request.args.get("page", "1")), 1)
    except ValueError:
        page_number = 1
    page = list_requests(session=db(), scope=scope, status=status or None, created_from=created_from,
                         created_to=created_to, page=min(page_number, 10_000), actor=actor(), now=now())
    return render_template("staff/requests/list.html", page=page, errors=errors, status=status,
                           from_values=from_values, to_values=to_values, local=to_local,
                           filters=_filters(status, from_values, to_values))


def _filters(status: str, from_values: dict[str, str], to_values: dict[str, str]) -> dict[str, Any]:
    """The query string that keeps the filters across pages."""
    found: dict[str, Any] = {"status": status} if status else {}
    for prefix, values in (("from", from_values), ("to", to_values)):
        found.update({f"{prefix}-{k}": v for k, v in values.items() if v})
    return found


def _detail_page(number: str, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    view = get_request(session=db(), request_number=number, scope=requester_scope(), actor=actor(), now=now())
    return render_template(
        "staff/requests/detail.html", view=view, errors=errors or {}, local=to_local,
        can_cancel=view.status not in FINAL_REQUEST_STATUSES and view.status != RequestStatus.CHECKED_IN,
        form=request.form,
    ), status


@bp.get("/requests/<number>")
@requester_only
def request_detail(number: str) -> tuple[str, int]:
    """One request with every step, its booking, its tubes and the messages to the patient."""
    try:
        return _detail_page(number)
    except BookingError:
        abort(404)


@bp.post("/requests/<number>/cancel")
@requester_only
def request_cancel(number: str) -> Response | tuple[str, int]:
    """Cancel a request, with the reason (the patient is told)."""
    try:
        cancel_request(session=db(), request_number=number, scope=requester_scope(),
                       reason=(request.form.get("reason") or "")[:400], actor=actor(), now=now())
    except BookingError as exc:
        if exc.code == "not_found":
            abort(404)
        db().rollback()
        return _detail_page(number, field_words(exc) or {"_error": words(exc)}, status=400)
    flash(f"Request {number.strip().upper()} cancelled. The patient has been told.")
    return redirect(url_for("staff.request_detail", number=number.strip().upper()))
