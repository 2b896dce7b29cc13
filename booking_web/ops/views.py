"""/healthz (the process answers), /readyz (it can serve: database, migrations, scheduler,
outbox) and /metrics (Prometheus; a bearer token, or this machine only when none is set)."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, jsonify, request

from booking_web.context import now, settings, state
from booking_web.metrics.exposition import CONTENT_TYPE, scrape
from booking_web.services.readiness import check_readiness

bp = Blueprint("ops", __name__)

LOOPBACK = {"127.0.0.1", "::1"}


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up and answering; touches nothing else."""
    return _no_store(jsonify(status="ok"))


@bp.get("/readyz")
def readyz() -> Response:
    """200 when every readiness check passes, else 503; each check says why."""
    checks = check_readiness(engine=state().engine, settings=settings(), now=now())
    ready = all(c.ok for c in checks)
    body: dict[str, Any] = {
        "status": "ready" if ready else "not ready",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
    }
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    return _no_store(response)


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus metrics, for the holder of PHLEBO_METRICS_TOKEN (or this machine)."""
    refused = _refuse_scrape()
    if refused is not None:
        return refused
    body = scrape(engine=state().engine, clock=state().clock)
    return _no_store(Response(body, content_type=CONTENT_TYPE))


def _refuse_scrape() -> Response | None:
    token = settings().metrics_token
    if token:
        sent = request.headers.get("Authorization", "")
        scheme, _, given = sent.partition(" ")
        given_bytes = given.strip().encode()
        if scheme.lower() == "bearer" and hmac.compare_digest(given_bytes, token.encode()):
            return None
        answer = Response("A bearer token is needed for /metrics.\n", status=401,
                          content_type="text/plain; charset=utf-8")
        answer.headers["WWW-Authenticate"] = 'Bearer realm="phlebo metrics"'
        return answer
    # No token: this machine only. A request through a reverse proxy on this machine carries
    # X-Forwarded-For, and is refused too (it may come from anywhere).
    if request.remote_addr in LOOPBACK and "X-Forwarded-For" not in request.headers:
        return None
    return Response("/metrics answers this machine only; set PHLEBO_METRICS_TOKEN to scrape "
                    "it from elsewhere.\n", status=403, content_type="text/plain; charset=utf-8")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
