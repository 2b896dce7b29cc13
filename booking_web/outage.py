"""When the database cannot be reached or written (stopped, restarting, disk full, read-only, every
connection busy), answer 503 with Retry-After instead of a 500: the usual JSON error shape for the
API (a client may send the same request again: with its Idempotency-Key that is always safe) and
a kind "try again in a minute" page for people."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy import exc

from booking_web.booking_line import booking_line
from booking_web.context import settings

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# What the database drivers raise when the server is away or refuses to write: connection refused
# or lost, "database or disk is full", "attempt to write a readonly database", "database is
# locked" past the busy timeout, shutdown in progress; and the pool's own wait running out.
OUTAGES = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
STAFF_TITLE = "The database cannot be reached"
STAFF_TEXT = "The service cannot reach its database just now. Try again in a minute."
MESSAGE = ("The service cannot reach its database at the moment. Try again in a minute, with the "
           "same Idempotency-Key: a request that did go through is then not done twice.")


def install_outage_pages(app: Flask) -> None:
    """Answer every database outage with a 503 (see the module docstring)."""
    for kind in OUTAGES:
        app.register_error_handler(kind, _unavailable)


def _unavailable(error: Exception) -> tuple[Response | str, int, dict[str, str]]:
    cause = getattr(error, "orig", None) or error
    # The class and the driver's first line only: statements and parameters stay out of logs.
    log.warning("database unavailable (%s): %s", type(cause).__name__, str(cause).splitlines()[0][:200]
                if str(cause) else "")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if request.path.startswith("/api/"):
        body = {"error": "unavailable", "message": MESSAGE, "fields": {}}
        return jsonify(body), 503, headers
    if request.path.startswith("/staff"):  # staff pages look like staff pages (no menu: no database)
        page = render_template("staff/error.html", staff_user=None, status=503, title=STAFF_TITLE,
                               text=STAFF_TEXT)
        return page, 503, headers
    page = render_template("unavailable.html", booking_line=booking_line(settings()))
    return page, 503, headers
