"""The per-request machinery made cheaper (booking_web/lean.py, security.py) still does what it
did: security headers on every answer (a view's own kept), no cookie or Vary: Cookie for a
request that neither brings nor uses a session, a session cookie signed by Flask's own session
code still read (and a forged one not), and async views still refused or wrapped by Flask."""

from __future__ import annotations

import asyncio
import re

import pytest
from flask.sessions import SecureCookieSessionInterface

from tests.factories import make_partner_key

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' "
       "https://assets.nhs.uk; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")


def _html_lang(resp) -> str:
    found = re.search(r'<html lang="([^"]+)"', resp.get_data(as_text=True))
    assert found, resp.get_data(as_text=True)[:200]
    return found.group(1)


def test_an_api_answer_has_every_security_header_and_no_cookie(client, session):
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    for resp in (client.get("/api/v1/sites", headers=auth), client.get("/api/v1/sites"),
                 client.get("/api/v1/slots?site_id=x", headers=auth)):
        assert resp.status_code in (200, 401, 422)
        assert resp.headers["Content-Security-Policy"] == CSP
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in resp.headers  # plain HTTP
        assert re.fullmatch(r"[0-9a-f]{32}", resp.headers["X-Request-ID"])
        assert "Set-Cookie" not in resp.headers and "Cookie" not in resp.headers.get("Vary", "")
        for name in ("Content-Security-Policy", "X-Frame-Options", "Cache-Control"):
            assert len(resp.headers.getlist(name)) == 1, name


def test_headers_under_tls_and_a_views_own_are_kept(client):
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    page = client.get("/")  # a patient page: not marked no-store, still framed and typed
    assert page.headers["X-Frame-Options"] == "DENY" and "Cache-Control" not in page.headers
    ready = client.get("/readyz")  # sets its own Cache-Control
    assert ready.headers.getlist("Cache-Control") == ["no-store"]


def test_a_session_cookie_signed_by_flasks_own_session_code_is_read(app, client):
    """A patient's language choice made before this change (Flask's own signed cookie) still holds;
    a cookie signed with another key is ignored (English), and choosing a language still sets one."""
    with app.test_request_context():
        signed = SecureCookieSessionInterface().get_signing_serializer(app)
        assert signed is not None
        cookie = signed.dumps({"lang": "cy"})
    client.set_cookie("session", cookie)
    assert _html_lang(client.get("/")) == "cy"
    client.set_cookie("session", cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB"))
    assert _html_lang(client.get("/")) == "en-GB"
    client.delete_cookie("session")
    chosen = client.get("/?lang=cy")
    assert chosen.status_code == 302 and "session=" in chosen.headers["Set-Cookie"]
    assert "Cookie" in chosen.headers["Vary"]
    assert _html_lang(client.get("/")) == "cy"


def test_plain_functions_pass_straight_through_and_coroutines_still_go_to_flask(app):
    def make_hook():
        def hook() -> None:
            return None
        return hook

    first, second = make_hook(), make_hook()  # two closures, one code object
    assert app.ensure_sync(first) is first and app.ensure_sync(second) is second

    async def later() -> str:
        await asyncio.sleep(0)
        return "done"

    try:
        wrapped = app.ensure_sync(later)
    except RuntimeError as refused:  # Flask without its async extra refuses, as before
        assert "async" in str(refused).lower()
    else:
        assert wrapped is not later and wrapped() == "done"


@pytest.mark.parametrize("path", ["/api/v1/sites", "/"])
def test_the_request_id_given_is_sent_back(client, path):
    resp = client.get(path, headers={"X-Request-ID": "partner-42.a_b"})
    assert resp.headers["X-Request-ID"] == "partner-42.a_b"
