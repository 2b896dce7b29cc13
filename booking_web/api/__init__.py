"""The JSON API: bearer keys, one error shape {"error", "message", "fields", "problem", "params"},
never a 500 for bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import HTTPException

from booking_web.context import db, now
from booking_web.messages import field_words, words
from booking_web.services.accounts import KeyProof, key_for_token, seen_key
from booking_web.services.idempotency import (
    AnsweredBefore,
    Once,
    Render,
    api_scope,
    check_key,
    earlier_answer,
    fingerprint,
)
from shared.errors import (
    BookingError,
    NotAllowed,
    NotFound,
    Problem,
    RateLimited,
    RuleViolation,
    SlotFull,
    ValidationFailed,
    problem,
)
from shared.models import KeyKind
from shared.timeutil import iso_local
from shared.validation import MAX_JSON_DEPTH, json_depth_problem

bp = Blueprint("api", __name__)

_STATUS = {NotFound: 404, SlotFull: 409, ValidationFailed: 422, NotAllowed: 403, RateLimited: 429}
# Error codes whose HTTP status differs from their class's; API modules add theirs (kiosk.py).
CODE_STATUS: dict[str, int] = {"unauthorised": 401, "overlapping_booking": 409}


def status_for(error: BookingError) -> int:
    """The HTTP status for a domain error (domain code carries no HTTP codes)."""
    if error.code in CODE_STATUS:
        return CODE_STATUS[error.code]
    for kind, status in _STATUS.items():
        if isinstance(error, kind):
            return status
    return 422


def error_response(code: str, message: str, status: int, fields: dict[str, str] | None = None, **extra: Any):  # type: ignore[no-untyped-def]
    """The one JSON error shape."""
    body = {"error": code, "message": message, "fields": fields or {}}
    body.update(extra)
    return jsonify(body), status


def json_value(value: object) -> object:
    """A problem's value as JSON: instants in ISO 8601 with the UK offset, dates as YYYY-MM-DD,
    clock times as HH:MM, a problem as its code and values."""
    if isinstance(value, dt.datetime):
        return iso_local(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    if isinstance(value, Problem):
        return {"code": value.code, "params": json_params(value.params)}
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return value


def json_params(params: Mapping[str, Any]) -> dict[str, object]:
    """A problem's values as JSON."""
    return {name: json_value(value) for name, value in params.items()}


def booking_error_response(error: BookingError, **extra: Any):  # type: ignore[no-untyped-def]
    """A refusal in the one error shape: `error` (the stable code partners act on), the words
    (`message`, `fields`), and for machines the `problem` code and its `params`, with each
    field's problem in `field_problems`."""
    return error_response(
        error.code, words(error), status_for(error), field_words(error),
        problem=error.problem.code, params=json_params(error.params),
        field_problems={name: json_value(found) for name, found in error.fields.items()},
        **extra,
    )


# Refusals whose values the API has always also given beside the code (kiosk.py adds check-in's).
VALUES_BESIDE_CODE = {"overlapping_booking"}


@bp.errorhandler(BookingError)
def _booking_error(error: BookingError):  # type: ignore[no-untyped-def]
    db().rollback()
    beside = json_params(error.params) if error.code in VALUES_BESIDE_CODE else {}
    return booking_error_response(error, **beside)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
    code = (error.name or "error").lower().replace(" ", "_")
    return error_response(code, error.description or error.name, error.code or 500)


def require_key(*kinds: str, proven_by_view: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow only bearer keys of these kinds; the key is in g.api_key. With `proven_by_view`, a key
    this process has seen before is proven live by the view's first statement (g.key_proof: the
    view hands it to its service, which settles it before it writes anything); whatever the view
    did not prove (it refused early, or read no rows) is proven here before its answer goes out."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _bearer_token()
            proof = seen_key(session=db(), token=token) if proven_by_view else None
            key = proof.key if proof is not None else key_for_token(session=db(), token=token)
            g.key_proof = proof
            if key.kind not in kinds:
                prove_key()  # a revoked key is told so, not that it is of the wrong kind
                raise NotAllowed("key_wrong_kind")
            g.api_key = key
            try:
                response = view(*args, **kwargs)
            except BookingError:
                prove_key()  # a revoked key learns nothing from the view's refusal
                raise
            prove_key()
            return response

        return wrapper

    return decorate


