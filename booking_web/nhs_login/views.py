"""Sign in with NHS login and come back, sign out, and the signed-in patient's blood tests."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from booking_web.context import db, now, settings
from booking_web.nhs_login import SESSION_KEY, bp, current_identity, enabled, provider
from booking_web.nhs_login.claims import identity_from_claims
from booking_web.public.invitation import start_signed_in
from booking_web.public.journey import client_ip, remember_booking
from booking_web.services import nhs_login as sessions
from booking_web.services import ratelimit
from booking_web.services.your_blood_tests import blood_tests_for, own_appointment, own_open_request
from shared.errors import NotFound, RateLimited

if TYPE_CHECKING:
    from booking_web.nhs_login.client import Provider

log = logging.getLogger(__name__)
PURPOSES = ("book", "manage")  # where the patient was going when they chose NHS login


def _provider() -> Provider:
    if not enabled():
        abort(404)
    return provider()


def _redirect_uri() -> str:
    # From the configured public address, never the request's Host header: NHS login only
    # accepts the registered address, and a forged Host must not choose where codes go.
    return settings().public_url + url_for("nhs_login.callback")


def _problem(reason: str, status: int, purpose: str = "book") -> tuple[str, int]:
    return render_template("nhs_login/problem.html", reason=reason, purpose=purpose,
                           back_url=None), status


@bp.get("/nhs-login/start/<purpose>")
def start(purpose: str) -> Response | tuple[str, int]:
    """Leave for NHS login with a new state, nonce and PKCE verifier (kept on the server)."""
    from booking_web.nhs_login.client import NhsLoginError  # loaded by _provider() anyway

    provider = _provider()
    if purpose not in PURPOSES:
        abort(404)
    try:
        ratelimit.limit_nhs_login_start(session=db(), now=now(), address=client_ip())
    except RateLimited:
        return _problem("busy", 429, purpose)
    try:
        sign_in = provider.sign_in_request(redirect_uri=_redirect_uri(), now=now())
    except NhsLoginError as exc:
        log.warning("NHS login could not start: %s", exc.detail)
        return _problem("unavailable", 503, purpose)
    sessions.record_sign_in(session=db(), state=sign_in.state, nonce=sign_in.nonce,
                            code_verifier=sign_in.code_verifier, purpose=purpose, now=now())
    # This browser's own state too: a callback carrying a state this browser never sent (a
    # link from someone else's sign-in) is refused even while that state is unused.
    session["nhs_login_state"] = sign_in.state
    return redirect(sign_in.url)


@bp.get("/nhs-login/callback")
def callback() -> Response | tuple[str, int]:
    """Back from NHS login: check the state (once), swap the code for tokens, check them, and
    sign the patient in with a new session (whatever this browser's session held is dropped)."""
    from booking_web.nhs_login.client import NhsLoginError  # loaded by _provider() anyway

    provider = _provider()
    state = request.args.get("state", "")[:200]
    expected = session.pop("nhs_login_state", None)
    if not state or state != expected:
        log.warning("NHS login callback refused: state not sent by this browser")
        return _problem("refused", 400)
    try:
        attempt = sessions.take_sign_in(session=db(), state=state, now=now())
    except sessions.SignInRefused as exc:
        log.warning("NHS login callback refused: state %s", exc.reason)
        return _problem("expired" if exc.reason == "expired" else "refused", 400)
    purpose = attempt.purpose
    error = request.args.get("error", "")
    if error:
        # The patient cancelled, or NHS login would not sign them in (error codes only logged).
        log.info("NHS login answered %s", error[:40])
        return _problem("denied" if error == "access_denied" else "unavailable", 400, purpose)
    code = request.args.get("code", "")[:2000]
    if not code:
        return _problem("refused", 400, purpose)
    try:
        claims = provider.finish_sign_in(code=code, redirect_uri=_redirect_uri(),
                                         code_verifier=attempt.code_verifier,
                                         nonce=attempt.nonce, now=now())
    except NhsLoginError as exc:
        log.warning("NHS login sign-in failed (%s): %s", exc.reason, exc.detail)
        return _problem(exc.reason, 502 if exc.reason == "unavailable" else 403, purpose)
    identity = identity_from_claims(claims)
    secret = sessions.open_session(session=db(), identity=identity, now=now())
    # A new session on sign-in: nothing from before (a journey, an open booking, anything a
    # third party planted in this browser) carries over to the signed-in patient.
    session.clear()
    session[SESSION_KEY] = secret
    if purpose == "manage":
        if identity.level == "P9":
            return redirect(url_for("nhs_login.your_blood_tests"))
        session["nhs_login_notice"] = "manage_needs_p9"
        return redirect(url_for("public.manage_lookup"))
    return redirect(url_for("public.book_start"))


@bp.post("/nhs-login/sign-out")
def sign_out() -> Response:
    """Sign out: the session ends on the server and this browser forgets everything."""
    secret = session.get(SESSION_KEY)
    if secret:
        sessions.end_session(session=db(), secret=secret, now=now())
    session.clear()
    session["nhs_login_signed_out"] = True
    return redirect(url_for("nhs_login.signed_out"))


@bp.get("/nhs-login/signed-out")
def signed_out() -> str:
    """You have signed out."""
    return render_template("nhs_login/signed_out.html", back_url=None,
                           just_now=session.pop("nhs_login_signed_out", False),
                           timed_out=request.args.get("timed_out") == "1")


def _p9_or_redirect() -> Response | None:
    identity = current_identity()
    if identity is None:
        if session.pop("nhs_login_timed_out", None):
            return redirect(url_for("nhs_login.signed_out", timed_out=1))
        return redirect(url_for("public.manage_lookup"))
    if identity.level != "P9":
        session["nhs_login_notice"] = "manage_needs_p9"
        return redirect(url_for("public.manage_lookup"))
    return None


@bp.get("/your-blood-tests")
def your_blood_tests() -> Response | str:
    """The signed-in (P9) patient's bookings, to change or cancel without a reference."""
    _provider()
    blocked = _p9_or_redirect()
    if blocked:
        return blocked
    identity = current_identity()
    assert identity is not None
    tests = blood_tests_for(session=db(), identity=identity, now=now(),
                            secret=settings().secret_key)
    return render_template("nhs_login/your_blood_tests.html", tests=tests, back_url=None)


@bp.get("/your-blood-tests/<reference>")
def open_booking(reference: str) -> Response:
    """Open one of the signed-in patient's bookings on the manage pages (no reference typed)."""
    _provider()
    blocked = _p9_or_redirect()
    if blocked:
        return blocked
    identity = current_identity()
    assert identity is not None and identity.date_of_birth is not None
    try:
        appointment = own_appointment(session=db(), identity=identity, reference=reference[:20])
    except NotFound:
        abort(404)
    remember_booking(appointment.reference, identity.date_of_birth)
    return redirect(url_for("public.manage_booking"))


@bp.get("/your-blood-tests/requests/<number>")
def book_request(number: str) -> Response | tuple[str, int]:
    """Book a test the patient's GP practice asked for, inside its window (no date of birth
    asked: NHS login has checked who they are). Another person's request is a 404."""
    _provider()
    blocked = _p9_or_redirect()
    if blocked:
        return blocked
    identity = current_identity()
    assert identity is not None
    try:
        request_id = own_open_request(session=db(), identity=identity, request_number=number[:20], now=now())
    except NotFound:
        abort(404)
    return start_signed_in(request_id)
