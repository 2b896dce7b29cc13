"""Every error page wears the site's layout: a patient meets the patient pages' look, staff meet
the staff pages', partner systems and kiosks get the API's JSON shape. Never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, render_template, request, template_rendered
from werkzeug.exceptions import HTTPException, InternalServerError

from booking_web.context import db

log = logging.getLogger(__name__)

# What each status says to a person, in the NHS.UK service manual's words where it has them.
_PAGES = {
    400: (
        "Sorry, there is a problem with that",
        "The page could not use what was sent. Go back and try again.",
    ),
    403: ("You cannot see this page", "You do not have permission to see this page."),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. If you pasted "
        "the web address, check you copied the entire address.",
    ),
    405: (
        "Sorry, that did not work",
        "That page cannot be used in that way. Go back and try again.",
    ),
    413: ("Sorry, that was too much", "What was sent was too large. Go back and try again."),
    500: ("Sorry, there is a problem with the service", "Try again later."),
}


def _area() -> str:
    """Whose pages the address belongs to."""
    path = request.path
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/fhir/"):
        return "fhir"
    if path.startswith("/staff"):
        return "staff"
    return "public"


def error_page(status: int, description: str | None = None):  # type: ignore[no-untyped-def]
    """The error answer for this request's part of the site."""
    title, text = _PAGES.get(status, _PAGES[500] if status >= 500 else _PAGES[400])
    area = _area()
    if area == "fhir":
        from booking_web.fhir import outcome

        return outcome(status, "not-found" if status == 404 else "exception" if status >= 500 else "processing",
                       description or title)
    if area == "api":
        from booking_web.api import error_response

        code = title.lower().replace(" ", "_") if status != 404 else "not_found"
        return error_response(code, description or title, status)
    context = {"title": title, "text": text, "status": status}
    if area == "staff":
        from booking_web.staff import current_staff

        staff_user = None
        if status < 500:  # after a fault the database may be what failed: no menu then
            try:
                staff_user = current_staff()
            except Exception:  # noqa: BLE001 - an error page must not fail
                log.exception("could not read the signed-in staff member for an error page")
        return render_template("staff/error.html", staff_user=staff_user, **context), status
    return render_template("public/error.html", **context), status


def _note_form_errors(_app: Flask, template: Any, context: dict[str, Any], **_extra: Any) -> None:
    if context.get("errors"):
        g.form_errors_shown = True


def install_error_pages(app: Flask) -> None:
    """Answer every HTTP error and every fault with the page for its part of the site."""

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):  # type: ignore[no-untyped-def]
        if isinstance(error, InternalServerError):
            return _fault(error)
        return error_page(error.code or 500, error.description)

    @app.errorhandler(Exception)
    def _fault(error: Exception):  # type: ignore[no-untyped-def]
        original = getattr(error, "original_exception", None) or error
        # The message is logged; SQL parameters never are (see shared.db.make_engine).
        log.error("fault answering %s %s", request.method, request.path, exc_info=original)
        try:
            db().rollback()
        except Exception:  # noqa: BLE001 - the session may be what failed
            log.exception("rollback after a fault failed")
        return error_page(500)

    # A form sent back with its problems answers 400 (Bad Request), whichever page it is: the
    # rule holds for every form, present and future, without each view remembering it.
    template_rendered.connect(_note_form_errors, app)

    @app.after_request
    def _form_errors_status(response: Response) -> Response:
        if request.method == "POST" and response.status_code == 200 and g.get("form_errors_shown"):
            response.status_code = 400
        return response
