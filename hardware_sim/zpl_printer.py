"""The virtual printer speaking ZPL II: formats queue in the printer and print one at a time on
a print engine thread, while control commands are answered at once, as on a Zebra.

- ^XA .. ^XZ: one format, queued when ^XZ arrives; the engine prints it (taking `slow` seconds)
  unless the printer is out of paper, paused (the `offline` fault), has its head open or, as a
  thermal transfer model, is out of ribbon. Then the format waits in the printer and prints
  when the fault is cleared, unless ~JA cancelled it first. `paper out after N`: the roll
  ends before the label after the next N, which then waits.
- ~HS: the three host status strings (paper out, pause, formats waiting, head up, ribbon out,
  thermal transfer, labels remaining), or nothing while faulted if the printer is made
  `hs_silent_on_error`; ~HQES: the error status; ~JA: cancel every waiting format.
- `drop after N`: the connection is cut when the format after the next N starts.
No label is ever half printed here, so ^JZ (reprint after error) changes nothing.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hardware_sim.zpl_parser import ZplCommand, parse_command
from hardware_sim.zpl_render import ZplLabel, render_format

if TYPE_CHECKING:
    from hardware_sim.printer import VirtualPrinter

STX, ETX = b"\x02", b"\x03\r\n"


@dataclass(frozen=True)
class Format:
    """One received label format and the connection it came on."""

    commands: tuple[ZplCommand, ...]
    session: int


class ZplEngine:
    """The printer's receive buffer and print engine (one per VirtualPrinter)."""

    def __init__(self, printer: VirtualPrinter):
        self.printer = printer
        self.waiting: deque[Format] = deque()
        self.printing = False
        self.label_length = 203
        self._running = False  # an engine thread exists; it ends when nothing waits

    # -- called with printer._lock held ----------------------------------------------------
    def _blocked(self) -> bool:
        f = self.printer.faults
        return (f.paper_out or f.offline or f.head_open
                or (f.ribbon_out and self.printer.thermal_transfer))

    def _silent(self) -> bool:
        f = self.printer.faults
        return self.printer.hs_silent_on_error and (
            f.paper_out or f.head_open or (f.ribbon_out and self.printer.thermal_transfer))

    # -- what sessions call -----------------------------------------------------------------
    def submit(self, fmt: Format) -> None:
        """Queue a format; start the engine if it is idle."""
        with self.printer.changed:
            self.waiting.append(fmt)
            for cmd in fmt.commands:
                if cmd.code == "^LL" and cmd.text.strip().isdigit():
                    self.label_length = int(cmd.text)
            self.printer.changed.notify_all()
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="sim-zpl-engine", daemon=True).start()

    def cancel_all(self, session: int) -> None:
        """~JA: drop every waiting format (one being printed finishes)."""
        with self.printer.changed:
            f = self.printer.faults
            reason = ("paper out" if f.paper_out else "head open" if f.head_open
                      else "paused" if f.offline else "ribbon out" if f.ribbon_out else "")
            for fmt in self.waiting:
                self.printer.event({"event": "label_cancelled", "reason": reason,
                                    "session": fmt.session, "by_session": session})
            self.waiting.clear()
            self.printer.changed.notify_all()

    def host_status(self) -> bytes:
        """The ~HS answer for the printer as it is now."""
        with self.printer.changed:
            if self._silent():
                return b""
            f, tt = self.printer.faults, self.printer.thermal_transfer
            one = (f"030,{int(f.paper_out)},{int(f.offline)},{self.label_length:04d},"
                   f"{len(self.waiting):03d},0,0,0,000,0,0,0")
            two = (f"{int(tt):03d},0,{int(f.head_open)},{int(f.ribbon_out and tt)},{int(tt)},"
                   f"2,6,0,{int(self.printing):08d},1,000")
        return b"".join(STX + line.encode() + ETX for line in (one, two, "1234,0"))

    def error_status(self) -> bytes:
        """The ~HQES answer: media out 1, ribbon out 2, head open 4."""
        with self.printer.changed:
            f = self.printer.faults
            bits = ((1 if f.paper_out else 0) | (4 if f.head_open else 0)
                    | (2 if f.ribbon_out and self.printer.thermal_transfer else 0))
        return (STX + b"\r\n PRINTER STATUS\r\n"
                + f"   ERRORS:         {int(bits > 0)} 00000000 {bits:08X}\r\n".encode()
                + b"   WARNINGS:       0 00000000 00000000\r\n" + ETX)

    # -- the engine thread ------------------------------------------------------------------
    def draw(self, fmt: Format) -> ZplLabel:
        """The label a format draws (the printer's own work; the bench times it)."""
        return render_format(list(fmt.commands), head_width=self.printer.width_dots)

    def _run(self) -> None:
        printer = self.printer
        while True:
            with printer.changed:
                while self.waiting and self._blocked():
                    printer.changed.wait(0.2)
                if not self.waiting:
                    self._running = False
                    return
                f = printer.faults
                if f.paper_out_after == 0:  # the roll ends before this label
                    f.paper_out, f.paper_out_after = True, None
                    continue
                fmt = self.waiting.popleft()
                self.printing = True
                slow = f.slow
            if slow:
                threading.Event().wait(slow)
            try:
                label = self.draw(fmt)
            except Exception as exc:  # a format the simulator cannot draw must not stop it
                with printer.changed:
                    self.printing = False
                    printer.event({"event": "label_error", "session": fmt.session,
                                   "error": repr(exc)})
                continue
            with printer.changed:
                self.printing = False
                if printer.faults.paper_out_after is not None:
                    printer.faults.paper_out_after -= 1
                printer.record(label.image, {
                    "texts": label.texts, "barcodes": label.barcodes,
                    "graphics": label.graphics, "unknown": label.unknown,
                    "commands": [c.code for c in fmt.commands]}, fmt.session)
                printer.changed.notify_all()


class ZplSession:
    """One connection: control commands answered at once, formats handed to the engine."""

    def __init__(self, printer: VirtualPrinter, number: int):
        assert printer.zpl is not None
        self.printer = printer
        self.engine: ZplEngine = printer.zpl
        self.number = number
        self._buf = b""
        self._format: list[ZplCommand] | None = None
        self.commands: list[ZplCommand] = []

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """Consume bytes; returns (reply bytes, drop the connection now)."""
        self._buf += data
        replies = bytearray()
        pos = 0
        while True:
            parsed = parse_command(self._buf, pos)
            if parsed is None:
                break
            cmd, pos = parsed
            if cmd is None:
                break
            self.commands.append(cmd)
            if cmd.code == "~HS":
                replies += self.engine.host_status()
            elif cmd.code == "~HQ" and cmd.params.upper() == b"ES":
                replies += self.engine.error_status()
            elif cmd.code == "~JA":
                self._format = None
                self.engine.cancel_all(self.number)
            elif cmd.code == "^XA":
                if self.printer.should_drop():
                    self._buf = b""
                    return bytes(replies), True
                self._format = []
            elif cmd.code == "^XZ":
                if self._format is not None:
                    self.engine.submit(Format(tuple(self._format), self.number))
                    self.printer.label_received()
                self._format = None
            elif self._format is not None:
                self._format.append(cmd)
        self._buf = self._buf[pos:]
        return bytes(replies), False
