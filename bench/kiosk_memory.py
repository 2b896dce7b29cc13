"""Part 4 (kiosk half) driver, in its own process: the real kiosk (kiosk_app.app.bootstrap, every
screen built, QT_QPA_PLATFORM=offscreen, the real API client and tcp:// printer) checks in one
patient after another as a patient would: the virtual scanner types the QR code, the date of
birth is tapped on the keypad, then Yes, then Finish. After chosen check-ins the process reads
its own VmRSS and VmHWM. It also times, from the controller's state changes, the two waits the
patient sees (identify; check-in to "labels printed"), through Qt's worker pool and screens.

`python -m bench.kiosk_memory '<json config>'` prints one JSON line."""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QPushButton  # noqa: E402

from hardware_sim.scanner import VirtualScanner  # noqa: E402
from kiosk_app.app import Kiosk, bootstrap  # noqa: E402
from kiosk_app.config import KioskConfig  # noqa: E402
from kiosk_app.flow import Labels, Screen, State  # noqa: E402
from kiosk_app.views import ConfirmView, DobView, ProblemView, ResultView  # noqa: E402

STEP_TIMEOUT_S = 15.0  # longer than the API client's and printer's own timeouts
SCANNER_KEY_MS = 1  # a fast wedge scanner; the detector takes gaps up to 50 ms
SCAN_TRIES = 3
STEP_UP_MS = 100  # the next patient steps up; the start screen is redrawn meanwhile


def status_kib() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in KiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            name, amount = line.split(":", 1)
            found[name] = int(amount.split()[0])
    return found


def wait_until(done: Callable[[], bool], what: str) -> None:
    """Run Qt's event loop until done() (bounded). It sleeps in Qt until an event comes, as
    app.exec() does: a Python polling loop would hold the GIL the kiosk's workers need."""
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"kiosk did not reach {what} within {STEP_TIMEOUT_S:.0f} s")
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)


def tap(button: QPushButton) -> None:
    """A touch on a visible, enabled button."""
    if not (button.isVisible() and button.isEnabled()):
        raise RuntimeError(f"{button.objectName()} cannot be tapped now")
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


class Stopwatch:
    """Times the screens the controller moves through (connected after the window, so each
    time is taken once the screens have been redrawn)."""

    def __init__(self) -> None:
        self.marks: dict[str, float] = {}

    def changed(self, state: State) -> None:
        """Note the first time each step of a check-in is shown."""
        key = {
            Screen.BUSY: f"busy_{state.busy}",
            Screen.CONFIRM: "confirm",
            Screen.PROBLEM: "problem",
        }.get(state.screen, "")
        if state.screen == Screen.RESULT:
            key = f"result_{state.labels.value}"
        if key == "busy_finding":
            self.marks[key] = time.perf_counter()  # a misread scan's try is not timed
        self.marks.setdefault(key, time.perf_counter())


def scan_and_identify(
    kiosk: Kiosk, patient: dict[str, Any], misreads: list[dict[str, Any]]
) -> None:
    """Scan, tap the date of birth, wait for 'Is this you?'. A scan the kiosk misread (nothing
    happened, or the server could not read the QR code) is scanned again, as a patient would."""
    controller, window = kiosk.controller, kiosk.window
    state = lambda: controller.state  # noqa: E731
    for _ in range(SCAN_TRIES):
        VirtualScanner(window).scan(patient["qr"], interval_ms=SCANNER_KEY_MS)
        if state().screen != Screen.DOB:  # the Enter was handled inside scan(): no scan seen
            misreads.append({"seen": "nothing", "qr_chars": len(patient["qr"])})
            continue
        scanned = state().qr or ""
        year, month, day = patient["date_of_birth"].split("-")
        dob = window.views[Screen.DOB]
        assert isinstance(dob, DobView)
        for digit in day + month + year:
            tap(dob.keypad.keys[digit])
        tap(dob.next)
        wait_until(lambda: state().screen in (Screen.CONFIRM, Screen.PROBLEM), "confirm")
        if state().screen == Screen.CONFIRM:
            return
        problem = state().problem
        if problem is None or problem.code != "invalid_qr" or scanned == patient["qr"]:
            raise RuntimeError(f"identify refused: {problem}")
        misreads.append(
            {
                "seen": f"{len(scanned)} chars",
                "qr_chars": len(patient["qr"]),
                "is_tail": patient["qr"].endswith(scanned),
            }
        )
        problem_view = window.views[Screen.PROBLEM]
        assert isinstance(problem_view, ProblemView)
        tap(problem_view.again)
    raise RuntimeError(f"the QR code was misread {SCAN_TRIES} times")


