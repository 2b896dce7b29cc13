"""usb://vendor:product (hex ids, e.g. usb://04b8:0202): python-escpos `Usb` (needs pyusb)."""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult

from label_printer.backends.job import TransportFailure
from label_printer.backends.stream import StreamPrinter
from label_printer.errors import PrinterAddressError
from label_printer.escpos_render import PROFILE
from label_printer.status import PrinterStatus, query_bytes


class UsbTransport:
    """One claimed USB printer; the timeout bounds each read and write."""

    def __init__(self, vendor: int, product: int, *, timeout: float):
        self._where = f"USB {vendor:04x}:{product:04x}"
        try:
            from escpos.printer import Usb
        except ImportError:  # pragma: no cover - python-escpos is a dependency
            raise TransportFailure(PrinterStatus("fault", "USB printing is not installed.")) \
                from None
        if not Usb.is_usable():
            raise TransportFailure(PrinterStatus(
                "fault", "USB printing needs the pyusb package on this computer."))
        try:
            self._printer: Any = Usb(vendor, product, timeout=int(timeout * 1000),
                                     profile=PROFILE)
            self._printer.open()
        except Exception as exc:  # pyusb raises many kinds; all mean "not reachable"
            raise TransportFailure(PrinterStatus(
                "fault", f"No label printer found at {self._where} ({exc}).")) from None

    def send(self, data: bytes) -> None:
        """Write bytes to the printer's OUT endpoint."""
        try:
            self._printer._raw(data)
        except Exception:
            raise TransportFailure(PrinterStatus(
                "unknown", f"The printer at {self._where} stopped responding.")) from None

    def query(self, n: int) -> int | None:
        """DLE EOT n over the IN endpoint."""
        try:
            self._printer._raw(query_bytes(n))
            reply = self._printer._read()
        except Exception:
            return None
        return reply[-1] if reply else None

    def close(self) -> None:
        """Release the device."""
        try:
            self._printer.close()
        except Exception:
            pass


def open_usb(uri: SplitResult, *, timeout: float, connect_timeout: float) -> StreamPrinter:
    """Factory for usb://vendor:product addresses."""
    try:
        vendor_text, product_text = uri.netloc.split(":")
        vendor, product = int(vendor_text, 16), int(product_text, 16)
    except ValueError:
        raise PrinterAddressError(
            f"USB printer address must be usb://vendor:product in hex, not {uri.geturl()!r}."
        ) from None
    return StreamPrinter(lambda: UsbTransport(vendor, product, timeout=timeout),
                         name=f"usb://{vendor:04x}:{product:04x}")
