"""ZPL end to end over real sockets: label_printer (zpl+tcp://) -> hardware_sim speaking ZPL ->
PNG -> zxing-cpp; and every fault a Zebra reports, held labels cancelled so none prints twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image

from hardware_sim import SimPrinterServer, VirtualPrinter
from hardware_sim.backend import open_sim, sim_printer_for
from label_printer import LabelData, LabelSize, StreamPrinter, open_printer
from label_printer.backends.tcp import open_tcp
from label_printer.languages.zpl import Zpl
from tests.integration.test_printing_tcp import silent_printer  # noqa: F401 (a fixture)
from tests.zpl_labels import label

ROOT = Path(__file__).resolve().parents[2]
IDS = ["2611230001", "2611230002", "2611230003", "2611230004"]


def make_labels(n: int = 4) -> list[LabelData]:
    return [label(specimen_id=IDS[i], sequence=(i + 1, n)) for i in range(n)]


@pytest.fixture
def zebra(tmp_path: Path) -> Iterator[SimPrinterServer]:
    with SimPrinterServer(VirtualPrinter(tmp_path / "out", language="zpl")) as server:
        yield server


def printed(server: SimPrinterServer) -> list[dict[str, object]]:
    """Sidecars of the labels on paper (once the printer has printed what it can), each with
    the barcode zxing-cpp reads from its PNG."""
    server.printer.wait_idle()
    out = []
    for path in sorted(server.printer.out_dir.glob("*.png")):
        meta = json.loads(path.with_suffix(".json").read_text())
        meta["decoded"] = [(r.text, r.format) for r in zxingcpp.read_barcodes(Image.open(path))]
        out.append(meta)
    return out


def test_labels_print_in_order_and_each_printer_drawn_barcode_decodes(zebra):
    assert zebra.uri.startswith("zpl+tcp://")
    labels = make_labels()
    outcome = open_printer(zebra.uri, timeout=2).print_labels(labels)
    assert [r.state for r in outcome.results] == ["confirmed"] * 4, outcome.detail
    on_paper = printed(zebra)
    assert [m["decoded"] for m in on_paper] == [
        [(i, zxingcpp.BarcodeFormat.Code128)] for i in IDS]
    for meta, lab in zip(on_paper, labels, strict=True):
        size = LabelSize()
        assert meta["size"] == [size.width_dots, size.height_dots]  # ^PW x ^LL of the stock
        assert meta["language"] == "zpl" and not meta["unknown"]
        assert "WHITFIELD, Margaret" in meta["texts"] and lab.specimen_id in meta["texts"]


def test_paper_out_mid_job_holds_the_label_cancels_it_and_the_retry_prints_it_once(zebra):
    zebra.printer.set_paper_out(after=2)
    printer = open_printer(zebra.uri, timeout=2)
    outcome = printer.print_labels(make_labels())
    assert [r.state for r in outcome.results] == [
        "confirmed", "confirmed", "unconfirmed", "not_sent"]
    assert outcome.status.state == "fault" and "paper out" in outcome.status.detail
    zebra.printer.load_paper()  # the held third label would print now, had it not been cancelled
    assert zebra.printer.wait_idle()
    assert len(printed(zebra)) == 2
    retry = printer.print_labels(outcome.retry_labels())
    assert retry.all_confirmed
    on_paper = printed(zebra)
    assert [m["decoded"][0][0] for m in on_paper] == IDS  # each once, in order
    assert ["REPRINT" in m["texts"] for m in on_paper] == [False, False, True, False]


def test_without_cancel_a_held_label_prints_when_the_fault_clears(zebra):
    # Why `abandon` sends ~JA: a Zebra keeps a format through paper out and prints it later.
    zebra.printer.set_paper_out()
    session = zebra.printer.session()
    session.feed(Zpl().encode(make_labels(1)[0]))
    time.sleep(0.3)
    assert printed(zebra) == []
    zebra.printer.load_paper()
    assert [m["decoded"][0][0] for m in printed(zebra)] == IDS[:1]


@pytest.mark.parametrize("fault, words", [
    (lambda p: p.set_head_open(), "print head open"),
    (lambda p: p.set_offline(), "printer paused"),
    (lambda p: p.set_paper_out(), "paper out"),
])
def test_a_fault_before_the_job_sends_nothing(zebra, fault, words):
    fault(zebra.printer)
    printer = open_printer(zebra.uri, timeout=2)
    status = printer.status()
    outcome = printer.print_labels(make_labels(2))
    assert status.state == "fault" and words in status.detail
    assert [r.state for r in outcome.results] == ["not_sent", "not_sent"]
    assert printed(zebra) == []


def test_head_opened_mid_job_then_closed(zebra):
    printer = open_printer(zebra.uri, timeout=2)
    zebra.printer.set_slow(0.3)
    zebra.printer.set_head_open()
    outcome = printer.print_labels(make_labels(2))
    assert outcome.status.detail.startswith("print head open")
    zebra.printer.set_head_open(False)
    assert printer.print_labels(make_labels(2)).all_confirmed


def test_ribbon_out_only_matters_to_a_thermal_transfer_printer(tmp_path):
    for thermal_transfer, state in ((True, "fault"), (False, "ok")):
        printer = VirtualPrinter(tmp_path / str(thermal_transfer), language="zpl",
                                 thermal_transfer=thermal_transfer)
        printer.set_ribbon_out()
        with SimPrinterServer(printer) as sim:
            status = open_printer(sim.uri, timeout=2).status()
        assert status.state == state, status
        assert state == "ok" or "ribbon out" in status.detail


def test_firmware_silent_to_host_status_while_faulted_is_read_through_error_status(tmp_path):
    printer = VirtualPrinter(tmp_path, language="zpl", hs_silent_on_error=True)
    with SimPrinterServer(printer) as sim:
        printer.set_paper_out(after=1)
        started = time.monotonic()
        outcome = open_printer(sim.uri, timeout=0.5).print_labels(make_labels(3))
        took = time.monotonic() - started
    assert [r.state for r in outcome.results] == ["confirmed", "unconfirmed", "not_sent"]
    assert outcome.status.state == "fault" and "paper out" in outcome.status.detail
    assert took < 3  # one short timeout for the silent ~HS, not a long wait


def test_a_dropped_connection_leaves_the_label_unconfirmed_and_the_next_job_works(zebra):
    zebra.printer.drop_after(1)
    printer = open_printer(zebra.uri, timeout=2)
    outcome = printer.print_labels(make_labels(3))
    assert [r.state for r in outcome.results] == ["confirmed", "unconfirmed", "not_sent"]
    assert outcome.status.state == "unknown"
    assert printer.print_labels(outcome.retry_labels()).all_confirmed
    assert [m["decoded"][0][0] for m in printed(zebra)] == IDS[:3]


def test_a_slow_printer_is_polled_until_each_label_is_out(zebra):
    zebra.printer.set_slow(0.25)
    started = time.monotonic()
    outcome = open_printer(zebra.uri, timeout=2).print_labels(make_labels(3))
    assert outcome.all_confirmed and time.monotonic() - started >= 0.75
    assert len(printed(zebra)) == 3


def test_a_label_stuck_in_the_printer_is_unknown_after_the_print_wait(zebra):
    zebra.printer.set_slow(3)
    link = open_tcp(urlsplit(zebra.uri), timeout=2, connect_timeout=2)
    printer = StreamPrinter(link.connect, Zpl(print_wait=0.5), name=link.name)
    outcome = printer.print_labels(make_labels(2))
    assert [r.state for r in outcome.results] == ["unconfirmed", "not_sent"]
    assert outcome.status.state == "unknown" and "still printing" in outcome.status.detail


def test_a_printer_that_never_answers_is_unknown_quickly(silent_printer):  # noqa: F811
    printer = open_printer(f"zpl+tcp://127.0.0.1:{silent_printer}", timeout=0.5)
    started = time.monotonic()
    status = printer.status()
    outcome = printer.print_labels(make_labels(2))
    assert time.monotonic() - started < 4
    assert status.state == "unknown" and "did not answer" in status.detail
    assert not any(r.state == "confirmed" for r in outcome.results)


def test_zpl_over_the_in_process_simulator(tmp_path):
    # The sim:// transport directly (registering it would change every later test's registry).
    link = open_sim(urlsplit(f"zpl+sim://{tmp_path}"), timeout=1, connect_timeout=1)
    printer = StreamPrinter(link.connect, Zpl(), name=link.name)
    assert printer.print_labels(make_labels(2)).all_confirmed
    sim = sim_printer_for(tmp_path, "zpl")
    assert sim.wait_idle() and len(list(tmp_path.glob("*.png"))) == 2


def test_cli_speaks_zpl_when_asked(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "phlebo", "sim-printer", "--language", "zpl", "--port", "0",
         "--out", str(tmp_path)], stdout=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("sim-printer listening on zpl+tcp://127.0.0.1:"), line
        outcome = open_printer(line.split()[3], timeout=2).print_labels(make_labels(1))
        assert outcome.all_confirmed
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout:
            proc.stdout.close()
    assert json.loads((tmp_path / "0001.json").read_text())["language"] == "zpl"
