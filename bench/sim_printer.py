"""The simulated label printer on 127.0.0.1 in its own process (a real printer is its own box, so
it must not share the kiosk's interpreter), timing its own work per label.

The simulator draws each label to a PNG and writes two files before it answers the next status
query; a real printer answers DLE EOT at once. That time is the simulator's, not the kiosk's,
so it is measured here (per connection, in order) and taken off the kiosk's figures.

`python -m bench.sim_printer '{"out_dir": ...}'` prints {"uri": ...} when listening, and its
timings as the last line after SIGTERM. `running_sim_printer()` runs it for a `with` block."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hardware_sim import SimPrinterServer, VirtualPrinter
from hardware_sim.printer import Language
from hardware_sim.render import Page
from hardware_sim.zpl_printer import Format, ZplEngine
from hardware_sim.zpl_render import ZplLabel

ROOT = Path(__file__).resolve().parent.parent


class TimedPrinter(VirtualPrinter):
    """A VirtualPrinter that records how long it spends finishing each label (ESC/POS: drawing
    the page and writing its files; ZPL: drawing the format on the print engine)."""

    def __init__(self, out_dir: Path, language: Language = "escpos"):
        super().__init__(out_dir, language=language)
        self.seconds: dict[int, list[float]] = {}  # connection number -> per label
        if language == "zpl":
            self.zpl = _TimedEngine(self)

    def finish(self, page: Page, session: int) -> None:
        """Print the page (PNG + JSON), timed."""
        began = time.perf_counter()
        super().finish(page, session)
        if not page.empty:
            self.seconds.setdefault(session, []).append(time.perf_counter() - began)


class _TimedEngine(ZplEngine):
    printer: TimedPrinter

    def draw(self, fmt: Format) -> ZplLabel:
        began = time.perf_counter()
        try:
            return super().draw(fmt)
        finally:
            self.printer.seconds.setdefault(fmt.session, []).append(time.perf_counter() - began)


@dataclass
class SimPrinter:
    """A running simulator process: its address, and its timings once stopped."""

    uri: str
    process: subprocess.Popen[str]
    seconds: dict[int, list[float]] = field(default_factory=dict)


@contextmanager
def running_sim_printer(out_dir: Path, *, ready_timeout: float = 20.0,
                        language: Language = "escpos") -> Iterator[SimPrinter]:
    """Start the simulator process, yield it, stop it with SIGTERM and read its timings."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.sim_printer",
         json.dumps({"out_dir": str(out_dir), "language": language})],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], ready_timeout)
        line = process.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError("the simulated printer did not start")
        sim = SimPrinter(json.loads(line)["uri"], process)
        yield sim
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=15)
        last = json.loads(out.strip().splitlines()[-1])
        sim.seconds = {int(k): v for k, v in last["seconds"].items()}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)


def main(argv: list[str]) -> int:
    """Serve until SIGTERM, then print the timings."""
    config: dict[str, Any] = json.loads(argv[0])
    printer = TimedPrinter(Path(config["out_dir"]), config.get("language", "escpos"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with SimPrinterServer(printer) as server:
        print(json.dumps({"uri": server.uri}), flush=True)
        stop.wait(timeout=3600)  # bounded: the bench never needs it this long
    print(json.dumps({"seconds": printer.seconds}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
