"""usb://vendor:product (hex ids, e.g. usb://04b8:0202): python-escpos `Usb` (needs pyusb) used
as a raw pipe to the printer's OUT and IN endpoints."""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult

from label_printer.errors import PrinterAddressError
from label_printer.status import PrinterStatus
from label_printer.transport import Link, TransportFailure

PROFILE = "TM-L90"  # python-escpos wants a named profile; a raw pipe uses none of it


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
        if self._printer is None:
            raise TransportFailure(PrinterStatus("unknown", f"{self._where} is closed."))
        try:
            self._printer._raw(data)
        except Exception:
            raise TransportFailure(PrinterStatus(
                "unknown", f"The printer at {self._where} stopped responding.")) from None

    def receive(self, size: int) -> bytes | None:
        """The newest `size` bytes from the IN endpoint, or None if it sent nothing in time."""
        if self._printer is None:
            raise TransportFailure(PrinterStatus("unknown", f"{self._where} is closed."))
        try:
            reply = bytes(self._printer._read())
        except Exception:
            return None
        return reply[-size:] if reply else None

    def local_status(self) -> PrinterStatus | None:
        """None: only the printer knows."""
        return None

    def close(self) -> None:
        """Release the device."""
        printer, self._printer = self._printer, None
        try:
            if printer is not None:
                printer.close()
        except Exception:
            pass


def open_usb(uri: SplitResult, *, timeout: float, connect_timeout: float) -> Link:
    """Factory for usb://vendor:product addresses."""
    try:
        vendor_text, product_text = uri.netloc.split(":")
        vendor, product = int(vendor_text, 16), int(product_text, 16)
    except ValueError:
        raise PrinterAddressError(
            f"USB printer address must be usb://vendor:product in hex, not {uri.geturl()!r}."
        ) from None
    return Link(lambda: UsbTransport(vendor, product, timeout=timeout),
                f"usb://{vendor:04x}:{product:04x}")
