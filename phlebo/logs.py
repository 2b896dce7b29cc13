"""Logging for every `phlebo` process: JSON lines (one event a line) for log collectors, or
plain text when a person is watching a terminal; and never patient data. Request lines lose
their query strings (which can carry a date of birth) before any handler sees them, and the
site's own access line names the route (/manage/<ref>), never the address asked for."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
from typing import TextIO

from shared import logfields

_QUERY = re.compile(r"\?[^\s\"]*")
# What a record may carry beyond its message (set with `extra=` by the site and the scheduler).
EXTRA_FIELDS = ("method", "route", "status", "duration_ms", "job")
FORMATS = ("auto", "json", "text")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class StripQueryStrings(logging.Filter):
    """Replace '?...' in a record's rendered message with '?[removed]'."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg, record.args = _QUERY.sub("?[removed]", message), ()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the request id
    when there is one, the fields in EXTRA_FIELDS that the record has, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        event: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = logfields.request_id.get()
        if request_id:
            event["request_id"] = request_id
        for name in EXTRA_FIELDS:
            if hasattr(record, name):
                event[name] = getattr(record, name)
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            event["stack"] = self.formatStack(record.stack_info)
        return json.dumps(event, default=str, ensure_ascii=False)


def wants_json(log_format: str, stream: TextIO) -> bool:
    """JSON unless the format says text, or says auto and the stream is a terminal."""
    if log_format == "auto":
        return not (hasattr(stream, "isatty") and stream.isatty())
    return log_format == "json"


def configure(env: dict[str, str] | None = None, *, stream: TextIO | None = None,
              force: bool = False) -> None:
    """Send every logger's records to standard error (or `stream`) in the chosen format:
    PHLEBO_LOG_FORMAT auto (JSON unless a terminal) / json / text, at PHLEBO_LOG_LEVEL (INFO).
    A bad value falls back to the default here; `phlebo check-config` reports it. Logging
    already set up by whoever runs us (a test runner, an embedding program) is left alone
    unless `force`."""
    root = logging.getLogger()
    install()
    if root.handlers and not force:
        return
    env = dict(os.environ if env is None else env)
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(env, stream))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level(env))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin


def formatter(env: dict[str, str] | None = None, stream: TextIO | None = None) -> logging.Formatter:
    """The formatter PHLEBO_LOG_FORMAT asks for, for records written to `stream` (stderr)."""
    env = dict(os.environ if env is None else env)
    log_format = env.get("PHLEBO_LOG_FORMAT", "auto").strip().lower()
    if wants_json(log_format if log_format in FORMATS else "auto", stream or sys.stderr):
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)


def level(env: dict[str, str] | None = None) -> str:
    """PHLEBO_LOG_LEVEL, or INFO."""
    env = dict(os.environ if env is None else env)
    wanted = env.get("PHLEBO_LOG_LEVEL", "INFO").strip().upper()
    return wanted if wanted in LEVELS else "INFO"


def install() -> None:
    """Attach the filter to the web servers' request loggers."""
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, StripQueryStrings) for f in logger.filters):
            logger.addFilter(StripQueryStrings())
