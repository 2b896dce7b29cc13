"""Logging without patient data: request lines lose their query strings (which can carry a
date of birth) before any handler sees them."""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"\?[^\s\"]*")


class StripQueryStrings(logging.Filter):
    """Replace '?...' in a record's rendered message with '?[removed]'."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg, record.args = _QUERY.sub("?[removed]", message), ()
        return True


def install() -> None:
    """Attach the filter to the web servers' request loggers."""
    for name in ("werkzeug", "gunicorn.access"):
        logging.getLogger(name).addFilter(StripQueryStrings())
