"""The link to a printer: raw bytes out and in. What the bytes mean is the Language's business
(label_printer.languages); how they travel is the Transport's (label_printer.backends)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from label_printer.status import PrinterStatus


class TransportFailure(Exception):
    """The link to the printer failed; carries the status that failure implies."""

    def __init__(self, status: PrinterStatus):
        super().__init__(status.detail)
        self.status = status


class Transport(Protocol):
    """An open link to one printer: bytes out, bytes back, nothing about what they mean."""

    def send(self, data: bytes) -> None:
        """Send all of `data`; raise TransportFailure if the link fails."""

    def receive(self, size: int) -> bytes | None:
        """Up to `size` bytes the printer sent, or None if nothing came in time; raise
        TransportFailure if the link is gone."""

    def local_status(self) -> PrinterStatus | None:
        """What the link knows by itself (a spool file: writable or not), or None when only
        the printer can say (ask it in its language)."""

    def close(self) -> None:
        """Close the link (never raises; closing twice is harmless)."""


Connect = Callable[[], Transport]  # raises TransportFailure when the printer cannot be reached


@dataclass(frozen=True)
class Link:
    """How to reach one printer: `connect` opens a fresh Transport; `name` is its address."""

    connect: Connect
    name: str
