"""Staff pages: sign in, set up sites, clinics and the test catalogue, close days, run today's
queue with label status and reprints, and read the audit log."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from booking_web.context import db
from booking_web.services.staff_audit import Actor
from booking_web.services.staff_auth import staff_by_id
from shared.locales import LANGUAGES
from shared.models import Role, StaffUser

bp = Blueprint("staff", __name__)


def current_staff() -> StaffUser | None:
    """The signed-in member of staff, or None."""
    if "staff" not in g:
        g.staff = staff_by_id(session=db(), user_id=session.get("staff_id"))
    return g.staff  # type: ignore[no-any-return]


def actor() -> Actor:
    """The signed-in member of staff, as the audit log records them."""
    user = current_staff()
    assert user is not None
    return Actor(user.id, user.username, user.display_name)


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Only signed-in staff with these roles; others go to sign in, or are refused (403)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_staff()
            if user is None:
                return redirect(url_for("staff.login", next=request.path))
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


ANY_STAFF = (Role.ADMIN, Role.PHLEBOTOMIST)


def home_endpoint(role: str) -> str:
    """Where a member of staff starts: admins at admin, managers at the reports, requesters at
    their requests."""
    return {Role.ADMIN: "staff.admin_home", Role.MANAGER: "staff.reports",  # type: ignore[call-overload]
            Role.REQUESTER: "staff.requests_list"}.get(role, "staff.today")


# Blueprints whose pages are staff pages (the staff layout, menu and sign-out).
STAFF_BLUEPRINTS = ("staff",)


@bp.app_context_processor
def _staff_context() -> dict[str, Any]:
    return {"staff_user": current_staff() if request.blueprint in STAFF_BLUEPRINTS else None,
            "patient_languages": LANGUAGES}


@bp.errorhandler(403)
def forbidden(_error: Exception):  # type: ignore[no-untyped-def]
    """The staff 403 page."""
    return render_template("staff/forbidden.html"), 403


@bp.errorhandler(404)
def _not_found(_error: Exception):  # type: ignore[no-untyped-def]
    return render_template("staff/not_found.html"), 404


from booking_web.staff import (  # noqa: E402,F401  (registers the routes)
    admin,
    audit,
    auth,
    chairs,
    find_patient,
    organisations,
    outbox,
    reports,
    request_journey,
    requests,
    today,
    walk_ins,
)
