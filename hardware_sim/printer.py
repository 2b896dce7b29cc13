"""The virtual label printer: state, faults, status replies, PNG + JSON output per label.

Transport-free: a session is fed bytes (from a TCP connection or in-process) and returns the
bytes to answer plus whether to drop the connection. It speaks ESC/POS (`Session`, here) or
ZPL II (`hardware_sim.zpl_printer`), chosen when the printer is made. Labels are numbered
across all sessions in print order: 0001.png + 0001.json, and one line per event in
index.jsonl.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from PIL import Image

from hardware_sim.escpos_parser import Command, parse_command
from hardware_sim.render import Page, PageBuilder

if TYPE_CHECKING:
    from hardware_sim.zpl_printer import ZplEngine

BASE = 0x12  # fixed bits of every DLE EOT reply
OFFLINE, COVER_OPEN, PAPER_END_STOP, PAPER_END_SENSOR = 0x08, 0x04, 0x20, 0x60

Language = Literal["escpos", "zpl"]


@dataclass
class Faults:
    """Injected faults; None/False/0 means healthy."""

    paper_out_after: int | None = None  # labels that still print before the roll runs out
    paper_out: bool = False
    offline: bool = False  # ZPL: paused (formats wait in the printer)
    drop_after: int | None = None  # labels before the next connection is cut (one-shot)
    slow: float = 0.0  # seconds spent on each label
    head_open: bool = False
    ribbon_out: bool = False  # ZPL thermal transfer printers only


class PrinterSession(Protocol):
    """One connection's parser: bytes in, (reply, drop the connection now) out."""

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """Consume bytes; returns (reply bytes, drop the connection now)."""
        ...


