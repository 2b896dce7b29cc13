"""Printers chosen by URI: file://, usb:// (hardware only), bad addresses, registered
transports and languages (language+transport://)."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from hardware_sim.escpos_parser import parse_all
from label_printer import (
    EscPos,
    LabelData,
    LabelSize,
    Link,
    PrinterAddressError,
    PrinterStatus,
    label_bytes,
    open_printer,
    register_language,
    register_transport,
)
from shared.errors import HardwareError


def make_label(specimen_id: str = "2611230001") -> LabelData:
    return LabelData(family_name="Smith", given_name="Alice", date_of_birth=dt.date(1957, 3, 4),
                     nhs_number="", specimen_id=specimen_id, container="Patient ID", tests=(),
                     site_name="Riverside")


def test_file_backend_appends_each_label(tmp_path):
    target = tmp_path / "spool.bin"
    printer = open_printer(f"file://{target}")
    assert printer.status().ok
    assert printer.print_labels([make_label("2611230001")]).all_confirmed
    assert printer.print_labels([make_label("2611230002")]).all_confirmed
    data = target.read_bytes()
    assert data == label_bytes(make_label("2611230001")) + label_bytes(make_label("2611230002"))
    assert [c.name for c in parse_all(data)].count("cut") == 2


def test_file_backend_in_a_missing_folder_is_a_fault(tmp_path):
    printer = open_printer(f"file://{tmp_path}/missing/spool.bin")
    assert printer.status().state == "fault"
    assert [r.state for r in printer.print_labels([make_label()]).results] == ["not_sent"]


@pytest.mark.parametrize("uri", ["lpt://x", "tcp://", "tcp://host:notaport", "usb://04b8",
                                 "file://relative/path", "nonsense", "klingon+tcp://host:9100",
                                 "escpos+lpt://x"])
def test_bad_addresses_raise_a_hardware_error(uri):
    with pytest.raises(PrinterAddressError) as info:
        open_printer(uri)
    assert isinstance(info.value, HardwareError) and info.value.message


def test_usb_printer_that_is_not_there_is_never_ok():
    status = open_printer("usb://04b8:0e2a").status()
    assert status.state == "fault" and status.detail


@pytest.mark.hardware
def test_real_usb_printer_prints_a_label():
    uri = os.environ.get("PHLEBO_TEST_USB_PRINTER")  # e.g. usb://04b8:0202
    if not uri:
        pytest.skip("set PHLEBO_TEST_USB_PRINTER to a real label printer")
    assert open_printer(uri).print_labels([make_label()]).all_confirmed


def test_registered_transport_is_used_with_escpos_unless_the_uri_names_a_language(tmp_path):
    made = []

    def factory(uri, *, timeout, connect_timeout):
        made.append((uri.netloc, timeout, connect_timeout))
        return Link(lambda: (_ for _ in ()).throw(RuntimeError()), "testonly://box")

    register_transport("testonly", factory)
    assert open_printer("testonly://box", timeout=5).language.name == "escpos"  # type: ignore[attr-defined]
    assert made == [("box", 5, 2.0)]
    assert open_printer("ESCPOS+testonly://box").language.name == "escpos"  # type: ignore[attr-defined]


class Shouting:
    """A made-up printer language: each label as its specimen id and a newline; always ok."""

    name = "shout"

    def __init__(self, size: LabelSize):
        self.size = size

    def encode(self, label: LabelData) -> bytes:
        return label.specimen_id.encode() + b"\n"

    def read_status(self, transport):  # type: ignore[no-untyped-def]
        return PrinterStatus("ok", "ready.")


def test_the_uri_chooses_the_language_and_the_transport_just_carries_its_bytes(tmp_path):
    register_language("shout", Shouting)
    target = tmp_path / "spool.txt"
    printer = open_printer(f"shout+file://{target}")
    assert printer.print_labels([make_label("2611230001"), make_label("2611230002")]).all_confirmed
    assert target.read_bytes() == b"2611230001\n2611230002\n"
    # and the ESC/POS language over the same transport writes ESC/POS
    open_printer(f"escpos+file://{tmp_path / 'escpos.bin'}").print_labels([make_label()])
    assert (tmp_path / "escpos.bin").read_bytes() == EscPos().encode(make_label())


def test_registrations_end_with_the_test_that_made_them():
    # The two tests above registered testonly:// and the shout language (and a demo test
    # registers sim://); none of it outlives its test, so this one, run after them, and
    # check-config's list of known addresses see only what label_printer knows by itself.
    with pytest.raises(PrinterAddressError, match="use one of file://, tcp://, usb://.$"):
        open_printer("testonly://box")
    with pytest.raises(PrinterAddressError, match="use one of escpos, zpl.$"):
        open_printer("shout+file:///tmp/x")
