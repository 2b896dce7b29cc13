"""sim:///dir: print in-process through the simulator's parser and renderer (no socket)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import SplitResult, unquote

from hardware_sim.printer import Session, VirtualPrinter
from label_printer import StreamPrinter, TransportFailure, register_backend
from label_printer.status import PrinterStatus, query_bytes

_PRINTERS: dict[Path, VirtualPrinter] = {}


def sim_printer_for(out_dir: str | Path) -> VirtualPrinter:
    """The one VirtualPrinter writing to `out_dir` (so tests can inject faults into it)."""
    path = Path(out_dir).resolve()
    if path not in _PRINTERS:
        _PRINTERS[path] = VirtualPrinter(path)
    return _PRINTERS[path]


class SimTransport:
    """A Transport straight into a simulator Session."""

    def __init__(self, printer: VirtualPrinter):
        self._session: Session | None = printer.session()

    def _feed(self, data: bytes) -> bytes:
        if self._session is None:
            raise TransportFailure(PrinterStatus("unknown", "The simulated printer hung up."))
        reply, drop = self._session.feed(data)
        if drop:
            self._session = None
            raise TransportFailure(PrinterStatus(
                "unknown", "The connection to the simulated printer was lost."))
        return reply

    def send(self, data: bytes) -> None:
        """Feed label bytes to the simulator."""
        self._feed(data)

    def query(self, n: int) -> int | None:
        """DLE EOT n, answered at once."""
        reply = self._feed(query_bytes(n))
        return reply[0] if reply else None

    def close(self) -> None:
        """Forget the session."""
        self._session = None


def open_sim(uri: SplitResult, *, timeout: float, connect_timeout: float) -> StreamPrinter:
    """Factory for sim:///absolute/dir (or sim://relative/dir)."""
    printer = sim_printer_for(unquote(uri.netloc + uri.path))
    return StreamPrinter(lambda: SimTransport(printer), name=f"sim://{printer.out_dir}")


def register() -> None:
    """Make label_printer.open_printer accept sim:// addresses."""
    register_backend("sim", open_sim)
