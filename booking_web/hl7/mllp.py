"""MLLP (HL7 v2 minimal lower layer protocol): each message framed as 0x0B ... 0x1C 0x0D on a
TCP connection. A threaded server for inbound orders and a one-message client for outbound.

Plain sockets with our own frame reader, not python-hl7's asyncio MLLP server: we must answer
broken framing (bytes outside a frame, a frame started again, one too long) with AR, close a
connection whose sender stops mid-frame after a timeout, and keep every other connection
served meanwhile; a thread per connection, with a cap, does that in a few lines."""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

START, END = b"\x0b", b"\x1c\x0d"
MAX_MESSAGE_BYTES = 512 * 1024  # an order is a few KB; beyond this the frame is refused
READ_TIMEOUT = 30.0  # seconds without a byte before a connection is closed
MAX_CONNECTIONS = 64


@dataclass(frozen=True)
class FramingError:
    """A frame that cannot be a message; `close` when the connection cannot carry on."""

    reason: str
    close: bool = False


class FrameReader:
    """Frames from a socket: bytes (a payload), FramingError, or None at the end."""

    def __init__(self, sock: socket.socket, *, max_bytes: int = MAX_MESSAGE_BYTES):
        self._sock = sock
        self._max = max_bytes
        self._buffer = b""

    def _fill(self) -> bool:
        try:
            chunk = self._sock.recv(65536)
        except (TimeoutError, OSError):
            return False
        self._buffer += chunk
        return bool(chunk)

    def next(self) -> bytes | FramingError | None:
        """The next payload or framing error; None when the peer closed or went quiet."""
        while True:
            start = self._buffer.find(START)
            if start < 0:
                junk = self._buffer.strip()
                self._buffer = b""
                if junk:
                    return FramingError("Bytes outside an MLLP frame (a frame starts with 0x0B)")
                if not self._fill():
                    return None
                continue
            if self._buffer[:start].strip():
                self._buffer = self._buffer[start:]
                return FramingError("Bytes outside an MLLP frame (a frame starts with 0x0B)")
            self._buffer = self._buffer[start:]
            end = self._buffer.find(END, 1)
            restart = self._buffer.find(START, 1)
            if restart >= 0 and (end < 0 or restart < end):
                self._buffer = self._buffer[restart:]
                return FramingError("A frame was started again before it ended (truncated frame)")
            if end > self._max + 1:
                self._buffer = b""
                return FramingError(f"The message is longer than {self._max} bytes", close=True)
            if end >= 0:
                payload, self._buffer = self._buffer[1:end], self._buffer[end + 2:]
                return payload
            if len(self._buffer) > self._max:
                self._buffer = b""
                return FramingError(f"The message is longer than {self._max} bytes", close=True)
            if not self._fill():
                return None  # closed or stopped mid-frame: nobody is waiting for an answer


Handler = Callable[[bytes], bytes]  # a payload in, the ACK's payload out
FramingReply = Callable[[str], bytes]  # a framing error's reason in, the AR's payload out


class MllpServer(socketserver.ThreadingTCPServer):
    """Serves MLLP on (host, port): each frame's payload to `handler`, its answer framed back."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: Handler, framing_reply: FramingReply, *,
                 read_timeout: float = READ_TIMEOUT, max_bytes: int = MAX_MESSAGE_BYTES,
                 max_connections: int = MAX_CONNECTIONS):
        self.handler = handler
        self.framing_reply = framing_reply
        self.read_timeout = read_timeout
        self.max_bytes = max_bytes
        self.slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, _Connection)

    @property
    def port(self) -> int:
        """The port listened on (the real one when 0 was asked for)."""
        return int(self.server_address[1])


class _Connection(socketserver.BaseRequestHandler):
    server: MllpServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        if not self.server.slots.acquire(blocking=False):
            log.warning("hl7: too many connections; closed one from %s", self.client_address[0])
            return
        try:
            sock.settimeout(self.server.read_timeout)
            reader = FrameReader(sock, max_bytes=self.server.max_bytes)
            while (frame := reader.next()) is not None:
                if isinstance(frame, FramingError):
                    reply = self.server.framing_reply(frame.reason)
                else:
                    reply = self.server.handler(frame)
                try:
                    sock.sendall(START + reply + END)
                except OSError:
                    return
                if isinstance(frame, FramingError) and frame.close:
                    return
        except Exception:  # never let one connection's fault reach the server
            log.exception("hl7: connection from %s ended by an error", self.client_address[0])
        finally:
            self.server.slots.release()


def send_message(host: str, port: int, payload: bytes, *, timeout: float) -> bytes:
    """Send one framed message and return the answer's payload. OSError (including
    TimeoutError) when the other end cannot be reached or does not answer in time; ValueError
    when the answer is not one MLLP frame."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(START + payload + END)
        reader = FrameReader(sock)
        answer = reader.next()
    if answer is None:
        raise TimeoutError(f"no answer from {host}:{port}")
    if isinstance(answer, FramingError):
        raise ValueError(answer.reason)
    return answer
