"""A local OpenID Connect provider that behaves like NHS login, for the demo and the tests.

It serves discovery, JWKS, authorize (a page to choose a test user), token and userinfo. As NHS
login does, it accepts only the authorization code flow with PKCE (S256) and a nonce, and only
`private_key_jwt` client authentication (RS512 assertions, checked against the client's public
key, each `jti` once); it signs ID tokens with RS512. Codes last a minute and work once.

Tests can make the next ID token bad in one way (`break_next_id_token`), to prove the client
refuses it. Everything is in memory and lost when it stops. Loopback only: never expose it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, jsonify, render_template_string, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from werkzeug.serving import BaseWSGIServer, make_server

from hardware_sim.nhs_login_users import TEST_USERS, TestUser, user_by_key

ALG = "RS512"  # NHS login signs, and wants client assertions signed, with RS512
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPES = ("openid", "profile", "profile_extended", "email", "phone")
CODE_SECONDS = 60
TOKEN_SECONDS = 300
# Bad ID tokens the tests ask for (one at a time).
FAULTS = ("bad_signature", "other_key", "wrong_issuer", "wrong_audience", "expired",
          "replayed_nonce", "alg_none", "hs256_with_public_key", "no_nonce")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class _Grant:
    """What an authorization code stands for until it is exchanged."""

    user: TestUser
    client_id: str
    redirect_uri: str
    nonce: str
    challenge: str
    scopes: tuple[str, ...]
    vot: str
    auth_time: int
    expires: float
    used: bool = False
    access_tokens: list[str] = field(default_factory=list)


@dataclass
class _Access:
    user: TestUser
    scopes: tuple[str, ...]
    expires: float


class SimNhsLogin:
    """The provider: build it, `start()` it on a loopback port, read `issuer`, `stop()` it."""

    def __init__(self, *, client_id: str, client_public_key: RSAKey,
                 redirect_uris: Iterable[str] = (), port: int = 0,
                 clock: Callable[[], dt.datetime] | None = None,
                 keys: tuple[RSAKey, RSAKey] | None = None):
        self.client_id = client_id
        self.client_key = client_public_key
        self.redirect_uris = tuple(redirect_uris)  # empty: any loopback address
        self.port = port
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        # Its signing key, and one it never publishes (for forged tokens); new each start
        # unless given (tests reuse a pair: RSA key generation is slow).
        self.signing_key, self._other_key = keys or (signing_key(), signing_key())
        self._lock = threading.Lock()
        self._grants: dict[str, _Grant] = {}
        self._access: dict[str, _Access] = {}
        self._jtis: set[str] = set()
        self._fault: str | None = None
        self._last_nonce: str | None = None
        self.token_requests = 0  # how many token requests arrived (tests check a replay)
        self.issued: list[str] = []  # every token handed out (tests look for leaks)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.app = self._build_app()

    # Running

    def start(self) -> SimNhsLogin:
        """Listen on 127.0.0.1 (port 0: any free one) in a background thread."""
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="sim-nhs-login",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def issuer(self) -> str:
        """The issuer identifier (also the base of every endpoint)."""
        return f"http://127.0.0.1:{self.port}"

    def break_next_id_token(self, fault: str) -> None:
        """Make the next ID token bad in one way (one of FAULTS)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        self._fault = fault

    # The endpoints

    def _now(self) -> float:
        return self.clock().timestamp()

    def _build_app(self) -> Flask:
        app = Flask("sim_nhs_login")

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Response:
            return jsonify(self.discovery())

        @app.get("/.well-known/jwks.json")
        def jwks() -> Response:
            return jsonify({"keys": [self.signing_key.as_dict(private=False)]})

        @app.route("/authorize", methods=["GET", "POST"])
        def authorize() -> Any:
            return self._authorize()

        @app.post("/token")
        def token() -> Any:
            return self._token()

        @app.route("/userinfo", methods=["GET", "POST"])
        def userinfo() -> Any:
            return self._userinfo()

        return app

    def discovery(self) -> dict[str, Any]:
        """The OpenID Provider metadata (OpenID Connect Discovery 1.0, section 3)."""
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            # Discovery 1.0 section 3 says RS256 MUST be listed; this client is registered for
            # RS512, which is what every ID token it gets is signed with.
            "id_token_signing_alg_values_supported": [ALG, "RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": [ALG],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["iss", "aud", "sub", "exp", "iat", "auth_time", "nonce", "jti",
                                 "vot", "vtm", "identity_proofing_level", "nhs_number",
                                 "given_name", "family_name", "birthdate", "email",
                                 "email_verified", "phone_number", "phone_number_verified"],
            "vtr_supported": ["P0.Cp.Cd", "P0.Cp.Ck", "P0.Cm", "P5.Cp.Cd", "P5.Cp.Ck", "P5.Cm",
                              "P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"],
        }

    def _redirect_allowed(self, uri: str) -> bool:
        if self.redirect_uris:
            return uri in self.redirect_uris
        parts = urlsplit(uri)
        return parts.scheme in ("http", "https") and parts.hostname in _LOOPBACK

    def _authorize(self) -> Any:
        params = request.values
        client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
        # A bad client or redirect address is never redirected to (RFC 6749 section 4.1.2.1).
        if client_id != self.client_id or not self._redirect_allowed(redirect_uri):
            return _page(_ERROR_PAGE, 400, message="Unknown client_id or redirect_uri.")
        state = params.get("state", "")

        def fail(error: str, description: str) -> Response:
            query = {"error": error, "error_description": description, "state": state}
            return _redirect(redirect_uri, query)

        scopes = tuple(params.get("scope", "").split())
        if params.get("response_type") != "code":
            return fail("unsupported_response_type", "Only the code flow is supported.")
        if "openid" not in scopes or not set(scopes) <= set(SCOPES):
            return fail("invalid_scope", "openid is required; unknown scopes are refused.")
        if not params.get("nonce"):
            return fail("invalid_request", "A nonce is required.")
        if params.get("code_challenge_method") != "S256" or len(
                params.get("code_challenge", "")) != 43:
            return fail("invalid_request", "PKCE with S256 is required.")
        vtr = _vectors(params.get("vtr"))
        if vtr is None:
            return fail("invalid_request", "vtr must be a JSON list of vectors of trust.")
        if request.method == "GET":
            return _page(_SIGN_IN_PAGE, 200, users=TEST_USERS, params=params.to_dict())
        if request.form.get("cancel"):
            return fail("access_denied", "The user cancelled.")
        user = user_by_key(request.form.get("user", ""))
        if user is None:
            return _page(_ERROR_PAGE, 400, message="Choose a test user.")
        vot = next((v for v in vtr if _level(v) <= _level(user.proofing_level)), None)
        if vot is None:
            return fail("access_denied", "The user's identity is not proven to the level asked.")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._grants[code] = _Grant(
                user=user, client_id=client_id, redirect_uri=redirect_uri,
                nonce=params["nonce"], challenge=params["code_challenge"], scopes=scopes, vot=vot,
                auth_time=int(self._now()), expires=self._now() + CODE_SECONDS)
        return _redirect(redirect_uri, {"code": code, "state": state})

    def _token(self) -> Any:
        with self._lock:
            self.token_requests += 1
        form = request.form
        problem = self._client_problem(form)
        if problem:
            return _token_error("invalid_client", problem, 401)
        if form.get("grant_type") != "authorization_code":
            return _token_error("unsupported_grant_type", "Only authorization_code.")
        with self._lock:
            grant = self._grants.get(form.get("code", ""))
            if grant is not None and grant.used:
                # A code used twice: refuse, and revoke what it gave (RFC 6749 section 4.1.2).
                for token in grant.access_tokens:
                    self._access.pop(token, None)
                return _token_error("invalid_grant", "The code was already used.")
            if grant is None or grant.expires < self._now():
                return _token_error("invalid_grant", "Unknown or expired code.")
            grant.used = True
        if grant.redirect_uri != form.get("redirect_uri"):
            return _token_error("invalid_grant", "redirect_uri differs from the authorize one.")
        verifier = form.get("code_verifier", "")
        if not 43 <= len(verifier) <= 128 or _s256(verifier) != grant.challenge:
            return _token_error("invalid_grant", "PKCE code_verifier does not match.")
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self._access[access_token] = _Access(grant.user, grant.scopes,
                                                 self._now() + TOKEN_SECONDS)
            grant.access_tokens.append(access_token)
        id_token = self._id_token(grant)
        self.issued += [access_token, id_token]
        body = {"access_token": access_token, "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS, "scope": " ".join(grant.scopes),
                "id_token": id_token}
        response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
        return response

    def _client_problem(self, form: Any) -> str | None:
        """Why the private_key_jwt client assertion is not good (RFC 7523 section 3), or None."""
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return "client_assertion_type must be jwt-bearer (private_key_jwt)."
        if form.get("client_id") not in (None, self.client_id):
            return "Unknown client."
        try:
            token = jwt.decode(form.get("client_assertion", ""), self.client_key,
                               algorithms=[ALG])
            jwt.JWTClaimsRegistry(
                now=int(self._now()), leeway=30,
                iss={"essential": True, "value": self.client_id},
                sub={"essential": True, "value": self.client_id},
                aud={"essential": True, "value": f"{self.issuer}/token"},
                exp={"essential": True}, jti={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError) as exc:
            return f"client_assertion refused: {exc}"
        if token.claims["exp"] - self._now() > 600:
            return "client_assertion must expire within 10 minutes."
        with self._lock:
            if token.claims["jti"] in self._jtis:
                return "client_assertion jti was used before."
            self._jtis.add(token.claims["jti"])
        return None

    def _id_token(self, grant: _Grant) -> str:
        now = int(self._now())
        user = grant.user
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": grant.client_id, "sub": user.sub, "iat": now,
            "exp": now + TOKEN_SECONDS, "auth_time": grant.auth_time, "nonce": grant.nonce,
            "jti": secrets.token_urlsafe(16), "vot": grant.vot,
            "vtm": f"{self.issuer}/trustmark/{urlsplit(self.issuer).netloc}",
            "identity_proofing_level": user.proofing_level,
        }
        if "profile" in grant.scopes and _level(user.proofing_level) >= 5:
            claims.update(nhs_number=user.nhs_number, family_name=user.family_name,
                          birthdate=user.birthdate)
        fault, self._fault = self._fault, None
        header = {"alg": ALG, "kid": self.signing_key.kid, "typ": "JWT"}
        key = self.signing_key
        if fault == "wrong_issuer":
            claims["iss"] = "https://auth.example.invalid"
        elif fault == "wrong_audience":
            claims["aud"] = "another-service"
        elif fault == "expired":
            claims["iat"], claims["exp"] = now - 2 * TOKEN_SECONDS, now - TOKEN_SECONDS
        elif fault == "replayed_nonce":
            claims["nonce"] = self._last_nonce or "a-nonce-from-an-earlier-sign-in"
        elif fault == "no_nonce":
            del claims["nonce"]
        elif fault == "other_key":
            key = self._other_key  # a key the JWKS never published, under the published kid
        self._last_nonce = grant.nonce
        token = jwt.encode(header, claims, key, algorithms=[ALG])
        if fault == "bad_signature":
            head, body, sig = token.split(".")
            tampered = dict(claims, nhs_number="9999800041")  # someone else's NHS number
            token = ".".join((head, _b64(json.dumps(tampered).encode()), sig))
        elif fault == "alg_none":
            token = ".".join((_b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()),
                              _b64(json.dumps(claims).encode()), ""))
        elif fault == "hs256_with_public_key":
            # The classic confusion: an HMAC keyed with the published RSA public key.
            head = _b64(json.dumps({"alg": "HS256", "kid": self.signing_key.kid}).encode())
            body = _b64(json.dumps(claims).encode())
            public = self.signing_key.as_pem(private=False)
            mac = hmac.new(public, f"{head}.{body}".encode(), hashlib.sha256).digest()
            token = f"{head}.{body}.{_b64(mac)}"
        return token

    def _userinfo(self) -> Any:
        auth = request.headers.get("Authorization", "")
        with self._lock:
            access = self._access.get(auth[7:]) if auth.startswith("Bearer ") else None
        if access is None or access.expires < self._now():
            response = jsonify({"error": "invalid_token"})
            response.status_code = 401
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        user, scopes = access.user, access.scopes
        claims: dict[str, Any] = {"sub": user.sub}
        if "profile" in scopes and _level(user.proofing_level) >= 5:
            claims.update(nhs_number=user.nhs_number, family_name=user.family_name,
                          birthdate=user.birthdate, identity_proofing_level=user.proofing_level)
        if "profile_extended" in scopes and _level(user.proofing_level) >= 5:
            claims["given_name"] = user.given_name
        if "email" in scopes:
            claims.update(email=user.email, email_verified=True)
        if "phone" in scopes:
            claims.update(phone_number=user.phone_number, phone_number_verified=True)
        return jsonify(claims)