class VirtualPrinter:
    """A 2-inch, 203 dpi label printer that writes each label to `out_dir`. A ZPL printer can
    be a thermal transfer model (then it reports ribbon out), and can answer ~HS with silence
    while out of media or ribbon or with the head open, as newer Zebra firmware does."""

    def __init__(self, out_dir: str | Path, *, width_dots: int = 406,
                 faults: Faults | None = None, language: Language = "escpos",
                 thermal_transfer: bool = False, hs_silent_on_error: bool = False):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.width_dots = width_dots
        self.faults = faults or Faults()
        self.language: Language = language
        self.thermal_transfer = thermal_transfer
        self.hs_silent_on_error = hs_silent_on_error
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)  # faults cleared, formats queued
        self.zpl: ZplEngine | None = None
        if language == "zpl":
            from hardware_sim.zpl_printer import ZplEngine

            self.zpl = ZplEngine(self)
        self._next = 1 + max((int(m.group(1)) for p in self.out_dir.glob("*.png")
                              if (m := re.fullmatch(r"(\d{4,})\.png", p.name))), default=0)
        self._sessions = 0

    # -- fault injection (also used by the control port) --------------------------------
    def set_paper_out(self, after: int | None = 0) -> None:
        """Run out of paper now (after=0) or after `after` more labels."""
        with self._lock:
            self.faults.paper_out = after == 0
            self.faults.paper_out_after = after if after else None

    def load_paper(self) -> None:
        """A fresh roll: clears paper out."""
        with self._lock:
            self.faults.paper_out, self.faults.paper_out_after = False, None
            self.changed.notify_all()

    def set_offline(self, offline: bool = True) -> None:
        """Take the printer offline (or back online); a ZPL printer pauses (or resumes)."""
        with self._lock:
            self.faults.offline = offline
            self.changed.notify_all()

    def drop_after(self, labels: int | None) -> None:
        """Cut the connection when data for the label after the next `labels` arrives."""
        with self._lock:
            self.faults.drop_after = labels

    def set_slow(self, seconds: float) -> None:
        """Spend `seconds` printing each label."""
        with self._lock:
            self.faults.slow = max(0.0, seconds)

    def set_head_open(self, head_open: bool = True) -> None:
        """Open (or close) the print head."""
        with self._lock:
            self.faults.head_open = head_open
            self.changed.notify_all()

    def set_ribbon_out(self, ribbon_out: bool = True) -> None:
        """Run out of ribbon (or load one); only a thermal transfer printer notices."""
        with self._lock:
            self.faults.ribbon_out = ribbon_out
            self.changed.notify_all()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Until a ZPL printer has printed every format it can (True), or `timeout` passes or
        a fault holds them (False). An ESC/POS printer prints as it reads: always idle."""
        engine = self.zpl
        if engine is None:
            return True
        deadline = time.monotonic() + timeout
        with self.changed:
            while engine.waiting or engine.printing:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(min(left, 0.1))
        return True

    def describe(self) -> dict[str, object]:
        """Faults and counters, for the control port and tests."""
        with self._lock:
            return {**self.faults.__dict__, "next_label": self._next, "out_dir": str(self.out_dir),
                    "language": self.language}

    # -- printing -------------------------------------------------------------------
    def session(self) -> PrinterSession:
        """A new connection's parser and page state, in the printer's language."""
        with self._lock:
            self._sessions += 1
            number = self._sessions
        if self.language == "zpl":
            from hardware_sim.zpl_printer import ZplSession

            return ZplSession(self, number)
        return Session(self, number)

    def status_byte(self, n: int) -> int:
        """The DLE EOT n reply for the current state."""
        with self._lock:
            f = self.faults
            if n == 1:
                return BASE | (OFFLINE if f.offline or f.paper_out or f.head_open else 0)
            if n == 2:
                return BASE | (PAPER_END_STOP if f.paper_out else 0) | (
                    COVER_OPEN if f.head_open else 0)
            if n == 4:
                return BASE | (PAPER_END_SENSOR if f.paper_out else 0)
            return BASE

    def label_received(self) -> None:
        """A whole label arrived (ZPL counts the drop fault by labels received)."""
        with self._lock:
            if self.faults.drop_after is not None and self.faults.drop_after > 0:
                self.faults.drop_after -= 1

    def should_drop(self) -> bool:
        """True once when the drop fault fires (it then clears)."""
        with self._lock:
            if self.faults.drop_after == 0:
                self.faults.drop_after = None
                return True
            return False

    def finish(self, page: Page, session: int) -> None:
        """A cut arrived: print the page, or lose it to a fault."""
        if page.empty:
            return
        with self._lock:
            slow = self.faults.slow
        if slow:
            time.sleep(slow)
        with self._lock:
            f = self.faults
            if f.paper_out_after == 0:
                f.paper_out, f.paper_out_after = True, None
            lost = ("paper out" if f.paper_out else "offline" if f.offline
                    else "head open" if f.head_open else None)
            if lost:
                self._event({"event": "label_lost", "reason": lost, "session": session,
                             "texts": page.texts})
                return
            if f.paper_out_after is not None:
                f.paper_out_after -= 1
            if f.drop_after is not None and f.drop_after > 0:
                f.drop_after -= 1
            self.record(page.image(), {"texts": page.texts, "barcodes": page.barcodes,
                                       "unknown": page.unknown}, session)

    def record(self, image: Image.Image, meta: dict[str, object], session: int) -> None:
        """Write the next label's PNG and JSON sidecar (call with the lock held)."""
        number, self._next = self._next, self._next + 1
        stem = f"{number:04d}"
        image.save(self.out_dir / f"{stem}.png")
        meta = {"label": number, "session": session, "size": list(image.size),
                "language": self.language, **meta, "printed_at": time.time()}
        (self.out_dir / f"{stem}.json").write_text(json.dumps(meta, indent=1))
        self._event({"event": "label_printed", "file": f"{stem}.png", "session": session})

    def event(self, record: dict[str, object]) -> None:
        """Append one line to index.jsonl (call with the lock held)."""
        self._event(record)

    def _event(self, record: dict[str, object]) -> None:
        with (self.out_dir / "index.jsonl").open("a") as index:
            index.write(json.dumps(record) + "\n")


class Session:
    """One connection's stream: buffers partial commands, answers status, ends labels."""

    def __init__(self, printer: VirtualPrinter, number: int):
        self.printer = printer
        self.number = number
        self._buf = b""
        self._builder = PageBuilder(printer.width_dots)
        self.commands: list[Command] = []

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """Consume bytes; returns (reply bytes, drop the connection now)."""
        self._buf += data
        replies = bytearray()
        pos = 0
        while pos < len(self._buf):
            parsed = parse_command(self._buf, pos)
            if parsed is None:
                break
            cmd, pos = parsed
            if cmd.name == "status_query":
                n = cmd.args["n"]
                assert isinstance(n, int)
                replies.append(self.printer.status_byte(n))
                continue
            if self.printer.should_drop():
                self._buf = b""
                return bytes(replies), True
            self.commands.append(cmd)
            if cmd.name in ("cut", "ff"):
                self.printer.finish(self._builder.take(), self.number)
            elif self.printer.faults.offline or self.printer.faults.head_open:
                continue  # an offline printer ignores print data
            else:
                self._builder.apply(cmd)
        self._buf = self._buf[pos:]
        return bytes(replies), False
