"""A ZPL printer's status: ~HS host status read into ok / fault / unknown, ~HQES when ~HS is
silent.

~HS (ZPL II Programming Guide, "Host Status Return") answers three strings, each STX ... ETX
CR LF:
    1: aaa,b,c,dddd,eee,f,g,h,iii,j,k,l   b paper out, c pause, dddd label length, eee formats
                                          in the receive buffer, f buffer full, h partial
                                          format, l over temperature
    2: mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www   o head up, p ribbon out, q thermal transfer mode,
                                          uuuuuuuu labels remaining in the batch
    3: xxxx,y
~HS is answered at once, even while labels print, so a label counts as printed only when the
printer is ready AND holds nothing of it any more (no format waiting, none remaining, none
half received); until then it is polled, at most `print_wait` seconds.

Newer editions of the guide add that a printer does not answer ~HS at all while out of media or
ribbon, with the head open or too hot: silence is then exactly the fault we must name. So on
silence we ask ~HQES ("PRINTER STATUS / ERRORS: f hhhhhhhh llllllll / WARNINGS: ...", error bits
in the last group: 1 media out, 2 ribbon out, 4 head open, 8 cutter fault, 10 head too hot);
silence to that too, or no error, is unknown, and unknown never counts as printed.

Ribbon out matters only in thermal transfer mode (a direct thermal printer has no ribbon).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from label_printer.status import PrinterStatus
from label_printer.transport import Transport

STX, ETX = 0x02, 0x03
HOST_STATUS = b"~HS"
ERROR_STATUS = b"~HQES"
MAX_REPLY = 4096  # bytes read for one answer before it counts as nonsense

PAPER_OUT = PrinterStatus("fault", "paper out: load a new label roll.")
HEAD_OPEN = PrinterStatus("fault", "print head open: close it.")
RIBBON_OUT = PrinterStatus("fault", "ribbon out: load a new ribbon.")
TOO_HOT = PrinterStatus("fault", "print head too hot: let the printer cool down.")
PAUSED = PrinterStatus("fault", "printer paused: press PAUSE on the printer to resume.")
CUTTER = PrinterStatus("fault", "cutter fault: clear the cutter.")
SILENT = PrinterStatus("unknown", "The printer did not answer a status check.")

# ~HQES error bits (last group of eight hex digits) in the order a person should see them.
ERROR_BITS = ((0x1, PAPER_OUT), (0x4, HEAD_OPEN), (0x2, RIBBON_OUT), (0x10, TOO_HOT),
              (0x8, CUTTER))
_ERRORS = re.compile(rb"ERRORS:\s*([01])\s+([0-9A-Fa-f]{8})\s+([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class HostStatus:
    """The ~HS fields the print loop needs."""

    paper_out: bool
    paused: bool
    formats_waiting: int
    partial_format: bool
    over_temperature: bool
    head_up: bool
    ribbon_out: bool
    thermal_transfer: bool
    labels_remaining: int

    @property
    def holding_labels(self) -> bool:
        """True while any label sent is not yet printed (waiting, printing, half received)."""
        return self.formats_waiting > 0 or self.labels_remaining > 0 or self.partial_format


def read_status(transport: Transport, *, print_wait: float, poll: float) -> PrinterStatus:
    """Poll ~HS until the printer is ready and holds nothing, a fault, or print_wait passes."""
    deadline = time.monotonic() + print_wait
    delay = poll / 8  # a label takes a few hundred ms: ask often at first, then every `poll`
    while True:
        transport.send(HOST_STATUS)
        frames = read_frames(transport, 3)
        if not frames:
            return error_status(transport)
        host = parse_host_status(frames)
        if host is None:
            return PrinterStatus("unknown", "The printer sent an unexpected status.")
        status = interpret(host)
        if status is not None:
            return status
        if time.monotonic() >= deadline:
            return PrinterStatus("unknown", f"The printer was still printing after "
                                            f"{print_wait:g} s.")
        time.sleep(delay)
        delay = min(poll, delay * 2)


def interpret(host: HostStatus) -> PrinterStatus | None:
    """A fault, ready, or None while labels are still in the printer."""
    if host.paper_out:
        return PAPER_OUT
    if host.head_up:
        return HEAD_OPEN
    if host.ribbon_out and host.thermal_transfer:
        return RIBBON_OUT
    if host.over_temperature:
        return TOO_HOT
    if host.paused:
        return PAUSED
    if host.holding_labels:
        return None
    return PrinterStatus("ok", "ready.")


def parse_host_status(frames: list[bytes]) -> HostStatus | None:
    """The three ~HS strings, or None if they are not what the guide describes."""
    if len(frames) != 3:
        return None
    try:
        one = frames[0].decode("ascii").split(",")
        two = frames[1].decode("ascii").split(",")
    except UnicodeDecodeError:
        return None
    if len(one) != 12 or len(two) != 11 or not all(f.strip().isdigit() for f in one + two):
        return None
    flag = lambda value: value.strip() == "1"  # noqa: E731
    return HostStatus(
        paper_out=flag(one[1]), paused=flag(one[2]), formats_waiting=int(one[4]),
        partial_format=flag(one[7]), over_temperature=flag(one[11]),
        head_up=flag(two[2]), ribbon_out=flag(two[3]), thermal_transfer=flag(two[4]),
        labels_remaining=int(two[8]))


def error_status(transport: Transport) -> PrinterStatus:
    """Ask ~HQES after a silent ~HS: name the fault it reports, else unknown."""
    transport.send(ERROR_STATUS)
    for frame in read_frames(transport, 1, wanted=b"ERRORS:"):
        return interpret_errors(frame)
    return SILENT


def interpret_errors(frame: bytes) -> PrinterStatus:
    """One ~HQES answer: the first fault its error bits name; unknown when none is set."""
    found = _ERRORS.search(frame)
    if found is None:
        return PrinterStatus("unknown", "The printer sent an unexpected status.")
    if found.group(1) == b"0":
        return SILENT  # no error, yet silent to ~HS: we cannot tell it is ready
    bits = int(found.group(3), 16)
    for bit, status in ERROR_BITS:
        if bits & bit:
            return status
    code = (found.group(2) + found.group(3)).decode()
    return PrinterStatus("fault", f"printer error (code {code}): switch the printer off and "
                                  "on again.")


def read_frames(transport: Transport, count: int, *, wanted: bytes = b"") -> list[bytes]:
    """Up to `count` STX..ETX strings (their insides), reading until they are in or the
    printer falls silent; bytes outside frames (CR LF) are skipped. With `wanted`, frames that
    do not contain it (a late ~HS answer) are skipped too."""
    buffer = b""
    frames: list[bytes] = []
    while len(frames) < count and len(buffer) < MAX_REPLY:
        chunk = transport.receive(512)
        if chunk is None:
            break
        buffer += chunk
        while True:
            start = buffer.find(bytes((STX,)))
            end = buffer.find(bytes((ETX,)), start + 1) if start >= 0 else -1
            if start < 0 or end < 0:
                break
            frame, buffer = buffer[start + 1:end], buffer[end + 1:]
            if wanted in frame:
                frames.append(frame)
    return frames
