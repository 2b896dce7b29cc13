"""Printer status in three states, and the Epson DLE EOT real-time status bytes.

`unknown` means we could not tell (no answer, odd answer); it is never treated as ok.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

State = Literal["ok", "fault", "unknown"]

DLE_EOT = b"\x10\x04"
PRINTER_STATUS, OFFLINE_CAUSE, PAPER_SENSOR = 1, 2, 4  # the n of DLE EOT n

# Bits of the one-byte replies (Epson ESC/POS reference, DLE EOT).
FIXED_MASK, FIXED_BITS = 0x93, 0x12  # bits 1 and 4 always set, bits 0 and 7 always clear
OFFLINE = 0x08  # n=1
COVER_OPEN, PAPER_END_STOP, ERROR = 0x04, 0x20, 0x40  # n=2
PAPER_NEAR_END, PAPER_END = 0x0C, 0x60  # n=4


@dataclass(frozen=True)
class PrinterStatus:
    """ok / fault / unknown, with a message staff can act on."""

    state: State
    detail: str

    @property
    def ok(self) -> bool:
        """True only for a positive "ready" answer."""
        return self.state == "ok"


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
