"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, request


def install_security(app: Flask) -> None:
    """Add CSP (no inline script), framing, referrer and HSTS (under TLS) headers."""

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' https://assets.nhs.uk; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages with a patient's details, and the booking journey (Back must ask the server, so
        # a finished journey shows "You have booked", never a stale form), are never stored.
        if request.path.startswith(("/manage", "/staff", "/book", "/waiting-list", "/api/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
