"""Printer backends chosen by URI scheme (brother_ql style registry)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol
from urllib.parse import SplitResult, urlsplit

from label_printer.backends.file import open_file
from label_printer.backends.tcp import open_tcp
from label_printer.backends.usb import open_usb
from label_printer.errors import PrinterAddressError
from label_printer.layout import LabelData
from label_printer.outcome import PrintOutcome
from label_printer.status import PrinterStatus


class LabelPrinter(Protocol):
    """What every backend offers."""

    def status(self) -> PrinterStatus:
        """ok / fault / unknown; unknown never counts as ok."""
        ...

    def print_labels(self, labels: Sequence[LabelData]) -> PrintOutcome:
        """Print in order, confirming each label; never raises for printer trouble."""
        ...


class BackendFactory(Protocol):
    """Builds a printer from a parsed URI (must not connect yet)."""

    def __call__(self, uri: SplitResult, *, timeout: float,
                 connect_timeout: float) -> LabelPrinter: ...


_BACKENDS: dict[str, BackendFactory | Callable[..., LabelPrinter]] = {
    "tcp": open_tcp,
    "usb": open_usb,
    "file": open_file,
}


def register_backend(scheme: str, factory: BackendFactory | Callable[..., LabelPrinter]) -> None:
    """Make `scheme://...` addresses open printers built by `factory`."""
    _BACKENDS[scheme.lower()] = factory


def open_printer(uri: str, *, timeout: float = 3.0,
                 connect_timeout: float | None = None) -> LabelPrinter:
    """The printer at `uri` (tcp://, usb://, file://, or a registered scheme); no I/O yet."""
    parsed = urlsplit(uri.strip())
    factory = _BACKENDS.get(parsed.scheme.lower())
    if factory is None:
        known = ", ".join(sorted(f"{s}://" for s in _BACKENDS))
        raise PrinterAddressError(f"Unknown printer address {uri!r}: use one of {known}.")
    if connect_timeout is None:
        connect_timeout = min(2.0, timeout)
    return factory(parsed, timeout=timeout, connect_timeout=connect_timeout)
