"""TCP front ends for the virtual printer: the print port (ESC/POS or ZPL) and a control port.

Control port protocol, one command per line, one reply line ("ok ..." or "error ..."):
    paper-out [N]   run out now, or after N more labels     paper-in    load a new roll
    offline | online   (ZPL: paused | resumed)              drop-after N
    head-open | head-closed                                 ribbon-out | ribbon-in
    slow SECONDS                                            status      faults as JSON
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from typing import Any

from hardware_sim.printer import VirtualPrinter

MAX_CONNECTIONS = 8  # a label printer serves one host at a time; this bounds threads
POLL = 0.2  # seconds between checks for shutdown while a connection is idle


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type, printer: VirtualPrinter):
        self.printer = printer
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.stopping = threading.Event()
        super().__init__(address, handler)


class _PrintHandler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        if not self.server.slots.acquire(blocking=False):
            return  # too many connections: closing at once looks like a busy printer
        try:
            self._serve()
        finally:
            self.server.slots.release()

    def _serve(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(POLL)
        session = self.server.printer.session()
        while not self.server.stopping.is_set():
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            reply, drop = session.feed(data)
            try:
                if reply:
                    sock.sendall(reply)
                if drop:  # RST rather than FIN: the abrupt loss a pulled cable gives
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                    sock.close()
                    return
            except OSError:
                return


class _ControlHandler(socketserver.StreamRequestHandler):
    server: _Server
    timeout = 30

    def handle(self) -> None:
        for raw in self.rfile:
            if self.server.stopping.is_set():
                return
            reply = control_command(self.server.printer, raw.decode("ascii", "replace"))
            self.wfile.write((reply + "\n").encode())


def control_command(printer: VirtualPrinter, line: str) -> str:
    """Apply one control-port command; returns the reply line."""
    words = line.split()
    if not words:
        return "error empty command"
    verb, args = words[0].lower(), words[1:]
    try:
        if verb == "paper-out":
            printer.set_paper_out(int(args[0]) if args else 0)
        elif verb == "paper-in":
            printer.load_paper()
        elif verb in ("offline", "online"):
            printer.set_offline(verb == "offline")
        elif verb in ("head-open", "head-closed"):
            printer.set_head_open(verb == "head-open")
        elif verb in ("ribbon-out", "ribbon-in"):
            printer.set_ribbon_out(verb == "ribbon-out")
        elif verb == "drop-after":
            printer.drop_after(int(args[0]))
        elif verb == "slow":
            printer.set_slow(float(args[0]))
        elif verb == "status":
            return "ok " + json.dumps(printer.describe())
        else:
            return f"error unknown command {verb!r}"
    except (IndexError, ValueError):
        return f"error bad arguments for {verb!r}"
    return "ok"


class SimPrinterServer:
    """The virtual printer on 127.0.0.1: `port` (its language) and optional `control_port`."""

    def __init__(self, printer: VirtualPrinter, *, host: str = "127.0.0.1", port: int = 0,
                 control_port: int | None = None):
        self.printer = printer
        self._print = _Server((host, port), _PrintHandler, printer)
        self._control = (_Server((host, control_port), _ControlHandler, printer)
                         if control_port is not None else None)
        self._threads: list[threading.Thread] = []

    @property
    def port(self) -> int:
        """The bound print port (useful with port 0)."""
        return int(self._print.server_address[1])

    @property
    def control_port(self) -> int | None:
        """The bound control port, if any."""
        return int(self._control.server_address[1]) if self._control else None

    @property
    def uri(self) -> str:
        """The address for label_printer.open_printer: tcp://, or zpl+tcp:// for ZPL."""
        language = "zpl+" if self.printer.language == "zpl" else ""
        return f"{language}tcp://127.0.0.1:{self.port}"

    def start(self) -> SimPrinterServer:
        """Serve in background threads."""
        for server in (self._print, self._control):
            if server is not None:
                thread = threading.Thread(
                    target=server.serve_forever, kwargs={"poll_interval": POLL},
                    name=f"sim-printer-{server.server_address[1]}", daemon=True)
                thread.start()
                self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop accepting, end connections within POLL seconds, close sockets."""
        for server in (self._print, self._control):
            if server is not None:
                server.stopping.set()
                server.shutdown()
                server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> SimPrinterServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
