"""The waiting-room call screen, /display/<site>: a full-screen page for a TV showing the site's
recent calls (number and chair, never who). The screen is opened once with its display key in
the address (?key=...), which is kept in a cookie for that screen's address only; every request
checks the key again, so revoking it blanks the screen. Updates come as server-sent events;
without them the page fetches the calls every few seconds, and without JavaScript it reloads."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    Response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlmodel import Session

from booking_web.context import db, now, settings, state
from booking_web.services import display
from shared.errors import NotAllowed, NotFound
from shared.timeutil import london_today, to_local

bp = Blueprint("display", __name__)

COOKIE = "phlebo_display"
STREAM_SECONDS = 20.0  # then the browser reconnects (a sync worker is held no longer than this)
POLL_SECONDS = 0.5  # how often an open stream looks for a new call: well inside the 2 s promised
KEEP_ALIVE_SECONDS = 10.0
RETRY_MS = 1000  # how soon the browser reconnects after the stream ends or drops
FALLBACK_SECONDS = 3  # how often the page fetches the calls while events do not arrive


def _checked_key(site_id: int) -> None:
    display.display_key(session=db(), token=request.cookies.get(COOKIE, ""), site_id=site_id)


def _refused(status: int = 403) -> tuple[str, int]:
    return render_template("display/not_set_up.html"), status


def _board_json(board: display.CallBoard) -> dict[str, Any]:
    newest = board.calls[0] if board.calls else None
    return {"version": board.version, "speak": board.speak, "spoken": newest.spoken if newest else "",
            "html": render_template("display/calls.html", board=board)}


@bp.get("/display/<int:site_id>")
def screen(site_id: int):  # type: ignore[no-untyped-def]
    """The call screen; with ?key= it keeps the key for this screen and drops it from the address."""
    token = request.args.get("key", "")[:200]
    if token:
        try:
            display.display_key(session=db(), token=token, site_id=site_id)
        except NotAllowed:
            return _refused()
        response = redirect(url_for("display.screen", site_id=site_id), code=303)
        response.set_cookie(COOKIE, token, max_age=400 * 24 * 3600, path=f"/display/{site_id}",
                            httponly=True, samesite="Strict", secure=settings().environment == "production")
        return response
    try:
        _checked_key(site_id)
        board = display.call_board(session=db(), site_id=site_id, day=london_today(now()))
    except NotAllowed:
        return _refused()
    except NotFound:
        return _refused(404)
    page = render_template("display/screen.html", board=board, clock=to_local(now()),
                           fallback_seconds=FALLBACK_SECONDS)
    return page, 200, {"Cache-Control": "no-store"}


@bp.get("/display/<int:site_id>/calls.json")
def calls_json(site_id: int) -> Response:
    """The calls as the events carry them: the page's fallback while events do not arrive."""
    try:
        _checked_key(site_id)
        board = display.call_board(session=db(), site_id=site_id, day=london_today(now()))
    except (NotAllowed, NotFound):
        return Response('{"error": "not set up"}', status=403, mimetype="application/json")
    response = Response(json.dumps(_board_json(board)), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/display/<int:site_id>/events")
def events(site_id: int) -> Response:
    """Server-sent events: the calls now (unless the browser already has them: Last-Event-ID),
    then each change within POLL_SECONDS, for STREAM_SECONDS; the browser then reconnects."""
    try:
        _checked_key(site_id)
    except NotAllowed:
        return Response("not set up\n", status=403, mimetype="text/plain")
    db().close()  # each look below has a session of its own, so it sees the newest calls
    engine, seen = state().engine, request.headers.get("Last-Event-ID", "")

    def stream() -> Iterator[str]:
        nonlocal seen
        yield f"retry: {RETRY_MS}\n\n"
        began = last_sent = time.monotonic()
        while time.monotonic() - began < STREAM_SECONDS:
            with Session(engine) as session:
                board = display.call_board(session=session, site_id=site_id, day=london_today(now()))
            if board.version != seen:
                seen, last_sent = board.version, time.monotonic()
                yield f"id: {board.version}\nevent: calls\ndata: {json.dumps(_board_json(board))}\n\n"
            elif time.monotonic() - last_sent > KEEP_ALIVE_SECONDS:
                last_sent = time.monotonic()
                yield ": still here\n\n"
            time.sleep(POLL_SECONDS)

    return Response(stream_with_context(stream()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