def check_in(
    kiosk: Kiosk, watch: Stopwatch, patient: dict[str, Any], misreads: list[dict[str, Any]]
) -> dict[str, float]:
    """One patient, start screen to start screen; the two waits in seconds."""
    controller, window = kiosk.controller, kiosk.window
    state = lambda: controller.state  # noqa: E731
    watch.marks.clear()
    scan_and_identify(kiosk, patient, misreads)
    confirm = window.views[Screen.CONFIRM]
    assert isinstance(confirm, ConfirmView)
    tap(confirm.yes)
    wait_until(
        lambda: (
            state().screen == Screen.PROBLEM
            or (state().screen == Screen.RESULT and state().labels != Labels.PRINTING)
        ),
        "the result",
    )
    if state().labels != Labels.PRINTED:
        raise RuntimeError(f"not printed: {state().screen.value} {state().problem}")
    result = window.views[Screen.RESULT]
    assert isinstance(result, ResultView)
    tap(result.finish)
    QTest.qWait(STEP_UP_MS)
    m = watch.marks
    identify = m["confirm"] - m["busy_finding"]  # the last try, if a scan was misread
    printed = m["result_printed"] - m["busy_checking_in"]
    return {"identify": identify, "checkin_to_printed": printed, "total": identify + printed}


def run(config: dict[str, Any]) -> dict[str, Any]:
    """Bootstrap the kiosk, check everyone in, sample memory after the chosen check-ins."""
    app = QApplication.instance() or QApplication(["bench-kiosk"])
    kiosk = bootstrap(
        KioskConfig(
            server_url=config["server_url"],
            kiosk_key=config["kiosk_key"],
            printer_uri=config["printer_uri"],
            idle_seconds=600,
            outbox_path=Path(config["outbox_path"]),
        )
    )
    heartbeat = QTimer(interval=100)  # wakes wait_until to check its deadline
    heartbeat.start()
    watch = Stopwatch()
    kiosk.controller.changed.connect(watch.changed)
    kiosk.window.resize(1280, 800)
    kiosk.window.show()
    QTest.qWait(50)
    memory = status_kib()
    gc.collect()
    samples = [{"after": 0, **memory, "objects": len(gc.get_objects())}]
    times: list[dict[str, float]] = []
    misreads: list[dict[str, Any]] = []
    kinds: dict[int, Counter[str]] = {}  # Python objects by type, after warm-up and at the end
    began = time.perf_counter()
    try:
        for n, patient in enumerate(config["patients"], start=1):
            times.append(check_in(kiosk, watch, patient, misreads))
            if n in config["sample_after"]:
                QTest.qWait(20)  # let deferred deletes run, as the idle kiosk would
                memory = status_kib()  # as it stands, before the collection below
                gc.collect()  # count live objects, not garbage waiting for the collector
                samples.append({"after": n, **memory, "objects": len(gc.get_objects())})
                if n >= config["warm_after"] or n == len(config["patients"]):
                    kinds[n] = Counter(type(o).__name__ for o in gc.get_objects())
    finally:
        heartbeat.stop()
        kiosk.close()
        app.processEvents()
    first, last = min(kinds, default=0), max(kinds, default=0)
    grown = (kinds[last] - kinds[first]).most_common(8) if first != last else []
    return {
        "samples": samples,
        "times": times,
        "seconds": time.perf_counter() - began,
        "objects_grown": {"between": [first, last], "top": grown},
        "misreads": misreads,
    }


def main(argv: list[str]) -> int:
    """Run and print JSON."""
    print(json.dumps(run(json.loads(argv[0]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
