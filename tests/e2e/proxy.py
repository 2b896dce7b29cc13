"""A TCP proxy on 127.0.0.1 that loses replies: the request reaches the server and is handled,
then the connection to the client is reset instead of the answer being passed back."""

from __future__ import annotations

import json
import selectors
import socket
import struct
import threading
from typing import Any


class LossyProxy:
    """Forwards connections to 127.0.0.1:`upstream_port`; for the first `drops` requests that
    start with `match` the reply is lost (the server has answered, so the work was done)."""

    def __init__(self, upstream_port: int, *, match: bytes, drops: int = 1):
        self.upstream_port = upstream_port
        self.match = match
        self._drops = drops
        self._lock = threading.Lock()
        self.matched: list[bytearray] = []  # the raw bytes of each matching request
        self.lost = 0
        self._stopping = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port> of the proxy."""
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def start(self) -> LossyProxy:
        """Accept connections in a background thread."""
        self._spawn(self._accept)
        return self

    def stop(self) -> None:
        """Stop accepting and end every connection."""
        self._stopping.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._listener.close()

    def __enter__(self) -> LossyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies of the matching requests."""
        with self._lock:
            return [json.loads(bytes(raw).split(b"\r\n\r\n", 1)[1]) for raw in self.matched]

    def _spawn(self, target: Any, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="lossy-proxy")
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            self._spawn(self._pump, client)

    def _pump(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        record: bytearray | None = None
        lose_reply = False
        with client, upstream, selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ)
            selector.register(upstream, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select(timeout=0.05):
                    sock: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client:
                        if record is None and data.startswith(self.match):
                            record = bytearray()
                            with self._lock:
                                self.matched.append(record)
                                lose_reply, self._drops = self._drops > 0, self._drops - 1
                        if record is not None:
                            record.extend(data)
                        upstream.sendall(data)
                    elif lose_reply:
                        # The server answered: the check-in happened. The kiosk never hears.
                        with self._lock:
                            self.lost += 1
                        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                          struct.pack("ii", 1, 0))  # close with RST
                        return
                    else:
                        client.sendall(data)
