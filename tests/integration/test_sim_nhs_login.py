"""The simulated NHS login, driven by hand over HTTP (requests and joserfc, not our client): it
must refuse what NHS login refuses, or the site's tests would prove nothing. Discovery is
checked with authlib's own OpenID Provider metadata validation."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from hardware_sim.nhs_login import ASSERTION_TYPE, SimNhsLogin
from hardware_sim.nhs_login_users import TEST_USERS
from shared.nhs_number import is_valid
from tests.conftest import NOW
from tests.nhs_login_sim import CLIENT_ID, client_key_file, start_sim

REDIRECT = "http://127.0.0.1:5000/nhs-login/callback"


@pytest.fixture(scope="module")
def sim_and_key(tmp_path_factory) -> Iterator[tuple[SimNhsLogin, RSAKey]]:  # type: ignore[no-untyped-def]
    _path, key = client_key_file(tmp_path_factory.mktemp("keys"))
    sim = start_sim(key, lambda: NOW)
    yield sim, key
    sim.stop()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _assertion(sim: SimNhsLogin, key: RSAKey, *, alg: str = "RS512", **claims: Any) -> str:
    now = int(NOW.timestamp())
    body = {"iss": CLIENT_ID, "sub": CLIENT_ID, "aud": f"{sim.issuer}/token", "iat": now,
            "exp": now + 60, "jti": secrets.token_urlsafe(16), **claims}
    return jwt.encode({"alg": alg}, body, key, algorithms=[alg])


def _code(sim: SimNhsLogin, user: str = "p9-joan", verifier: str = "v" * 50,
          nonce: str = "n-1") -> str:
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT,
              "scope": "openid profile profile_extended email phone", "state": "s-1",
              "nonce": nonce, "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
              "code_challenge_method": "S256"}
    back = requests.post(f"{sim.issuer}/authorize", data={**params, "user": user},
                         allow_redirects=False, timeout=5)
    assert back.status_code == 302
    query = parse_qs(urlsplit(back.headers["Location"]).query)
    assert query["state"] == ["s-1"]
    return query["code"][0]


def _token(sim: SimNhsLogin, key: RSAKey, code: str, verifier: str = "v" * 50,
           **form: str) -> requests.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": verifier, "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": _assertion(sim, key), **form}
    return requests.post(f"{sim.issuer}/token", data=data, timeout=5)


def test_discovery_is_valid_openid_provider_metadata(sim_and_key, monkeypatch):
    sim, _key = sim_and_key
    data = requests.get(f"{sim.issuer}/.well-known/openid-configuration", timeout=5).json()
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the simulator is plain HTTP
    OpenIDProviderMetadata(data).validate()
    assert data["issuer"] == sim.issuer
    assert data["id_token_signing_alg_values_supported"][0] == "RS512"
    assert data["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert data["code_challenge_methods_supported"] == ["S256"]
    keys = KeySet.import_key_set(requests.get(data["jwks_uri"], timeout=5).json())
    assert all(not k.is_private for k in keys.keys)


def test_a_good_exchange_gives_a_signed_id_token_and_userinfo(sim_and_key):
    sim, key = sim_and_key
    answer = _token(sim, key, _code(sim))
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    keys = KeySet.import_key_set(requests.get(f"{sim.issuer}/.well-known/jwks.json",
                                              timeout=5).json())
    token = jwt.decode(body["id_token"], keys, algorithms=["RS512"])
    assert token.header["alg"] == "RS512"
    assert token.claims["aud"] == CLIENT_ID and token.claims["nonce"] == "n-1"
    assert token.claims["vot"] == "P9.Cp.Cd" and token.claims["identity_proofing_level"] == "P9"
    info = requests.get(f"{sim.issuer}/userinfo", timeout=5,
                        headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert info["sub"] == token.claims["sub"]
    assert (info["nhs_number"], info["given_name"], info["birthdate"]) == (
        "9999800017", "Joan", "1951-06-14")


@pytest.mark.parametrize("problem", ["no_assertion", "rs256", "other_key", "wrong_audience",
                                     "long_lived", "reused_jti", "other_client"])
def test_a_bad_client_assertion_is_refused(sim_and_key, problem):
    sim, key = sim_and_key
    code = _code(sim)
    if problem == "no_assertion":
        form = {"client_assertion_type": "", "client_assertion": ""}
    elif problem == "rs256":
        form = {"client_assertion": _assertion(sim, key, alg="RS256")}
    elif problem == "other_key":
        form = {"client_assertion": _assertion(sim, RSAKey.generate_key(2048))}
    elif problem == "wrong_audience":
        form = {"client_assertion": _assertion(sim, key, aud="https://elsewhere.example/token")}
    elif problem == "long_lived":
        form = {"client_assertion": _assertion(sim, key, exp=int(NOW.timestamp()) + 3600)}
    elif problem == "reused_jti":
        used = _assertion(sim, key, jti="once-only")
        assert _token(sim, key, code, client_assertion=used).status_code == 200
        code, form = _code(sim), {"client_assertion": used}
    else:
        form = {"client_assertion": _assertion(sim, key, iss="someone", sub="someone")}
    answer = _token(sim, key, code, **form)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_pkce_redirect_uri_and_one_use_codes_are_enforced(sim_and_key):
    sim, key = sim_and_key
    assert _token(sim, key, _code(sim), verifier="w" * 50).json()["error"] == "invalid_grant"
    assert _token(sim, key, _code(sim), redirect_uri="http://127.0.0.1:5000/other").json()[
        "error"] == "invalid_grant"
    code = _code(sim)
    first = _token(sim, key, code).json()
    assert _token(sim, key, code).json()["error"] == "invalid_grant"
    # A code used twice revokes what it gave (RFC 6749 section 4.1.2).
    revoked = requests.get(f"{sim.issuer}/userinfo", timeout=5,
                           headers={"Authorization": f"Bearer {first['access_token']}"})
    assert revoked.status_code == 401 and "invalid_token" in revoked.headers["WWW-Authenticate"]


@pytest.mark.parametrize("change,error", [
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"nonce": ""}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"scope": "profile"}, "invalid_scope"),
])
def test_authorize_refuses_requests_nhs_login_refuses(sim_and_key, change, error):
    sim, _key = sim_and_key
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT,
              "scope": "openid profile", "state": "s", "nonce": "n",
              "code_challenge": "x" * 43, "code_challenge_method": "S256", **change}
    back = requests.get(f"{sim.issuer}/authorize?{urlencode(params)}", allow_redirects=False,
                        timeout=5)
    assert back.status_code == 302
    assert parse_qs(urlsplit(back.headers["Location"]).query)["error"] == [error]


def test_an_unknown_redirect_address_is_never_redirected_to(sim_and_key):
    sim, _key = sim_and_key
    params = {"response_type": "code", "client_id": CLIENT_ID, "state": "s", "nonce": "n",
              "redirect_uri": "https://attacker.example/steal", "scope": "openid"}
    back = requests.get(f"{sim.issuer}/authorize?{urlencode(params)}", allow_redirects=False,
                        timeout=5)
    assert back.status_code == 400 and "Location" not in back.headers


def test_a_p5_user_asked_for_p9_only_is_refused(sim_and_key):
    sim, _key = sim_and_key
    params = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT,
              "scope": "openid profile", "state": "s", "nonce": "n", "user": "p5-sam",
              "code_challenge": "x" * 43, "code_challenge_method": "S256",
              "vtr": json.dumps(["P9.Cp.Cd"])}
    back = requests.post(f"{sim.issuer}/authorize", data=params, allow_redirects=False, timeout=5)
    assert parse_qs(urlsplit(back.headers["Location"]).query)["error"] == ["access_denied"]


def test_test_users_are_synthetic():
    for user in TEST_USERS:
        assert user.nhs_number.startswith("999") and is_valid(user.nhs_number)
        assert user.phone_number.startswith("+447700900")
        assert user.email.endswith("@example.com")
        dt.date.fromisoformat(user.birthdate)
    assert {u.proofing_level for u in TEST_USERS} == {"P9", "P5"}


def test_phlebo_sim_nhs_login_runs_until_stopped(tmp_path):
    key_file, _key = client_key_file(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "phlebo", "sim-nhs-login", "--port", "0",
         "--client-key", str(key_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        assert "sim-nhs-login (simulated NHS login) at http://127.0.0.1:" in first
        issuer = first.split(" at ")[1].split()[0]
        assert requests.get(f"{issuer}/.well-known/openid-configuration",
                            timeout=5).json()["issuer"] == issuer
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]


def test_phlebo_sim_nhs_login_refuses_a_key_it_cannot_read(tmp_path):
    bad = tmp_path / "not-a-key.pem"
    bad.write_text("hello")
    done = subprocess.run([sys.executable, "-m", "phlebo", "sim-nhs-login", "--client-key",
                           str(bad)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "is not a readable RSA key" in done.stderr
    assert Path(bad).exists()
