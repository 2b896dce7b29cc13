"""A simulated laboratory (LIMS) MLLP endpoint for the demo and tests: it keeps each HL7 message
it receives as a file (NNNNNN-TYPE.hl7, segments on lines) and answers ACK AA echoing MSH-10,
or AE/AR when told to. Loopback only; a thread per connection."""

from __future__ import annotations

import socketserver
import threading
from pathlib import Path

START, END = b"\x0b", b"\x1c\x0d"


class SimLims(socketserver.ThreadingTCPServer):
    """Listens on 127.0.0.1 (a free port unless one is given); `received` holds the messages."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, out_dir: Path, *, port: int = 0, answer: str = "AA"):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.answer = answer
        self.received: list[str] = []
        self._lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Connection)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port listened on."""
        return int(self.server_address[1])

    def start(self) -> SimLims:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.shutdown()
        self.server_close()

    def keep(self, text: str) -> str:
        """Store one message; the ACK to send back."""
        first = text.split("\r", 1)[0]
        fields = first.split(first[3]) if len(first) > 3 else []
        control = fields[9] if len(fields) > 9 else ""
        kind = fields[8].replace(first[4] if len(first) > 4 else "^", "_") if len(fields) > 8 else "unknown"
        with self._lock:
            self.received.append(text)
            number = len(self.received)
        name = f"{number:06d}-{''.join(c for c in kind if c.isalnum() or c == '_')}.hl7"
        (self.out_dir / name).write_text(text.replace("\r", "\n"), encoding="utf-8")
        return (f"MSH|^~\\&|SIMLIMS|LAB|PHLEBO|PHLEBOTOMY|||ACK|SIM{number:06d}|P|2.5.1\r"
                f"MSA|{self.answer}|{control}\r")


class _Connection(socketserver.BaseRequestHandler):
    server: SimLims

    def handle(self) -> None:
        self.request.settimeout(30)
        buffer = b""
        while True:
            try:
                chunk = self.request.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while START in buffer and END in buffer:
                start = buffer.index(START)
                end = buffer.index(END, start)
                text = buffer[start + 1:end].decode("utf-8", errors="replace")
                buffer = buffer[end + 2:]
                self.request.sendall(START + self.server.keep(text).encode() + END)
