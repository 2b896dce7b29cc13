"""The OpenID Connect relying party for NHS login, built on authlib (OAuth 2.0 client, PKCE,
private_key_jwt) and joserfc (JWS/JWT, which authlib itself uses).

Authorization code flow with PKCE (S256), a state and a nonce; the client authenticates to the
token endpoint with a private_key_jwt assertion signed RS512, as NHS login requires; the ID
token's signature is checked against the provider's published keys (RS512 only: `none`, HMAC
and other algorithms are refused) and its claims (iss, aud, exp, iat, nonce, azp, at_hash) by
authlib's CodeIDToken. UserInfo must name the same subject. Tokens are used once here and never
stored, logged or put in an address: what is kept is the identity they prove."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import JWSRegistry

log = logging.getLogger(__name__)

ALG = "RS512"  # NHS login signs ID tokens, and wants client assertions signed, with RS512
# profile: NHS number, family name, date of birth, proofing level; profile_extended: the first
# name (NHS login's scopes and claims table puts given_name there); email; phone.
SCOPES = "openid profile profile_extended email phone"
# Vectors of trust asked for, best first: identity checked (P9) or claimed (P5), with any of
# NHS login's authentication methods. The one achieved comes back as the ID token's `vot`.
VTR = '["P9.Cp.Cd","P9.Cp.Ck","P9.Cm","P5.Cp.Cd","P5.Cp.Ck","P5.Cm"]'
TIMEOUT = (3.05, 10)  # connect, read: a patient is waiting on the other end
METADATA_SECONDS = 3600  # discovery and keys are read again after this (key rotation)
LEEWAY_SECONDS = 60  # clock skew allowed on exp/iat
ASSERTION_SECONDS = 60  # our client assertion's lifetime


class NhsLoginError(Exception):
    """NHS login did not sign the patient in. `reason` is a code the page chooses words for:
    unavailable (provider unreachable or broken), refused (a token or answer failed a check),
    denied (the patient cancelled or the provider said no). `detail` is for the log only and
    never holds a token."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SignInRequest:
    """Where to send the patient, and the secrets to keep (server side) until they return."""

    url: str
    state: str
    nonce: str
    code_verifier: str


