"""`phlebo sim-nhs-login`: run the simulated NHS login (an OpenID provider) until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from joserfc.jwk import RSAKey

from hardware_sim.nhs_login import SimNhsLogin
from hardware_sim.nhs_login_users import TEST_USERS


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="sim-nhs-login", description=__doc__,
        epilog="Point the site at it with PHLEBO_NHSLOGIN_ISSUER=http://127.0.0.1:PORT, "
               "PHLEBO_NHSLOGIN_CLIENT_ID and PHLEBO_NHSLOGIN_PRIVATE_KEY_FILE.")
    parser.add_argument("--port", type=int, default=9180, help="port on 127.0.0.1 (0 = any free)")
    parser.add_argument("--client-id", default="phlebo-demo", help="the one client it knows")
    parser.add_argument("--client-key", required=True, metavar="FILE",
                        help="that client's RSA key as PEM (public, or the private key: only "
                             "its public half is used), to check its private_key_jwt assertions")
    parser.add_argument("--redirect-uri", action="append", default=[], metavar="URI",
                        help="an allowed redirect address (repeatable; default: any on loopback)")
    return parser


def load_public_key(path: Path) -> RSAKey:
    """The RSA public key in a PEM file (of a public or a private key)."""
    key = RSAKey.import_key(path.read_bytes())
    return RSAKey.import_key(key.as_dict(private=False))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        key = load_public_key(Path(args.client_key))
    except (OSError, ValueError) as exc:
        print(f"Error: {args.client_key} is not a readable RSA key ({exc}).", file=sys.stderr)
        return 2
    sim = SimNhsLogin(client_id=args.client_id, client_public_key=key,
                      redirect_uris=args.redirect_uri, port=args.port)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    try:
        sim.start()
    except OSError as exc:
        print(f"Error: port {args.port} cannot be used ({exc.strerror or exc}).", file=sys.stderr)
        return 2
    print(f"sim-nhs-login (simulated NHS login) at {sim.issuer} for client {args.client_id}",
          flush=True)
    for user in TEST_USERS:
        print(f"  test user {user.key}: {user.given_name} {user.family_name}, "
              f"{user.proofing_level}", flush=True)
    try:
        done.wait()
    finally:
        sim.stop()
    return 0
