"""Flask's per-request machinery without the work that buys an API request nothing: the signed
cookie session is built only when a request brings a cookie or uses it, and each hook and view
is checked for a coroutine once, not on every request (bench/HISTORY.md item 21)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import CodeType, FunctionType
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class LeanFlask(Flask):
    """Flask, remembering which functions are plain (not coroutines): Flask asked inspect about
    every before/after/teardown hook and the view on each request (a dozen times a request)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain_code: set[CodeType] = set()  # bounded by the program's own `def`s

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """As Flask's; a plain function whose code was found plain before is passed straight on
        (whether a function is a coroutine is a flag of its code object, shared by its closures)."""
        if type(func) is FunctionType and func.__code__ in self._plain_code:
            return func
        if type(func) is FunctionType and not inspect.iscoroutinefunction(func):
            self._plain_code.add(func.__code__)
            return func
        return super().ensure_sync(func)


class LeanCookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session (same cookie, same signing). A request without a Cookie
    header starts with an empty session without building the signer (a serializer a request,
    whose set-up serialised a test value), and an empty session nobody touched is not saved
    (Flask looked up seven cookie settings first to then do nothing)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session for a request with no cookie at all (as Flask would find it)."""
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing for an empty session neither read nor changed (Flask adds no Vary and sets or
        deletes no cookie then either); otherwise as Flask."""
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)