def key_proof() -> KeyProof | None:
    """This request's key, when its view is to prove it live in its first statement (None when it
    was read in a statement of its own)."""
    proof: KeyProof | None = g.get("key_proof")
    return proof if proof is not None and not proof.proven else None


def prove_key() -> None:
    """Make sure this request's key is live (one statement, unless already proven): NotAllowed
    (unauthorised) once it is revoked."""
    proof = key_proof()
    if proof is not None:
        db().rollback()  # whatever the view read or left is not this check's business
        key_for_token(session=db(), token=_bearer_token())
        proof.proven = True


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def request_json() -> object:
    """The request's JSON body, parsed once (None when it is not JSON). ValidationFailed when it is
    nested deeper than any request of ours (a body 1,000 levels deep overflowed the parser's
    stack). Text no database can keep is refused by the engine (shared.db), after the fields'
    own checks have had their say."""
    if "json_body" not in g:
        wrong: Problem | None
        try:
            data = request.get_json(silent=True)
        except RecursionError:
            data, wrong = None, problem("json_too_deep", deepest=MAX_JSON_DEPTH)
        else:
            wrong = json_depth_problem(data)
        if wrong:
            raise ValidationFailed(wrong, fields={"body": wrong}, code="invalid_json")
        g.json_body = data
    return g.json_body


def json_body() -> dict[str, Any]:
    """The request's JSON object, or ValidationFailed."""
    data = request_json()
    if not isinstance(data, dict):
        raise ValidationFailed("body_not_json_object", fields={"body": problem("json_object_expected")})
    return data


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Honour an Idempotency-Key header (services/idempotency.py): the same key and request again
    within 24 hours get the first answer (status and body, marked Idempotent-Replayed), the same
    key with a different request 422. Keys belong to the API key (g.api_key): put this decorator
    under require_key. The view hands `keyed(render)` to its service and answers with `answer`."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        raw = request.headers.get("Idempotency-Key")
        g.once = None
        if raw is None:
            return view(*args, **kwargs)
        g.once = Once(scope=api_scope(g.api_key.id), key=check_key(raw),
                      fingerprint=fingerprint(request.method, request.path, _body_for_fingerprint()))
        try:
            return view(*args, **kwargs)
        except (BookingError, AnsweredBefore) as exc:
            db().rollback()
            prove_key()  # a stored answer goes only to a live key
            earlier = earlier_answer(session=db(), once=g.once, now=now())
            if earlier is None:
                if isinstance(exc, AnsweredBefore):  # taken and gone again within one request
                    raise RuleViolation("request_in_progress", code="conflict") from exc
                raise
            status, body = earlier
            response = jsonify(body)
            response.headers["Idempotent-Replayed"] = "true"
            return response, status

    wrapper.honours_idempotency_key = True  # type: ignore[attr-defined]  # (kept by @wraps above it)
    return wrapper


def _body_for_fingerprint() -> object:
    data = request_json()
    if data is None:  # not JSON: the bytes stand for themselves
        return {"raw": request.get_data(as_text=False).hex()}
    return data


def keyed(render: Render) -> Once | None:
    """This request's idempotency key for its service (None without one); `render` turns the
    service's result into the (status, body) answer that is stored with the effect."""
    once: Once | None = g.get("once")
    if once is not None:
        once.render = render
    return once


def answer(render: Render, result: Any):  # type: ignore[no-untyped-def]
    """The JSON answer for a service's result: the one stored under the key, if there is one."""
    once: Once | None = g.get("once")
    status, body = once.answer if once is not None and once.answer is not None else render(result)
    return jsonify(body), status


PARTNER = KeyKind.PARTNER

from booking_web.api import appointments, kiosk, requests  # noqa: E402,F401  (registers the routes)
