"""sim:///dir: print in-process through the simulator's parser and renderer (no socket)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import SplitResult, unquote

from hardware_sim.printer import Language, PrinterSession, VirtualPrinter
from label_printer import Link, TransportFailure, register_transport
from label_printer.status import PrinterStatus

_PRINTERS: dict[Path, VirtualPrinter] = {}


def sim_printer_for(out_dir: str | Path, language: Language = "escpos") -> VirtualPrinter:
    """The one VirtualPrinter writing to `out_dir` (so tests can inject faults into it), in
    `language` (a printer asked for in another language is replaced)."""
    path = Path(out_dir).resolve()
    if path not in _PRINTERS or _PRINTERS[path].language != language:
        _PRINTERS[path] = VirtualPrinter(path, language=language)
    return _PRINTERS[path]


class SimTransport:
    """A Transport straight into a simulator Session: its answers wait to be received."""

    def __init__(self, printer: VirtualPrinter):
        self._session: PrinterSession | None = printer.session()
        self._replies = b""

    def _live(self) -> PrinterSession:
        if self._session is None:
            raise TransportFailure(PrinterStatus("unknown", "The simulated printer hung up."))
        return self._session

    def send(self, data: bytes) -> None:
        """Feed bytes to the simulator; keep what it answers."""
        reply, drop = self._live().feed(data)
        self._replies += reply
        if drop:
            self._session = None
            raise TransportFailure(PrinterStatus(
                "unknown", "The connection to the simulated printer was lost."))

    def receive(self, size: int) -> bytes | None:
        """What the simulator answered (up to `size` bytes), or None: it answers at once."""
        self._live()
        reply, self._replies = self._replies[:size], self._replies[size:]
        return reply or None

    def local_status(self) -> PrinterStatus | None:
        """None: the simulated printer answers for itself."""
        return None

    def close(self) -> None:
        """Forget the session."""
        self._session = None


def open_sim(uri: SplitResult, *, timeout: float, connect_timeout: float) -> Link:
    """Factory for sim:///absolute/dir (or sim://relative/dir); zpl+sim:// is a ZPL printer."""
    language: Language = "zpl" if uri.scheme.lower().startswith("zpl+") else "escpos"
    printer = sim_printer_for(unquote(uri.netloc + uri.path), language)
    return Link(lambda: SimTransport(printer), f"sim://{printer.out_dir}")


def register() -> None:
    """Make label_printer.open_printer accept sim:// addresses."""
    register_transport("sim", open_sim)
