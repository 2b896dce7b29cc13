"""One contract, run over every Transport: tcp (to the simulator over a real socket), sim (the
simulator in-process), file (a spool file) and usb (only with a real printer plugged in), as
pypi/warehouse runs one interface's tests over all its implementations, and over both printer
languages (ESC/POS, ZPL II: the simulator speaks each). Each rig says how to reach a ready
printer, how to see what arrived on paper, and how its link breaks mid-job.

What every transport must do for the print loop (label_printer/backends/job.py) and for any
Language:
- bytes sent arrive once, whole and in order; a ready printer reads as ok;
- silence is None, never an error; a closed link fails as TransportFailure, and closing twice
  is harmless;
- a send that fails raises TransportFailure: that label stays unconfirmed, nothing after it."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image

from hardware_sim import SimPrinterServer, VirtualPrinter, sim_printer_for
from hardware_sim.backend import open_sim
from hardware_sim.printer import Language as SimLanguage
from label_printer import LabelData, Language, Link, StreamPrinter, TransportFailure, language_named
from label_printer.backends.file import open_file
from label_printer.backends.job import check_status
from label_printer.backends.tcp import open_tcp
from label_printer.backends.usb import open_usb

IDS = ["2611230001", "2611230002", "2611230003"]
TIMEOUT = 0.5


def make_label(specimen_id: str) -> LabelData:
    return LabelData(family_name="Jones", given_name="Ceri", date_of_birth=dt.date(1961, 7, 9),
                     nhs_number="9434765919", specimen_id=specimen_id, container="EDTA",
                     tests=("FBC",), site_name="Riverside", sequence=(IDS.index(specimen_id) + 1,
                                                                      len(IDS)))


def printed_ids(printer: VirtualPrinter) -> list[str]:
    """The specimen ids decoded from the printed PNGs, in print order (once it is idle)."""
    printer.wait_idle()
    ids = []
    for path in sorted(printer.out_dir.glob("*.png")):
        found = zxingcpp.read_barcodes(Image.open(path))
        ids.append(found[0].text if found else "?")
    return ids


@dataclass
class Rig:
    """One transport under test, in one printer language."""

    language: Language
    link: Link  # to a ready printer
    arrived: Callable[[], list[str] | None]  # specimen ids on paper, in order (None: can't see)
    breaking: Callable[[], tuple[Link, list[str]]]  # a link that fails mid-job, and the states


def _tcp(tmp_path: Path, language: SimLanguage) -> Iterator[Rig]:
    printer = VirtualPrinter(tmp_path / "tcp", language=language)
    with SimPrinterServer(printer) as sim:
        link = open_tcp(urlsplit(sim.uri), timeout=TIMEOUT, connect_timeout=TIMEOUT)

        def breaking() -> tuple[Link, list[str]]:
            printer.drop_after(1)  # the connection is cut when the second label's data comes
            return link, ["confirmed", "unconfirmed", "not_sent"]

        yield Rig(language_named(language), link, lambda: printed_ids(printer), breaking)


def _sim(tmp_path: Path, language: SimLanguage) -> Iterator[Rig]:
    out = tmp_path / "sim"
    scheme = "zpl+sim" if language == "zpl" else "sim"
    link = open_sim(urlsplit(f"{scheme}://{out}"), timeout=TIMEOUT, connect_timeout=TIMEOUT)

    def breaking() -> tuple[Link, list[str]]:
        sim_printer_for(out, language).drop_after(1)
        return link, ["confirmed", "unconfirmed", "not_sent"]

    yield Rig(language_named(language), link,
              lambda: printed_ids(sim_printer_for(out, language)), breaking)


def _file(tmp_path: Path, language: SimLanguage) -> Iterator[Rig]:
    spool = tmp_path / "spool.bin"
    link = open_file(urlsplit(f"file://{spool}"), timeout=TIMEOUT, connect_timeout=TIMEOUT)

    def arrived() -> list[str]:
        # What reached the file, printed on the simulator: the bytes must be whole labels.
        replay = VirtualPrinter(tmp_path / "replay", language=language)
        replay.session().feed(spool.read_bytes() if spool.exists() else b"")
        return printed_ids(replay)

    def breaking() -> tuple[Link, list[str]]:
        full = open_file(urlsplit("file:///dev/full"), timeout=TIMEOUT, connect_timeout=TIMEOUT)
        return full, ["unconfirmed", "not_sent", "not_sent"]  # every write fails: disk full

    yield Rig(language_named(language), link, arrived, breaking)


def _usb(tmp_path: Path, language: SimLanguage) -> Iterator[Rig]:
    uri = os.environ.get("PHLEBO_TEST_USB_PRINTER")  # e.g. usb://04b8:0202, zpl+usb://0a5f:..
    if not uri:
        pytest.skip("set PHLEBO_TEST_USB_PRINTER to a real label printer")
    if (uri.split("://")[0].rpartition("+")[0] or "escpos") != language:
        pytest.skip(f"the printer at PHLEBO_TEST_USB_PRINTER does not speak {language}")
    link = open_usb(urlsplit(uri), timeout=2.0, connect_timeout=2.0)

    def breaking() -> tuple[Link, list[str]]:
        pytest.skip("a USB cable cannot be pulled by a test")

    yield Rig(language_named(language), link, lambda: None, breaking)


@pytest.fixture(params=[pytest.param(_tcp, id="tcp"), pytest.param(_sim, id="sim"),
                        pytest.param(_file, id="file"),
                        pytest.param(_usb, id="usb", marks=pytest.mark.hardware)])
def rig(request: pytest.FixtureRequest, tmp_path: Path,
        language: SimLanguage) -> Iterator[Rig]:
    yield from request.param(tmp_path, language)


@pytest.fixture(params=["escpos", "zpl"])
def language(request: pytest.FixtureRequest) -> SimLanguage:
    return request.param  # type: ignore[no-any-return]


def test_labels_arrive_once_each_whole_and_in_order(rig):
    outcome = StreamPrinter(rig.link.connect, rig.language, name=rig.link.name).print_labels(
        [make_label(i) for i in IDS])
    assert [r.state for r in outcome.results] == ["confirmed"] * 3
    assert rig.arrived() in (IDS, None)


def test_a_ready_printer_reads_as_ok(rig):
    status = check_status(rig.link.connect, rig.language)
    assert status.ok, status.detail


def test_silence_is_none_and_a_closed_link_fails_as_transport_failure(rig):
    transport = rig.link.connect()
    assert transport.receive(1) is None  # nothing asked, nothing answered: not an error
    transport.close()
    transport.close()  # harmless
    with pytest.raises(TransportFailure) as sent:
        transport.send(b"\x10\x04\x01")
    with pytest.raises(TransportFailure) as received:
        transport.receive(1)
    assert not sent.value.status.ok and not received.value.status.ok


def test_a_failed_send_leaves_that_label_unconfirmed_and_sends_nothing_after_it(rig):
    link, expected = rig.breaking()
    outcome = StreamPrinter(link.connect, rig.language, name=link.name).print_labels(
        [make_label(i) for i in IDS])
    assert [r.state for r in outcome.results] == expected
    assert not outcome.status.ok and outcome.status.detail
    confirmed = [r.label.specimen_id for r in outcome.results if r.state == "confirmed"]
    if rig.arrived() is not None and link is rig.link:
        assert rig.arrived() == confirmed  # on paper: exactly the confirmed labels
