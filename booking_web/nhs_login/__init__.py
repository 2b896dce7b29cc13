"""NHS login for patients: sign in (OpenID Connect), sign out, and "Your blood tests"."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, current_app, g, session

from booking_web.context import db, now, settings
from booking_web.services import nhs_login as sessions
from booking_web.services.nhs_login import Identity

if TYPE_CHECKING:
    from booking_web.nhs_login.client import Provider

bp = Blueprint("nhs_login", __name__)
SESSION_KEY = "nhs_login"  # the signed-in session's secret, in the (signed) session cookie


def install_nhs_login(app: Flask) -> None:
    """Register the pages. The provider is made on first use (nothing is fetched before)."""
    app.extensions["nhs_login"] = {"lock": threading.Lock(), "providers": {}}
    app.register_blueprint(bp)


def provider() -> Provider:
    """The NHS login provider for the current settings (one per app, its metadata cached)."""
    # Imported on first sign-in, not with the site: authlib, joserfc, cryptography and requests
    # are about 10 MiB in each web worker, and most sites never turn NHS login on.
    from booking_web.nhs_login.client import Provider

    config = settings()
    wanted = (config.nhslogin_issuer, config.nhslogin_client_id,
              str(config.nhslogin_private_key_file))
    state = current_app.extensions["nhs_login"]
    with state["lock"]:
        if wanted not in state["providers"]:
            state["providers"][wanted] = Provider(
                config.nhslogin_issuer, client_id=config.nhslogin_client_id,
                private_key_file=config.nhslogin_private_key_file)
        return state["providers"][wanted]  # type: ignore[no-any-return]


def enabled() -> bool:
    """True when patients are offered NHS login."""
    return settings().nhslogin_enabled


def current_identity() -> Identity | None:
    """The patient signed in with NHS login in this browser, or None (read once a request)."""
    if "nhs_login_identity" not in g:
        secret = session.get(SESSION_KEY)
        identity, timed_out = (None, False)
        if secret and enabled():
            identity, timed_out = sessions.signed_in(session=db(), secret=secret, now=now())
        if secret and identity is None:
            session.pop(SESSION_KEY, None)
            if timed_out:
                session["nhs_login_timed_out"] = True
        g.nhs_login_identity = identity
    return g.nhs_login_identity  # type: ignore[no-any-return]


@bp.app_context_processor
def _signed_in() -> dict[str, Any]:
    """Every page's header shows who is signed in, with a way to sign out."""
    return {"nhs_login_enabled": enabled(), "nhs_login_user": current_identity()}


# The views register themselves on `bp`; imported last because they import `bp`.
from booking_web.nhs_login import views  # noqa: E402, F401
