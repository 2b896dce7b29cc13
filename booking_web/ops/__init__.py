"""What the platform team needs from the site: /healthz, /readyz, /metrics, a request id on
every request and one access-log line for each (route, status, duration: never the address
itself, which can carry a booking reference)."""

from __future__ import annotations

from flask import Flask

from booking_web.metrics.events import metrics
from booking_web.ops.requests import install_request_hooks
from booking_web.ops.views import bp


def install_ops(app: Flask) -> None:
    """Add the endpoints and the per-request hooks; make the metrics (so every series shows)."""
    metrics()
    app.register_blueprint(bp)
    install_request_hooks(app)
