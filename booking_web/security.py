"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, request

# Sent on every answer unless the view set its own (constant: computed once, not per request).
_ALWAYS = (
    ("Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' https://assets.nhs.uk; "
     "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)
_HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
# Pages with a patient's details, and the booking journey (Back must ask the server, so a
# finished journey shows "You have booked", never a stale form), are never stored.
_NOT_STORED = ("/manage", "/staff", "/book", "/waiting-list", "/api/")


def install_security(app: Flask) -> None:
    """Add CSP (no inline script), framing, referrer and HSTS (under TLS) headers."""

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        # One pass over the headers the view set (setdefault scanned them, and raised and caught
        # a KeyError, once for each header it then added).
        given = {name.lower() for name, _value in headers}
        wanted = [*_ALWAYS, _HSTS] if request.is_secure else _ALWAYS
        if request.path.startswith(_NOT_STORED):
            wanted = [*wanted, ("Cache-Control", "no-store")]
        for name, value in wanted:
            if name.lower() not in given:  # a few short ASCII names: cheaper than a lookup table
                headers.add(name, value)
        return response
