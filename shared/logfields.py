"""The request id of the work in hand, for every log line written meanwhile. The web layer sets
it for each request; the log formatter (phlebo.logs) reads it without knowing about Flask."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("phlebo_request_id", default=None)
