"""End to end with real parts: the real Flask app served over HTTP on 127.0.0.1 (a SQLite file),
the real kiosk window (offscreen Qt), the simulated label printer over TCP writing PNGs, and the
print worker that sends the server's queued jobs (labels at the chair, staff reprints).

Each test gets its own database, server, printer and kiosk; all are stopped after the test.
The app's clock is moved by the test (booked the day before, at the kiosk at 08:55); the kiosk
has no clock of its own for the check-in window, the server decides."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

import shared.models  # noqa: F401
from booking_web import create_app
from booking_web.print_worker import PrintWorker
from booking_web.reference_data import ensure_reference_data
from booking_web.services.accounts import create_api_key
from booking_web.services.catalogue import seed_catalogue
from hardware_sim import SimPrinterServer, VirtualPrinter
from kiosk_app.api_client import KioskApi
from kiosk_app.config import KioskConfig
from kiosk_app.effects import Services
from kiosk_app.printing import printer_factory
from shared.config import Settings
from shared.db import make_engine
from shared.models import KeyKind
from tests.factories import SETUP, make_clinic, make_site, make_staff

DAY = dt.date(2026, 11, 23)  # a Monday in winter: London time is UTC
BOOKED_AT = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)  # booked the day before
ARRIVES_AT = dt.datetime(2026, 11, 23, 8, 55, tzinfo=dt.UTC)  # at the kiosk, 5 min early
PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


class _Handler(WSGIRequestHandler):
    """One request per connection (HTTP/1.0): a stopped server really is gone, with no kept-alive
    connection still answering. No access log."""

    protocol_version = "HTTP/1.0"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LiveServer:
    """create_app() served by werkzeug in a thread; stop() and start() again keep the port."""

    def __init__(self, app: Flask):
        self.app = app
        self.port = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """http://127.0.0.1:<port>."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        """Listen (on the same port as before, after a stop)."""
        assert self._server is None, "already running"
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True,
                                   request_handler=_Handler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, name="e2e-server",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting and close the listening socket (connections are refused after)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join(timeout=10)
        self._server = self._thread = None


@dataclass
class World:
    """One site's day: the running server and printer, and the keys and ids a test needs."""

    app: Flask
    engine: Engine
    settings: Settings
    server: LiveServer
    printer: VirtualPrinter
    sim: SimPrinterServer
    labels_dir: Path
    tmp: Path
    site_id: int
    partner_key: str
    kiosk_key: str
    phlebotomist: str = "pat"
    admin: str = "ada"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The live server's address."""
        return self.server.url

    def session(self) -> Session:
        """A short-lived session (close it soon: SQLite transactions here take the write lock)."""
        return Session(self.engine, expire_on_commit=False)

    def at(self, instant: dt.datetime) -> None:
        """Move the app's clock."""
        self.app.extensions["phlebo"].clock = lambda: instant

    def pngs(self) -> list[Path]:
        """The labels the simulator printed, in print order."""
        return sorted(self.labels_dir.glob("[0-9][0-9][0-9][0-9].png"))


@pytest.fixture
def printer_language() -> str:
    """The simulated printer's language (tests parametrize this name to run in both)."""
    return "escpos"


@pytest.fixture
def world(tmp_path: Path, printer_language: str) -> Iterator[World]:
    """A fresh SQLite file with the catalogue, Leeds General with a 09:00-12:00 clinic today, a
    partner key, a kiosk key for the site, a phlebotomist and an admin; the app live on a free
    port with its clock at the day before; the simulated printer listening on another."""
    engine = make_engine(f"sqlite:///{tmp_path / 'phlebo.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        ensure_reference_data(session)
        seed_catalogue(session=session)
        site = make_site(session, name="Leeds General")
        assert site.id is not None
        make_clinic(session, site=site, day=DAY, start=dt.time(9), end=dt.time(12), chairs=3)
        partner = create_api_key(session=session, actor=SETUP, name="GP system", kind=KeyKind.PARTNER,
                                 now=BOOKED_AT)
        kiosk = create_api_key(session=session, actor=SETUP, name="Kiosk, Leeds General", kind=KeyKind.KIOSK,
                               site_id=site.id, now=BOOKED_AT)
        make_staff(session, role="phlebotomist", username="pat", password=PASSWORD,
                   site_id=site.id)
        make_staff(session, role="admin", username="ada", password=PASSWORD)
        site_id = site.id
    # Secret and instance folder through the environment mapping: an override alone would
    # still make ./instance/secret_key in the working directory.
    settings = Settings.from_env(
        {"PHLEBO_SECRET_KEY": "e2e-test-secret", "PHLEBO_INSTANCE_DIR": str(tmp_path / "instance")},
        database_url=engine.url.render_as_string(hide_password=False),
        outbox_dir=tmp_path / "outbox")
    app = create_app(settings, engine=engine)
    server = LiveServer(app)
    labels_dir = tmp_path / "labels"
    printer = VirtualPrinter(labels_dir, language=printer_language)  # type: ignore[arg-type]
    sim = SimPrinterServer(printer)
    made = World(app, engine, settings, server, printer, sim, labels_dir, tmp_path, site_id,
                 partner, kiosk)
    made.at(BOOKED_AT)
    server.start()
    sim.start()
    # `phlebo print-worker` beside the site, as in production (labels at the chair, staff
    # reprints). Its clock runs on from the app's (stopped) one, so retries come due.
    started = time.monotonic()
    worker = PrintWorker(engine=engine, settings=settings, interval=0.1,
                         clock=lambda: app.extensions["phlebo"].clock() + dt.timedelta(
                             seconds=time.monotonic() - started)).start()
    try:
        yield made
    finally:
        worker.stop()
        sim.stop()
        server.stop()
        engine.dispose()


@pytest.fixture
def make_kiosk(qtbot, world: World):  # type: ignore[no-untyped-def]
    """Build the real kiosk (bootstrap) on the live server and the simulated printer over TCP, at
    1280 x 800, kiosk mode; closed after the test. `server_url` points it elsewhere (a proxy)."""
    from kiosk_app.app import Kiosk, bootstrap

    built: list[Kiosk] = []

    def make(*, server_url: str | None = None) -> Kiosk:
        config = KioskConfig(server_url=server_url or world.url, kiosk_key=world.kiosk_key,
                             printer_uri=world.sim.uri, idle_seconds=60, http_timeout=3.0,
                             printer_timeout=2.0, outbox_path=world.tmp / "kiosk-outbox.json")
        # The product's 50 ms scan gap: keys are timed by their press timestamps, so a loaded
        # CI box that does not schedule the GUI thread for 50+ ms mid-scan no longer splits a
        # scan (it did when keys were timed on arrival; this file then used 500 ms).
        # Short pauses between retries (the product's are for people, not tests).
        api = KioskApi(config.server_url, config.kiosk_key, timeout=config.http_timeout,
                       checkin_tries=config.checkin_tries, outbox_path=config.outbox_path,
                       pauses=(0.05,))
        services = Services(api=api, printer=printer_factory(config.printer_uri,
                                                             timeout=config.printer_timeout))
        kiosk = bootstrap(config, services=services)
        built.append(kiosk)
        kiosk.window.resize(1280, 800)
        kiosk.window.show()
        qtbot.waitExposed(kiosk.window)
        return kiosk

    yield make
    for kiosk in built:
        kiosk.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/e2e/: a screenshot and label images for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
