"""A request id for every request (the caller's X-Request-ID when it is a plain token, else a
new one; sent back in the answer), one access-log line per request, and request metrics."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from booking_web.metrics.events import request_answered
from shared import logfields

access_log = logging.getLogger("phlebo.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
UNMATCHED = "(unmatched)"  # a 404 with no route: the path itself is never a label


def route_of() -> str:
    """The matched URL rule (e.g. /manage/<ref>), not the path that was asked for."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def install_request_hooks(app: Flask) -> None:
    """Register the before/after/teardown hooks on the app."""

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        g.request_id_token = logfields.request_id.set(g.request_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        started = g.get("request_started")
        if started is None:  # a before_request hook ahead of ours answered
            return response
        seconds = time.perf_counter() - started
        route = route_of()
        response.headers["X-Request-ID"] = g.request_id
        request_answered(method=request.method, route=route, status=response.status_code,
                         seconds=seconds)
        access_log.info(
            "%s %s %s %.1f ms", request.method, route, response.status_code, seconds * 1000,
            extra={"method": request.method, "route": route, "status": response.status_code,
                   "duration_ms": round(seconds * 1000, 1)},
        )
        return response

    @app.teardown_request
    def _forget(_exc: BaseException | None = None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            try:
                logfields.request_id.reset(token)
            except ValueError:  # torn down in another context (a streamed answer)
                logfields.request_id.set(None)