def signing_key() -> RSAKey:
    """A new RSA key for signing ID tokens, with its key id."""
    return RSAKey.generate_key(2048, parameters={"alg": ALG, "use": "sig"}, auto_kid=True)


def _level(vector_or_level: str) -> int:
    """'P9.Cp.Cd' or 'P9' -> 9."""
    try:
        return int(vector_or_level.split(".")[0].lstrip("P"))
    except ValueError:
        return -1


def _vectors(raw: str | None) -> list[str] | None:
    """The vtr parameter (a JSON list), highest level first; NHS login's default is P9."""
    if not raw:
        return ["P9.Cp.Cd"]
    try:
        vectors = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(vectors, list) or not all(isinstance(v, str) for v in vectors):
        return None
    return sorted(vectors, key=_level, reverse=True)


def _s256(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode("ascii", "replace")).digest())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _redirect(uri: str, query: dict[str, str]) -> Response:
    response = Response(status=302)
    response.headers["Location"] = f"{uri}{'&' if '?' in uri else '?'}{urlencode(query)}"
    return response


def _token_error(error: str, description: str, status: int = 400) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(template: str, status: int, **context: Any) -> tuple[str, int]:
    return render_template_string(template, **context), status


def wait_until_serving(url: str, timeout: float = 5.0) -> None:
    """Block until `url` answers (bounded), for a provider started in another process."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


_SIGN_IN_PAGE = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>NHS login (simulated)</title>
<style>body{font-family:Arial,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;
color:#212b32}h1{font-size:1.6rem}button{font-size:1.1rem;padding:.6rem 1rem;margin:.2rem 0;
background:#007f3b;color:#fff;border:0;border-radius:4px;cursor:pointer}
button.secondary{background:#4c6272}li{margin-bottom:1rem;list-style:none}ul{padding:0}
.warn{border-left:6px solid #ffeb3b;padding:.5rem 1rem;background:#fff9c4}</style></head>
<body><main>
<p class="warn">This is a simulated NHS login for the demo and tests. It is not NHS login.
Everyone below is invented.</p>
<h1>Sign in with a test user</h1>
<form method="post" action="/authorize">
{% for name, value in params.items() %}<input type="hidden" name="{{ name }}" value="{{ value }}">
{% endfor %}
<ul>{% for user in users %}<li>
<button type="submit" name="user" value="{{ user.key }}">Continue as {{ user.given_name }}
{{ user.family_name }}</button><br>
Identity proofing level {{ user.proofing_level }}{% if user.proofing_level == "P9" %}
(identity checked){% else %} (identity not checked){% endif %}, {{ user.email }}</li>
{% endfor %}</ul>
<button type="submit" name="cancel" value="1" class="secondary">Cancel and go back</button>
</form></main></body></html>"""

_ERROR_PAGE = """<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">
<title>NHS login (simulated): error</title></head>
<body><main><h1>Something is wrong with the sign-in request</h1><p>{{ message }}</p></main>
</body></html>"""
