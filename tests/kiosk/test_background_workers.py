"""Regression for a crash the end-to-end runs found: kiosk_app.workers made a sender and a
receiver QObject per job, and when the pool thread dropped the finished job while the GUI
thread was leaving its callback, both died at once on two threads (SIGSEGV in ~QObject, about
one e2e run in eight). Chained jobs with a busy callback, as the kiosk runs them, crashed the
old code within a few thousand jobs (most runs of 1,500); they must all call back."""

from __future__ import annotations

from PySide6.QtCore import QEventLoop, QTimer

from kiosk_app.workers import Background

JOBS = 6000


def test_thousands_of_chained_jobs_call_back_on_the_gui_thread(qapp):  # type: ignore[no-untyped-def]
    background = Background()
    loop = QEventLoop()
    results: list[object] = []
    failures: list[BaseException] = []

    def start_next(value: object = None) -> None:
        if value is not None:
            results.append(value)
        if len(results) + len(failures) >= JOBS:
            loop.quit()
            return
        n = len(results) + len(failures)
        background.run((lambda: n) if n % 10 else _fails, on_success=start_next,
                       on_failure=lambda exc: (failures.append(exc), start_next()))
        sum(range(500))  # the GUI thread keeps busy after starting a job, as when it redraws

    QTimer.singleShot(0, start_next)
    QTimer.singleShot(60_000, loop.quit)  # bounded: a hang fails below, it does not stall
    loop.exec()
    assert background.wait(5_000)
    assert len(results) + len(failures) == JOBS and not background.busy
    assert len(failures) == JOBS // 10 and all(isinstance(e, ValueError) for e in failures)
    assert results[:3] == [1, 2, 3]


def _fails() -> int:
    raise ValueError("a job that fails")
