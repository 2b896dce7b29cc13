"""Sign in and out."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from booking_web.context import db, now
from booking_web.messages import field_words, words
from booking_web.services.staff_auth import sign_in
from booking_web.staff import bp, current_staff, home_endpoint
from shared.errors import NotAllowed, RateLimited


def _home_for(role: str) -> str:
    return url_for(home_endpoint(role))


@bp.route("/sign-in", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """The sign-in form."""
    user = current_staff()
    if request.method == "GET":
        if user is not None:
            return redirect(_home_for(user.role))
        return render_template("staff/login.html", errors={}, username="")
    username = (request.form.get("username") or "")[:60]
    password = (request.form.get("password") or "")[:200]
    try:
        user = sign_in(
            session=db(),
            username=username,
            password=password,
            address=request.remote_addr or "unknown",
            now=now(),
        )
    except RateLimited as exc:
        return render_template(
            "staff/login.html", errors={"_limit": words(exc)}, username=username
        ), 429
    except NotAllowed as exc:
        errors = field_words(exc)
        return render_template("staff/login.html", errors=errors, username=username), 200
    session.clear()  # a fresh session on sign-in
    session["staff_id"] = user.id
    target = request.args.get("next", "")
    # Only our own staff pages: never an address elsewhere.
    if not (target.startswith("/staff/") and not target.startswith("//")):
        target = _home_for(user.role)
    return redirect(target)


@bp.post("/sign-out")
def logout() -> Response:
    """Forget the signed-in member of staff."""
    session.clear()
    return redirect(url_for("staff.login"))
