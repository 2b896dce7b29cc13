"""`phlebo check-config --kiosk`: the kiosk machine's settings, each checked on its own."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from kiosk_app.metrics import parse_address
from label_printer import open_printer
from label_printer.errors import PrinterAddressError
from shared.config import LABEL_STOCK_MM, number_problems
from shared.config import ConfigProblem as Problem

# name: (lowest, highest) for the kiosk's number settings.
NUMBERS = {
    "PHLEBO_KIOSK_IDLE_SECONDS": (15.0, 600.0),
    "PHLEBO_KIOSK_SCAN_GAP_MS": (5.0, 1000.0),
    "PHLEBO_KIOSK_SCAN_MIN_LENGTH": (4.0, 200.0),
}


def check_kiosk_settings(env: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem with the kiosk's settings (an empty list: all good)."""
    env = dict(os.environ if env is None else env)
    return [*_server(env), *_printer(env), *number_problems(env, NUMBERS),
            *number_problems(env, LABEL_STOCK_MM, unit="mm"), *_other(env)]


def _server(env: Mapping[str, str]) -> Iterator[Problem]:
    url = env.get("PHLEBO_SERVER_URL", "").strip()
    parts = urlsplit(url)
    if not url:
        yield Problem("PHLEBO_SERVER_URL", "is not set: the kiosk needs the site's address.")
    elif parts.scheme not in ("http", "https") or not parts.hostname:
        yield Problem("PHLEBO_SERVER_URL", f"is {url!r}, not a web address like "
                      "https://phlebo.trust.nhs.uk.")
    elif parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        yield Problem("PHLEBO_SERVER_URL", "uses http:// to another machine: patients' details "
                      "would cross the network unencrypted. Use https://.", warning=True)
    if not env.get("PHLEBO_KIOSK_KEY", "").strip():
        yield Problem("PHLEBO_KIOSK_KEY", "is not set: make one with `phlebo create-kiosk NAME "
                      "--site ID` on the server.")


def _printer(env: Mapping[str, str]) -> Iterator[Problem]:
    uri = env.get("PHLEBO_PRINTER", "").strip()
    if not uri:
        yield Problem("PHLEBO_PRINTER", "is not set: no labels can print (tcp://host:9100, "
                      "usb://vendor:product, file:///path).")
        return
    try:
        open_printer(uri)  # parses the address; connects to nothing
    except PrinterAddressError as exc:
        yield Problem("PHLEBO_PRINTER", str(exc))


def _other(env: Mapping[str, str]) -> Iterator[Problem]:
    if env.get("PHLEBO_KIOSK_DEV", "").strip().lower() in {"1", "true", "yes", "on"}:
        yield Problem("PHLEBO_KIOSK_DEV", "is on: the window can be closed by anyone. Never on "
                      "a kiosk patients use.", warning=True)
    try:
        parse_address(env.get("PHLEBO_KIOSK_METRICS", "127.0.0.1:9101"))
    except ValueError as exc:
        yield Problem("PHLEBO_KIOSK_METRICS", str(exc).split(" ", 1)[1] + ".")
    outbox = Path(env.get("PHLEBO_KIOSK_OUTBOX", "")
                  or Path(env.get("PHLEBO_INSTANCE_DIR", "instance")) / "kiosk-print-reports.json")
    probe = outbox.parent
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        yield Problem("PHLEBO_KIOSK_OUTBOX", f"is {outbox}, in a folder this user cannot write: "
                      "print reports could not wait there for the server.")
