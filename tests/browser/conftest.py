"""The real app served over HTTP to a real Chromium: a live server on a seeded SQLite file, one
browser for the package, and a fresh browser context (cookies, viewport) for every test.

The browser tests run on SQLite only: the database engines are proven by tests/integration."""

from __future__ import annotations

import dataclasses
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, delete
from werkzeug.serving import WSGIRequestHandler, make_server

import shared.models  # noqa: F401
from booking_web import create_app
from booking_web.demo_data import seed_demo
from booking_web.reference_data import ensure_reference_data
from shared.config import Settings
from shared.db import make_engine
from shared.models.booking import RateLimitBucket
from tests.browser.pages import Site
from tests.conftest import NOW

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


class _QuietHandler(WSGIRequestHandler):
    """No access log (a journey is dozens of requests); errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def connection_dropped(self, error: BaseException, environ: dict | None = None) -> None:  # type: ignore[type-arg]
        """Close the answer the browser walked away from (werkzeug skips its close() when reading
        the dropped socket raises, and the open static file is then a ResourceWarning)."""
        answer = (environ or {}).get(_ANSWER)
        if answer is not None and hasattr(answer, "close"):
            answer.close()


_ANSWER = "tests.answer"


def _keeping_answer(app: Flask):  # type: ignore[no-untyped-def]
    """The app, with each answer's iterable kept in the environ for connection_dropped."""

    def wsgi(environ, start_response):  # type: ignore[no-untyped-def]
        answer = app(environ, start_response)
        environ[_ANSWER] = answer
        return answer

    return wsgi


@dataclass
class LiveServer:
    """The running app: its address, its database and its Flask object (to move settings)."""

    url: str
    app: Flask
    engine: Engine
    settings: Settings

    def session(self) -> Session:
        """A database session for the test to look at or change what the browser sees."""
        return Session(self.engine, expire_on_commit=False)

    def set(self, **changes: object) -> None:
        """Change settings of the running app (undone after each test by the `site` fixture)."""
        state = self.app.extensions["phlebo"]
        state.settings = dataclasses.replace(state.settings, **changes)


@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """create_app() on a SQLite file with the demo sites and six weeks of clinics, served by
    werkzeug on 127.0.0.1 (a free port) in a thread, with the clock stopped at NOW."""
    folder = tmp_path_factory.mktemp("live")
    engine = make_engine(f"sqlite:///{folder / 'phlebo.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        ensure_reference_data(session)
        seed_demo(session=session, now=NOW)
    # Every browser request comes from 127.0.0.1: the per-address limits would otherwise be
    # reached by the suite itself. Tests that prove the limits lower them with `set`.
    settings = Settings.from_env(
        {},
        database_url=engine.url.render_as_string(hide_password=False),
        instance_dir=folder / "instance",
        secret_key="browser-test-secret",
        outbox_dir=folder / "outbox",
        booking_limit_per_hour=10_000,
        lookup_limit_per_minute=10_000,
    )
    app = create_app(settings, engine=engine)
    app.extensions["phlebo"].clock = lambda: NOW
    server = make_server(
        "127.0.0.1", 0, _keeping_answer(app), threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, engine, settings)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        engine.dispose()


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium package. "
            "`make test` installs it (it is listed in scripts/system-packages.txt)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _no_attempts_counted(request: pytest.FixtureRequest) -> None:
    """Each test on the live server starts with no rate-limit attempts counted. Its clock is
    stopped, so a window never ends: without this, staff sign-ins from 127.0.0.1 add up across
    the suite (20 per address per window) and a late test's sign-in is refused."""
    if "live_server" not in request.fixturenames:
        return
    live: LiveServer = request.getfixturevalue("live_server")
    with Session(live.engine) as session:
        session.exec(delete(RateLimitBucket))  # type: ignore[call-overload]
        session.commit()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """test-artifacts/browser/<test name>/, emptied first: screenshots land here."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    folder = ARTIFACTS / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def site(live_server: LiveServer, browser, artifacts: Path) -> Iterator[Site]:  # type: ignore[no-untyped-def]
    """A patient's browser (new context: no cookies) at desktop size, on the live server."""
    state = live_server.app.extensions["phlebo"]
    settings, clock = state.settings, state.clock
    made = Site(browser, live_server, artifacts)
    yield made
    made.close()
    state.settings, state.clock = settings, clock  # undo what the test changed
