"""The simulator itself: parser, text sidecar, control port, CLI, sim:// backend."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import zxingcpp
from escpos.printer import Dummy, Network
from PIL import Image

import hardware_sim
from hardware_sim import SimPrinterServer, VirtualPrinter
from hardware_sim.escpos_parser import parse_all
from hardware_sim.render import code128_text
from label_printer import LabelData, label_bytes, open_printer
from tests.label_images import same_dots

ROOT = Path(__file__).resolve().parents[2]


def make_label(specimen_id: str = "2611230001") -> LabelData:
    return LabelData(family_name="Иванов", given_name="Дмитрий", date_of_birth=dt.date(1980, 1, 2),
                     nhs_number="9434765919", specimen_id=specimen_id, container="EDTA",
                     tests=("FBC",), site_name="Riverside")


def test_parser_reads_our_label_bytes_as_init_raster_cut():
    names = [c.name for c in parse_all(label_bytes(make_label()))]
    assert names == ["init", "raster", "cut"]


def test_parser_records_unknown_commands_and_keeps_going():
    cmds = parse_all(b"\x1b\x7fhello\n\x1d\x99\x1b@")
    assert [c.name for c in cmds] == ["unknown", "text", "lf", "unknown", "init"]
    assert [c.name for c in parse_all(b"\x1dv0\x00\x01\x00")] == ["truncated"]


def test_python_escpos_text_and_hardware_barcode_over_tcp(tmp_path):
    with SimPrinterServer(VirtualPrinter(tmp_path)) as sim:
        printer = Network("127.0.0.1", sim.port, timeout=2, profile="TM-L90")
        printer.set(bold=True, align="center", double_height=True)
        printer.textln("SMITH, Alice")
        printer.set(bold=False, align="left", normal_textsize=True)
        printer.textln("DOB 04-Mar-1957")
        printer.barcode("{B2611230001", "CODE128", function_type="B", width=3, height=60)
        printer.cut()
        printer.close()
        deadline = time.monotonic() + 5
        while not (tmp_path / "0001.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    meta = json.loads((tmp_path / "0001.json").read_text())
    assert meta["texts"][:2] == ["SMITH, Alice", "DOB 04-Mar-1957"]
    assert meta["barcodes"][0]["text"] == "2611230001"
    decoded = zxingcpp.read_barcodes(Image.open(tmp_path / "0001.png"))
    assert "2611230001" in [r.text for r in decoded]


def test_code_set_c_sent_as_ascii_reads_wrong_like_a_real_printer():
    # DOMAIN 6: python-escpos sends "{C" data as ASCII digits; Epson reads bytes as pairs.
    printer = Dummy(profile="TM-L90")
    printer.barcode("{C2611230001", "CODE128", function_type="B")
    barcode = [c for c in parse_all(printer.output) if c.name == "barcode"][0]
    assert code128_text(barcode.args["data"]) != "2611230001"  # type: ignore[arg-type]
    assert code128_text(b"{C" + bytes([26, 11, 23, 0, 1])) == "2611230001"


def test_control_port_injects_faults(tmp_path):
    with SimPrinterServer(VirtualPrinter(tmp_path), control_port=0) as sim:
        with socket.create_connection(("127.0.0.1", sim.control_port), timeout=2) as ctl:
            stream = ctl.makefile("rw")
            stream.write("offline\n")
            stream.flush()
            assert stream.readline().strip() == "ok"
            assert open_printer(sim.uri, timeout=1).status().state == "fault"
            stream.write("online\npaper-out 1\nstatus\nbogus\n")
            stream.flush()
            replies = [stream.readline().strip() for _ in range(4)]
        assert replies[:2] == ["ok", "ok"]
        assert json.loads(replies[2][3:])["paper_out_after"] == 1
        assert replies[3].startswith("error")
        outcome = open_printer(sim.uri, timeout=1).print_labels([make_label(), make_label()])
        assert [r.state for r in outcome.results] == ["confirmed", "unconfirmed"]


def test_sim_scheme_prints_in_process_through_the_same_renderer(tmp_path, sim_transport):
    printer = open_printer(f"sim://{tmp_path}")
    labels = [make_label("2611230001"), make_label("9911230002")]
    assert printer.status().ok
    assert printer.print_labels(labels).all_confirmed
    files = sorted(tmp_path.glob("*.png"))
    assert [f.name for f in files] == ["0001.png", "0002.png"]
    for path, label in zip(files, labels, strict=True):
        assert same_dots(Image.open(path), label)
    hardware_sim.sim_printer_for(tmp_path).set_paper_out(after=0)
    outcome = printer.print_labels(labels)
    assert outcome.status.state == "fault" and not outcome.labels_in("confirmed")


def test_cli_listens_prints_and_stops_on_sigterm(tmp_path):
    code = "import sys; from hardware_sim.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--port", "0", "--out", str(tmp_path), "--drop-after", "1"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("sim-printer listening on tcp://127.0.0.1:")
        uri = line.split()[3]
        outcome = open_printer(uri, timeout=2).print_labels([make_label(), make_label()])
        assert [r.state for r in outcome.results] == ["confirmed", "unconfirmed"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout:
            proc.stdout.close()
    assert (tmp_path / "0001.png").exists() and not (tmp_path / "0002.png").exists()
