"""Signing in with the simulated NHS login from tests: a client key on disk, the provider on a
loopback port, settings that point the site at it, and the trip there and back."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from joserfc.jwk import RSAKey

from hardware_sim.nhs_login import SimNhsLogin, signing_key
from shared.config import Settings

CLIENT_ID = "phlebo-test"


_KEYS: list[RSAKey] = []  # made once: generating RSA keys is slow


def _keys() -> list[RSAKey]:
    if not _KEYS:
        _KEYS.extend((RSAKey.generate_key(2048), signing_key(), signing_key()))
    return _KEYS


def client_key_file(folder: Path) -> tuple[Path, RSAKey]:
    """Our RSA key for private_key_jwt, saved as PEM (owner-only) in `folder`."""
    key = _keys()[0]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "nhslogin-client.pem"
    path.write_bytes(key.as_pem(private=True))
    path.chmod(0o600)
    return path, key


def start_sim(key: RSAKey, clock: Callable[[], dt.datetime]) -> SimNhsLogin:
    """The provider for our client, on a free loopback port, on the app's clock."""
    public = RSAKey.import_key(key.as_dict(private=False))
    return SimNhsLogin(client_id=CLIENT_ID, client_public_key=public, clock=clock,
                       keys=(_keys()[1], _keys()[2])).start()


def with_nhs_login(settings: Settings, sim: SimNhsLogin, key_file: Path) -> Settings:
    """The settings, pointed at the simulated provider."""
    return dataclasses.replace(settings, nhslogin_issuer=sim.issuer, nhslogin_client_id=CLIENT_ID,
                               nhslogin_private_key_file=key_file)


def authorize(location: str, user: str, *, cancel: bool = False) -> str:
    """At the provider (from the site's redirect): choose a test user; the address it sends the
    browser back to (our callback with code and state)."""
    page = requests.get(location, timeout=5)
    assert page.status_code == 200, page.text[:300]
    form = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    if cancel:
        form["cancel"] = "1"
    else:
        form["user"] = user
    back = requests.post(location.split("?")[0], data=form, allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text[:300]
    return back.headers["Location"]


def path_of(url: str) -> str:
    """The path and query of an absolute address (for the Flask test client)."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
