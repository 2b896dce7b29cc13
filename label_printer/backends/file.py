"""file:///path: append each label's bytes to a file (a spool for another program, debugging).

A one-way link: nothing comes back, so the file's own state is the status (writable: ok) and a
label counts as printed once it is written and flushed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO
from urllib.parse import SplitResult, unquote

from label_printer.errors import PrinterAddressError
from label_printer.status import PrinterStatus
from label_printer.transport import Link, TransportFailure


class FileTransport:
    """One open spool file."""

    def __init__(self, path: Path):
        self.path = path
        status = self.local_status()
        if not status.ok:
            raise TransportFailure(status)
        try:
            self._out: BinaryIO | None = path.open("ab")
        except OSError as exc:
            raise TransportFailure(PrinterStatus(
                "fault", f"Cannot write labels to {path} ({exc.strerror or exc}).")) from None

    def send(self, data: bytes) -> None:
        """Append and flush."""
        if self._out is None:
            raise TransportFailure(PrinterStatus("unknown", f"{self.path} is closed."))
        try:
            self._out.write(data)
            self._out.flush()
        except OSError as exc:
            raise TransportFailure(PrinterStatus(
                "fault", f"Writing to {self.path} failed ({exc}).")) from None

    def receive(self, size: int) -> bytes | None:
        """None: a file never answers."""
        if self._out is None:
            raise TransportFailure(PrinterStatus("unknown", f"{self.path} is closed."))
        return None

    def local_status(self) -> PrinterStatus:
        """ok if the file (or its folder, for a new file) is writable."""
        target = self.path if self.path.exists() else self.path.parent
        if target.exists() and os.access(target, os.W_OK):
            return PrinterStatus("ok", f"ready (writing to {self.path}).")
        return PrinterStatus("fault", f"Cannot write labels to {self.path}.")

    def close(self) -> None:
        """Close the file."""
        out, self._out = self._out, None
        if out is not None:
            try:
                out.close()
            except OSError:
                pass


def open_file(uri: SplitResult, *, timeout: float, connect_timeout: float) -> Link:
    """Factory for file:///absolute/path addresses."""
    path = unquote(uri.path)
    if uri.netloc not in ("", "localhost") or not path.startswith("/"):
        raise PrinterAddressError(f"Use file:///absolute/path, not {uri.geturl()!r}.")
    return Link(lambda: FileTransport(Path(path)), f"file://{path}")
