"""Printers chosen by URI: `[language+]transport://address` (brother_ql style registries).

The transport (tcp, usb, file, or a registered one such as the simulator's sim) says how bytes
travel; the language (escpos when none is named; a registered one such as zpl) says what they
mean, so zpl+tcp://host:9100 and tcp://host:9100 differ only in the language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from urllib.parse import SplitResult, urlsplit

from label_printer.backends.file import open_file
from label_printer.backends.job import JobObserver
from label_printer.backends.stream import StreamPrinter
from label_printer.backends.tcp import open_tcp
from label_printer.backends.usb import open_usb
from label_printer.errors import PrinterAddressError
from label_printer.languages import language_named
from label_printer.layout import LabelData, LabelSize
from label_printer.outcome import PrintOutcome
from label_printer.status import PrinterStatus
from label_printer.transport import Link


class LabelPrinter(Protocol):
    """What every printer offers."""

    def status(self) -> PrinterStatus:
        """ok / fault / unknown; unknown never counts as ok."""
        ...

    def print_labels(self, labels: Sequence[LabelData], *,
                     observer: JobObserver | None = None) -> PrintOutcome:
        """Print in order, confirming each label; never raises for printer trouble. `observer`
        hears of each label just before its bytes go and once settled."""
        ...


class TransportFactory(Protocol):
    """Reads a parsed URI into a Link (must not connect yet; PrinterAddressError if bad)."""

    def __call__(self, uri: SplitResult, *, timeout: float, connect_timeout: float) -> Link: ...


BUILT_IN_TRANSPORTS: dict[str, TransportFactory] = {
    "tcp": open_tcp,
    "usb": open_usb,
    "file": open_file,
}
_TRANSPORTS = dict(BUILT_IN_TRANSPORTS)  # and those registered since


def register_transport(scheme: str, factory: TransportFactory) -> None:
    """Make `scheme://...` (and `language+scheme://...`) addresses travel by `factory`."""
    _TRANSPORTS[scheme.lower()] = factory


def open_printer(uri: str, *, timeout: float = 3.0, connect_timeout: float | None = None,
                 size: LabelSize | None = None) -> LabelPrinter:
    """The printer at `uri` (e.g. tcp://host:9100, escpos+usb://04b8:0202, file:///path) for
    labels of `size` (the default stock when None); no I/O yet."""
    parsed = urlsplit(uri.strip())
    language_name, _, scheme = parsed.scheme.lower().rpartition("+")
    factory = _TRANSPORTS.get(scheme)
    if factory is None:
        known = ", ".join(sorted(f"{s}://" for s in _TRANSPORTS))
        raise PrinterAddressError(f"Unknown printer address {uri!r}: use one of {known}.")
    language = language_named(language_name, size)
    if connect_timeout is None:
        connect_timeout = min(2.0, timeout)
    link = factory(parsed, timeout=timeout, connect_timeout=connect_timeout)
    return StreamPrinter(link.connect, language, name=link.name)
