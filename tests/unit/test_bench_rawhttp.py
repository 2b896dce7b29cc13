"""The bench's minimal HTTP client (bench/rawhttp.py) against a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.rawhttp import Connection, TransportError


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the response says close

    def log_message(self, *args: object) -> None:
        pass

    def setup(self) -> None:  # once per connection
        super().setup()
        self.server.connections += 1  # type: ignore[attr-defined]

    def _reply(self, status: int, body: dict[str, object], close: bool = False) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/slow"):
            threading.Event().wait(1.0)
        self._reply(200, {"path": self.path, "auth": self.headers.get("Authorization")},
                    close=self.path.startswith("/close"))

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self._reply(409 if body.get("full") else 201, {"echo": body})


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the timeout test hangs up on the slow handler, whose late write then fails


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.connections = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _url(httpd: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def test_get_with_query_post_json_and_keep_alive(server: ThreadingHTTPServer) -> None:
    async def go() -> list[object]:
        conn = Connection(_url(server), {"Authorization": "Bearer k"}, timeout_s=5)
        try:
            first = await conn.request("GET", "/slots", params={"site_id": 3, "date": "2026-11-24"})
            second = await conn.request("POST", "/book", json_body={"slot_id": 7, "name": "Seán"})
            third = await conn.request("POST", "/book", json_body={"full": True})
            return [first.status_code, first.json(), second.status_code, second.json(),
                    third.status_code]
        finally:
            await conn.close()

    got = asyncio.run(go())
    assert got == [200, {"path": "/slots?site_id=3&date=2026-11-24", "auth": "Bearer k"},
                   201, {"echo": {"slot_id": 7, "name": "Seán"}}, 409]
    assert server.connections == 1  # type: ignore[attr-defined]  # one connection, kept alive


def test_reconnects_after_connection_close(server: ThreadingHTTPServer) -> None:
    async def go() -> list[int]:
        conn = Connection(_url(server), {}, timeout_s=5)
        try:
            return [(await conn.request("GET", f"/close/{n}")).status_code for n in range(3)]
        finally:
            await conn.close()

    assert asyncio.run(go()) == [200, 200, 200]
    assert server.connections == 3  # type: ignore[attr-defined]


def test_timeout_and_refused_connection_are_reported(server: ThreadingHTTPServer) -> None:
    async def slow() -> None:
        conn = Connection(_url(server), {}, timeout_s=0.2)
        await conn.request("GET", "/slow")

    with pytest.raises(TimeoutError):
        asyncio.run(slow())
    server.shutdown()
    server.server_close()

    async def refused() -> None:
        await Connection(_url(server), {}, timeout_s=1).request("GET", "/")

    with pytest.raises(TransportError):
        asyncio.run(refused())


def test_only_plain_http_to_loopback() -> None:
    with pytest.raises(ValueError):
        Connection("http://example.org:80", {}, timeout_s=1)
    with pytest.raises(ValueError):
        Connection("https://127.0.0.1:443", {}, timeout_s=1)