class Provider:
    """NHS login's published metadata and signing keys, read on first use and cached (one per
    app, shared by threads). Nothing is fetched when the app is built."""

    def __init__(self, issuer: str, *, client_id: str, private_key_file: Any):
        self.issuer = issuer
        self.client_id = client_id
        self.private_key_file = private_key_file
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._read_at = 0.0
        self._private_key: RSAKey | None = None

    def metadata(self) -> dict[str, Any]:
        """The discovery document (OpenID Connect Discovery 1.0), checked to be this issuer's."""
        with self._lock:
            if self._metadata is None or time.monotonic() - self._read_at > METADATA_SECONDS:
                url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
                data = _get_json(url)
                # Discovery section 4.3: the issuer in the document must be the one configured.
                if data.get("issuer") != self.issuer:
                    raise NhsLoginError("unavailable", "discovery names another issuer")
                missing = [k for k in ("authorization_endpoint", "token_endpoint",
                                       "userinfo_endpoint", "jwks_uri") if not data.get(k)]
                if missing:
                    raise NhsLoginError("unavailable", f"discovery lacks {', '.join(missing)}")
                self._metadata, self._keys, self._read_at = data, None, time.monotonic()
            return self._metadata

    def keys(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys (JWKS); `refresh` reads them again (a new key id)."""
        metadata = self.metadata()
        with self._lock:
            if self._keys is None or refresh:
                try:
                    jwks: Any = _get_json(metadata["jwks_uri"])
                    self._keys = KeySet.import_key_set(jwks)
                except (JoseError, ValueError, TypeError, KeyError) as exc:
                    raise NhsLoginError("unavailable", f"unusable JWKS: {exc}") from None
            return self._keys

    def private_key(self) -> RSAKey:
        """Our key for private_key_jwt, read from its file once."""
        if self._private_key is None:
            with open(self.private_key_file, "rb") as fh:
                self._private_key = RSAKey.import_key(fh.read())
        return self._private_key

    def _session(self, redirect_uri: str, now: dt.datetime) -> OAuth2Session:
        session = OAuth2Session(
            client_id=self.client_id, client_secret=self.private_key(),
            token_endpoint_auth_method="private_key_jwt", scope=SCOPES,
            redirect_uri=redirect_uri, code_challenge_method="S256")
        issued = int(now.timestamp())
        # The assertion's times come from the app's clock (the claims override authlib's own).
        session.register_client_auth_method(PrivateKeyJWT(
            self.metadata()["token_endpoint"], alg=ALG,
            claims={"iat": issued, "exp": issued + ASSERTION_SECONDS}))
        return session

    def sign_in_request(self, *, redirect_uri: str, now: dt.datetime) -> SignInRequest:
        """A fresh authorization request: new state, nonce and PKCE verifier."""
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters of the unreserved set (RFC 7636)
        with self._session(redirect_uri, now) as session:
            url, _ = session.create_authorization_url(
                self.metadata()["authorization_endpoint"], state=state, code_verifier=verifier,
                nonce=nonce, vtr=VTR)
        return SignInRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    def finish_sign_in(self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str,
                       now: dt.datetime) -> dict[str, Any]:
        """Exchange the code, check the ID token, read UserInfo: the claims of both, checked.
        Raises NhsLoginError."""
        metadata = self.metadata()
        with self._session(redirect_uri, now) as session:
            try:
                token = session.fetch_token(
                    metadata["token_endpoint"], grant_type="authorization_code", code=code,
                    code_verifier=code_verifier, timeout=TIMEOUT)
            except OAuthError as exc:
                raise NhsLoginError("refused", f"token endpoint said {exc.error}") from None
            except (requests.RequestException, ValueError) as exc:
                raise NhsLoginError("unavailable",
                                    f"token endpoint: {type(exc).__name__}") from None
            if not token.get("id_token") or not token.get("access_token"):
                raise NhsLoginError("refused", "the token answer lacks an ID or access token")
            id_claims = self._check_id_token(token, nonce=nonce, now=now)
            try:
                response = session.get(metadata["userinfo_endpoint"], timeout=TIMEOUT)
                response.raise_for_status()
                userinfo = response.json()
            except (requests.RequestException, ValueError) as exc:
                raise NhsLoginError("unavailable", f"userinfo: {type(exc).__name__}") from None
        # OpenID Connect Core 5.3.2: UserInfo's sub must be the ID token's, else ignore it all.
        if not isinstance(userinfo, dict) or userinfo.get("sub") != id_claims["sub"]:
            raise NhsLoginError("refused", "userinfo names another subject")
        return {**userinfo, **id_claims}  # what the signed ID token says wins

    def _check_id_token(self, token: dict[str, Any], *, nonce: str,
                        now: dt.datetime) -> dict[str, Any]:
        registry = JWSRegistry(algorithms=[ALG])
        try:
            try:
                decoded = jwt.decode(token["id_token"], self.keys(), registry=registry)
            except InvalidKeyIdError:
                decoded = jwt.decode(token["id_token"], self.keys(refresh=True),
                                     registry=registry)
            options = {
                "iss": {"essential": True, "value": self.issuer},
                "aud": {"essential": True, "value": self.client_id},
                "exp": {"essential": True},
                "iat": {"essential": True},
                "nonce": {"essential": True},
            }
            params = {"nonce": nonce, "client_id": self.client_id,
                      "access_token": token["access_token"]}
            claims = CodeIDToken(decoded.claims, decoded.header, options, params)
            claims.validate(now=int(now.timestamp()), leeway=LEEWAY_SECONDS)
        except (JoseError, ValueError, TypeError) as exc:
            # The reason, never the token: e.g. "invalid_claim: Invalid claim: 'iss'".
            raise NhsLoginError("refused", f"ID token: {_describe(exc)}") from None
        return dict(claims)


def _describe(exc: Exception) -> str:
    if isinstance(exc, JoseError):
        return f"{exc.error}: {exc.description}"
    return type(exc).__name__


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise NhsLoginError("unavailable", f"{url}: {type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise NhsLoginError("unavailable", f"{url}: not a JSON object")
    return data
