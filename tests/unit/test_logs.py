import logging

from phlebo.logs import StripQueryStrings


def test_request_log_lines_lose_query_strings_with_dates_of_birth():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s',
                               ("127.0.0.1", "GET /api/v1/appointments/ABCDEFGHJ?date_of_birth=1961-02-03 HTTP/1.1",
                                "404"), None)
    StripQueryStrings().filter(record)
    line = record.getMessage()
    assert "1961" not in line and "?[removed]" in line and "404" in line
