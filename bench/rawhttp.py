"""A minimal HTTP/1.1 client on asyncio streams, for the load generator.

httpx cost the generator about 12 ms of CPU per booking (a third of the machine's CPU during the
rush, on the same two cores as the server). This client does only what the bench needs: one
request at a time per connection, Content-Length bodies, keep-alive when the server allows it
(gunicorn's sync workers close after each response; gthread keeps the connection). Loopback only."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


class TransportError(Exception):
    """The connection failed, closed early or sent something that is not HTTP/1.1."""


@dataclass
class Response:
    """Status and body of one response."""

    status_code: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


class Connection:
    """One client connection: reconnects when the server closes it."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout_s: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the bench client talks plain HTTP to loopback only")
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout_s = timeout_s
        fixed = {"Host": f"{self.host}:{self.port}", **headers}
        self._fixed = "".join(f"{name}: {value}\r\n" for name, value in fixed.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        """Close the socket if open."""
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass
        self._reader = self._writer = None

    async def request(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None
    ) -> Response:
        """Send one request and read its response; TransportError or TimeoutError on failure."""
        try:
            exchange = self._exchange(method, path, params, json_body)
            return await asyncio.wait_for(exchange, self.timeout_s)
        except TimeoutError:  # before OSError, of which it is a subclass
            await self.close()
            raise
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            await self.close()
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        except BaseException:
            await self.close()
            raise

    async def _exchange(
        self, method: str, path: str, params: dict[str, Any] | None, json_body: Any
    ) -> Response:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None and self._writer is not None
        target = f"{path}?{urlencode(params)}" if params else path
        body = b"" if json_body is None else json.dumps(json_body).encode()
        head = f"{method} {target} HTTP/1.1\r\n{self._fixed}"
        if json_body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self._writer.write(head.encode("latin-1") + b"\r\n" + body)
        status_line = await self._reader.readuntil(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ValueError(f"not an HTTP response: {status_line[:40]!r}")
        status = int(parts[1])
        length, close = 0, parts[0] == b"HTTP/1.0"
        while True:
            line = await self._reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = value.strip().lower() == b"close"
            elif name == b"transfer-encoding":
                raise ValueError("chunked responses are not supported by the bench client")
        payload = await self._reader.readexactly(length) if length else b""
        if close:
            await self.close()
        return Response(status, payload)
