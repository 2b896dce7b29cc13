"""Kiosk fixtures: the contract stub server, a simulated printer, and a built kiosk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from hardware_sim import sim_printer_for
from hardware_sim.printer import VirtualPrinter
from kiosk_app.api_client import KioskApi
from kiosk_app.config import KioskConfig
from kiosk_app.effects import Services
from kiosk_app.printing import printer_factory
from tests.kiosk.stub_server import KEY, StubKioskServer

TODAY = dt.date(2026, 11, 23)
DOB = dt.date(1957, 3, 4)
REFERENCE = "ABCDEFGHJ"


@pytest.fixture
def stub() -> Iterator[StubKioskServer]:
    """The contract stub with one booking (ABC-DEF-GHJ, born 4 March 1957)."""
    with StubKioskServer() as server:
        server.add(REFERENCE, DOB.isoformat())
        yield server


@pytest.fixture
def labels_dir(tmp_path: Path) -> Path:
    """Where the simulated printer writes its labels."""
    return tmp_path / "labels"


@pytest.fixture
def sim_printer(labels_dir: Path, sim_transport: None) -> VirtualPrinter:
    """The in-process simulated printer behind sim:///labels_dir."""
    return sim_printer_for(labels_dir)


@pytest.fixture
def config(stub: StubKioskServer, labels_dir: Path, tmp_path: Path) -> KioskConfig:
    """Kiosk config pointing at the stub and the simulated printer (dev mode off)."""
    return KioskConfig(server_url=stub.url, kiosk_key=KEY, printer_uri=f"sim://{labels_dir}",
                       idle_seconds=45, outbox_path=tmp_path / "outbox.json")


@pytest.fixture
def services(config: KioskConfig, sim_printer: VirtualPrinter) -> Iterator[Services]:
    """API client (no retry pauses) and printer factory for the config."""
    api = KioskApi(config.server_url, config.kiosk_key, timeout=2.0,
                   outbox_path=config.outbox_path, pauses=())
    yield Services(api=api, printer=printer_factory(config.printer_uri, timeout=2.0))
    api.close()


@pytest.fixture
def make_kiosk(qtbot, config: KioskConfig, services: Services):
    """Build a kiosk window at 1280 x 800 on the stub and simulated printer; closed after."""
    from kiosk_app.app import Kiosk, bootstrap

    built: list[Kiosk] = []

    def make(**overrides: object) -> Kiosk:
        kiosk = bootstrap(replace(config, **overrides), services=services)
        built.append(kiosk)
        kiosk.window.resize(1280, 800)
        kiosk.window.show()
        qtbot.waitExposed(kiosk.window)
        return kiosk

    yield make
    for kiosk in built:
        kiosk.close()
