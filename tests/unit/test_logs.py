import io
import json
import logging

import pytest

from phlebo import logs
from phlebo.logs import StripQueryStrings


def test_request_log_lines_lose_query_strings_with_dates_of_birth():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s',
                               ("127.0.0.1", "GET /api/v1/appointments/ABCDEFGHJ?date_of_birth=1961-02-03 HTTP/1.1",
                                "404"), None)
    StripQueryStrings().filter(record)
    line = record.getMessage()
    assert "1961" not in line and "?[removed]" in line and "404" in line


@pytest.fixture(autouse=True)
def _root_logger_restored():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_lines_off_a_terminal_and_plain_text_on_one():
    piped, terminal = io.StringIO(), _Terminal()
    try:
        logs.configure({}, stream=piped, force=True)
        logging.getLogger("phlebo.test").warning("printer %s is %s", "P1", "offline")
        logs.configure({}, stream=terminal, force=True)
        logging.getLogger("phlebo.test").warning("printer %s is %s", "P1", "offline")
        logs.configure({"PHLEBO_LOG_FORMAT": "json"}, stream=terminal, force=True)
        logging.getLogger("phlebo.test").info("forced", extra={"job": "send_outbox"})
    finally:
        logging.getLogger().handlers.clear()  # before the streams go
    event = json.loads(piped.getvalue())
    assert event["level"] == "WARNING" and event["logger"] == "phlebo.test"
    assert event["message"] == "printer P1 is offline" and event["time"].endswith("Z")
    assert "request_id" not in event  # not in a request
    plain, forced = terminal.getvalue().splitlines()
    assert plain.endswith("WARNING phlebo.test: printer P1 is offline")
    assert json.loads(forced)["job"] == "send_outbox"


def test_a_traceback_stays_inside_its_one_json_line():
    stream = io.StringIO()
    try:
        logs.configure({"PHLEBO_LOG_FORMAT": "json"}, stream=stream, force=True)
        try:
            raise ValueError("bad\nthing")
        except ValueError:
            logging.getLogger("phlebo.test").exception("it failed")
    finally:
        logging.getLogger().handlers.clear()  # before the streams go
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert "ValueError: bad\nthing" in json.loads(lines[0])["exception"]
