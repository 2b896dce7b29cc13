"""Bad input is a 4xx and never a 500, before and after the views: the body must be readable
(gunicorn raises from inside the app on an invalid chunked body), a number in a path must be a
possible row id, and text no database can keep (NUL, lone surrogates), refused by the engine
before any statement carries it (shared.db), is a 400 on the pages (the API answers 422 in its
own shape). JSON bodies are checked where they are parsed (api.request_json)."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from gunicorn.http.errors import ParseException  # type: ignore[import-untyped]  # raised reading a broken body
from werkzeug.routing import IntegerConverter

from booking_web.errors import error_page
from booking_web.messages import words
from shared.errors import UnstorableText
from shared.validation import MAX_ID


class RowId(IntegerConverter):
    """`<int:...>` in every route: at most MAX_ID, so /print-jobs/10^30 is a 404 like any other
    id that matches nothing (a bigger number overflowed the database driver: a 500)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def install_request_guard(app: Flask) -> None:
    """Fit RowId as the `int` converter and check each request first. Call before any blueprint
    is registered (their routes take the converter then) and before CSRFProtect (its check reads
    the form: a body that cannot be read must be refused before that)."""
    app.url_map.converters["int"] = RowId
    app.before_request(_check_request)
    app.register_error_handler(UnstorableText, _unstorable)


# Bodies the form parser reads (and CSRFProtect then reads through request.form); any other body
# (the API's JSON) is read whole without building a form parser for nothing.
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _check_request() -> None:
    try:
        # Read the body now (it is at most MAX_CONTENT_LENGTH): a broken one is the client's fault.
        request.get_data(cache=True, parse_form_data=request.mimetype in _FORM_TYPES)
    except (OSError, ParseException):  # gunicorn: NoMoreData; InvalidChunkSize, ChunkMissingTerminator
        abort(400, description="The request body could not be read.")


def _unstorable(error: UnstorableText):  # type: ignore[no-untyped-def]
    return error_page(400, words(error))
