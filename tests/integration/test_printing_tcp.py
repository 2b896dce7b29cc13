"""End to end over real sockets: label_printer -> tcp -> hardware_sim -> PNG -> zxing."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from hardware_sim import SimPrinterServer, VirtualPrinter
from label_printer import LabelData, open_printer
from label_printer.layout import QUIET_MODULES
from tests.label_images import same_dots

IDS = ["2611230001", "2611230002", "9911230003", "2611230004"]
CONTAINERS = ["Citrate", "Serum gel", "EDTA", "Fluoride oxalate"]


def make_labels(n: int = 4) -> list[LabelData]:
    return [LabelData(family_name="Łukasz-O'Brien", given_name="Zoë",
                      date_of_birth=dt.date(1957, 3, 4), nhs_number="9434765919",
                      specimen_id=IDS[i], container=CONTAINERS[i], tests=("FBC",),
                      site_name="Riverside Health Centre", sequence=(i + 1, n))
            for i in range(n)]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimPrinterServer]:
    with SimPrinterServer(VirtualPrinter(tmp_path / "out"), control_port=0) as server:
        yield server


def pngs(server: SimPrinterServer) -> list[Path]:
    return sorted(server.printer.out_dir.glob("*.png"))


def test_four_labels_print_in_order_and_each_barcode_decodes(sim):
    labels = make_labels()
    outcome = open_printer(sim.uri, timeout=2).print_labels(labels)
    assert [r.state for r in outcome.results] == ["confirmed"] * 4
    assert outcome.all_confirmed and outcome.status.state == "ok"
    files = pngs(sim)
    assert [f.name for f in files] == ["0001.png", "0002.png", "0003.png", "0004.png"]
    for path, label in zip(files, labels, strict=True):
        image = Image.open(path)
        assert image.size == (406, 199)  # the printer's 2-inch head, 25 mm of label
        results = zxingcpp.read_barcodes(image)
        assert [(r.text, r.format) for r in results] == [
            (label.specimen_id, zxingcpp.BarcodeFormat.Code128)]
        left = min(p.x for p in (results[0].position.top_left, results[0].position.bottom_left))
        right = max(p.x for p in (results[0].position.top_right, results[0].position.bottom_right))
        assert left >= QUIET_MODULES * 3 and right <= 406 - QUIET_MODULES * 3
        # Lossless path: the printed PNG is exactly label_printer's own render.
        assert same_dots(image, label)


def test_sidecar_records_session_and_no_unknown_commands(sim):
    open_printer(sim.uri).print_labels(make_labels(2))
    meta = json.loads((sim.printer.out_dir / "0002.json").read_text())
    assert meta["label"] == 2 and meta["size"] == [406, 199] and meta["unknown"] == []
    events = (sim.printer.out_dir / "index.jsonl").read_text().splitlines()
    assert [json.loads(e)["file"] for e in events] == ["0001.png", "0002.png"]


def test_paper_out_mid_job(sim):
    sim.printer.set_paper_out(after=2)
    outcome = open_printer(sim.uri, timeout=2).print_labels(make_labels())
    assert [r.state for r in outcome.results] == ["confirmed", "confirmed", "unconfirmed",
                                                  "not_sent"]
    assert outcome.status.state == "fault" and "paper out" in outcome.status.detail
    assert "2 of 4 labels printed" in outcome.detail
    assert len(pngs(sim)) == 2
    retry = outcome.retry_labels()
    assert [(label.specimen_id, label.reprint) for label in retry] == [
        (IDS[2], True), (IDS[3], False)]
    assert open_printer(sim.uri).status().state == "fault"
    sim.printer.load_paper()
    assert open_printer(sim.uri).print_labels(retry).all_confirmed
    assert len(pngs(sim)) == 4


def test_offline_printer_gets_nothing(sim):
    sim.printer.set_offline()
    printer = open_printer(sim.uri, timeout=2)
    assert printer.status().state == "fault"
    outcome = printer.print_labels(make_labels())
    assert [r.state for r in outcome.results] == ["not_sent"] * 4
    assert outcome.status.state == "fault" and "offline" in outcome.status.detail
    assert pngs(sim) == []


def test_connection_dropped_mid_job(sim):
    sim.printer.drop_after(2)
    outcome = open_printer(sim.uri, timeout=2).print_labels(make_labels())
    assert [r.state for r in outcome.results] == ["confirmed", "confirmed", "unconfirmed",
                                                  "not_sent"]
    assert outcome.status.state == "unknown"
    assert len(pngs(sim)) == 2
    assert open_printer(sim.uri).status().state == "ok"  # the drop was one-shot


@pytest.fixture
def silent_printer() -> Iterator[int]:
    """Accepts connections and swallows bytes but never answers a status query."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(0.2)
            held.append(conn)
            for c in list(held):
                try:
                    c.recv(65536)
                except OSError:
                    pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for c in held:
        c.close()
    listener.close()


def test_printer_that_never_answers_is_unknown_and_bounded(silent_printer):
    printer = open_printer(f"tcp://127.0.0.1:{silent_printer}", timeout=1.0)
    started = time.monotonic()
    status = printer.status()
    outcome = printer.print_labels(make_labels())
    assert time.monotonic() - started < 4
    assert status.state == "unknown" and not status.ok
    assert outcome.status.state == "unknown"
    assert not any(r.state == "confirmed" for r in outcome.results)


def test_nothing_listening_is_a_quick_fault():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # free port, closed again below
    printer = open_printer(f"tcp://127.0.0.1:{port}")
    started = time.monotonic()
    status = printer.status()
    outcome = printer.print_labels(make_labels(1))
    assert time.monotonic() - started < 2
    assert status.state in ("fault", "unknown") and "127.0.0.1" in status.detail
    assert [r.state for r in outcome.results] == ["not_sent"]


def test_slow_printer_still_confirms(sim):
    sim.printer.set_slow(0.2)
    started = time.monotonic()
    outcome = open_printer(sim.uri, timeout=2).print_labels(make_labels(2))
    assert outcome.all_confirmed and time.monotonic() - started >= 0.4
