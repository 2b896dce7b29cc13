"""tcp://host:port (port 9100 by default): a printer's raw port over a plain socket with short
timeouts.

A plain socket rather than python-escpos `Network`: we need one-byte status reads with our
own timeout and must tell "no answer" from "answered"; `is_online()`/`paper_status()` block
for the whole socket timeout or report "paper OK" when the printer is silent (DOMAIN 6).
"""

from __future__ import annotations

import socket
from urllib.parse import SplitResult

from label_printer.errors import PrinterAddressError
from label_printer.status import PrinterStatus
from label_printer.transport import Link, TransportFailure


class TcpTransport:
    """One TCP connection to a printer."""

    def __init__(self, sock: socket.socket, where: str):
        self._sock = sock
        self._where = where

    @classmethod
    def connect(cls, host: str, port: int, *, connect_timeout: float,
                timeout: float) -> TcpTransport:
        """Connect within `connect_timeout`; later reads and writes wait at most `timeout`."""
        where = f"{host}:{port}"
        try:
            sock = socket.create_connection((host, port), timeout=connect_timeout)
        except ConnectionRefusedError:
            raise TransportFailure(PrinterStatus(
                "fault", f"No printer is accepting connections at {where}: "
                "check it is switched on and plugged in.")) from None
        except TimeoutError:
            raise TransportFailure(PrinterStatus(
                "unknown", f"The printer at {where} did not answer within "
                f"{connect_timeout:g} s.")) from None
        except OSError as exc:
            raise TransportFailure(PrinterStatus(
                "fault", f"Cannot reach the printer at {where} ({exc.strerror or exc}).")) from None
        sock.settimeout(timeout)
        # Send the 3-byte status query at once: with Nagle's algorithm it waited for the ACK of
        # the label's image data, about 33 ms a label (measured in bench/, kiosk stages).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock, where)

    def send(self, data: bytes) -> None:
        """Send all of `data` (the timeout bounds the whole send)."""
        try:
            self._sock.sendall(data)
        except OSError:
            raise TransportFailure(PrinterStatus(
                "unknown", f"The connection to the printer at {self._where} was lost "
                "while sending.")) from None

    def receive(self, size: int) -> bytes | None:
        """Up to `size` bytes, or None after the timeout."""
        try:
            reply = self._sock.recv(size)
        except TimeoutError:
            return None
        except OSError:
            reply = b""
        if not reply:
            raise TransportFailure(PrinterStatus(
                "unknown", f"The printer at {self._where} closed the connection."))
        return reply

    def local_status(self) -> PrinterStatus | None:
        """None: only the printer knows."""
        return None

    def close(self) -> None:
        """Close the socket."""
        try:
            self._sock.close()
        except OSError:
            pass


def open_tcp(uri: SplitResult, *, timeout: float, connect_timeout: float) -> Link:
    """Factory for tcp:// addresses."""
    try:
        host, port = uri.hostname, uri.port or 9100
    except ValueError:
        raise PrinterAddressError(f"Bad port in printer address {uri.geturl()!r}.") from None
    if not host:
        raise PrinterAddressError(f"Printer address {uri.geturl()!r} has no host name.")

    def connect() -> TcpTransport:
        return TcpTransport.connect(host, port, connect_timeout=connect_timeout, timeout=timeout)

    return Link(connect, f"tcp://{host}:{port}")
