"""ESC/POS (Epson and compatible label printers): each label as a raster image, status by
DLE EOT.

Why raster images (GS v 0 via python-escpos `image()`) rather than printer text and the
printer's own barcode command:
- names in any script print exactly as laid out; printer fonts and code pages cover little
  beyond Latin-1, and would silently change an accented or Cyrillic name;
- the barcode is exactly the 3-dot-module Code 128 set C symbol we measured and decoded;
  python-escpos sends `{C` data as ASCII, which is wrong for hardware code set C (DOMAIN 6);
- the simulator can check the print path pixel for pixel against `render_label`.
Each piece starts with ESC @ so a resumed job starts from a clean state, and ends with a
cut (GS V 66 0) or, for die-cut label stock, FF (feed to the next label).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from escpos.printer import Dummy

from label_printer.layout import LabelData, LabelSize
from label_printer.render import render_label
from label_printer.status import PrinterStatus
from label_printer.transport import Transport

PROFILE = "TM-L90"  # a named profile: without one python-escpos ignores widths (DOMAIN 6)
FORM_FEED = b"\x0c"  # Epson: in label mode, print and feed to the next label's start

Separator = Literal["cut", "label_feed"]

DLE_EOT = b"\x10\x04"
PRINTER_STATUS, OFFLINE_CAUSE, PAPER_SENSOR = 1, 2, 4  # the n of DLE EOT n

# Bits of the one-byte replies (Epson ESC/POS reference, DLE EOT).
FIXED_MASK, FIXED_BITS = 0x93, 0x12  # bits 1 and 4 always set, bits 0 and 7 always clear
OFFLINE = 0x08  # n=1
COVER_OPEN, PAPER_END_STOP, ERROR = 0x04, 0x20, 0x40  # n=2
PAPER_NEAR_END, PAPER_END = 0x0C, 0x60  # n=4


class EscPos:
    """The ESC/POS language: raster labels ended by a cut or a label feed; DLE EOT status."""

    name = "escpos"

    def __init__(self, size: LabelSize | None = None, *, separator: Separator = "cut"):
        self.size = size or LabelSize()
        self.separator: Separator = separator

    def encode(self, label: LabelData) -> bytes:
        """One label's bytes (ESC @, raster image, cut or label feed)."""
        return label_bytes(label, separator=self.separator, size=self.size)

    def read_status(self, transport: Transport) -> PrinterStatus:
        """Ask DLE EOT 1, 2 and 4; stop at the first silence (it would only cost more time)."""
        replies: dict[int, int | None] = {}
        for n in (PRINTER_STATUS, OFFLINE_CAUSE, PAPER_SENSOR):
            transport.send(query_bytes(n))
            reply = transport.receive(1)
            replies[n] = reply[-1] if reply else None
            if replies[n] is None:
                break
        return interpret(replies)

    def abandon(self, transport: Transport) -> None:
        """Nothing to drop: an ESC/POS printer prints a raster as it arrives or loses it."""


def label_bytes(label: LabelData, *, separator: Separator = "cut", profile: str = PROFILE,
                size: LabelSize | None = None) -> bytes:
    """ESC/POS bytes that print one label and end it with a cut or label feed."""
    printer = Dummy(profile=profile)
    printer.hw("INIT")
    printer.image(render_label(label, size=size), impl="bitImageRaster")
    if separator == "cut":
        printer.cut(feed=False)  # GS V 66 0: feed to the cutter and cut, no blank lines
    else:
        printer._raw(FORM_FEED)  # not in python-escpos; Epson label-feed byte
    return printer.output


def job_bytes(labels: Sequence[LabelData], *, separator: Separator = "cut",
              size: LabelSize | None = None) -> list[bytes]:
    """One byte string per label, in order (sent and confirmed one at a time)."""
    return [label_bytes(label, separator=separator, size=size) for label in labels]


def query_bytes(n: int) -> bytes:
    """The DLE EOT n request."""
    return DLE_EOT + bytes((n,))


def interpret(replies: dict[int, int | None]) -> PrinterStatus:
    """Turn the replies to DLE EOT 1, 2 and 4 (None = no answer) into a PrinterStatus."""
    for n in (PRINTER_STATUS, OFFLINE_CAUSE, PAPER_SENSOR):
        reply = replies.get(n)
        if reply is None:
            return PrinterStatus("unknown", "The printer did not answer a status check.")
        if reply & FIXED_MASK != FIXED_BITS:
            return PrinterStatus("unknown",
                                 f"The printer sent an unexpected status ({reply:#04x}).")
    printer, cause, paper = (replies[PRINTER_STATUS], replies[OFFLINE_CAUSE],
                             replies[PAPER_SENSOR])
    assert printer is not None and cause is not None and paper is not None
    if paper & PAPER_END or cause & PAPER_END_STOP:
        return PrinterStatus("fault", "paper out: load a new label roll.")
    if cause & COVER_OPEN:
        return PrinterStatus("fault", "printer cover open: close it.")
    if cause & ERROR:
        return PrinterStatus("fault", "printer error: switch the printer off and on again.")
    if printer & OFFLINE:
        return PrinterStatus("fault", "printer offline: check it is switched on and ready.")
    if paper & PAPER_NEAR_END:
        return PrinterStatus("ok", "ready (label roll nearly empty).")
    return PrinterStatus("ok", "ready.")
