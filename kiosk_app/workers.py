"""Blocking work (HTTP, printing) on a thread pool, with success/failure callbacks on the
GUI thread (the Anki pattern: callers never touch a thread)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

_Callbacks = tuple[Callable[[Any], None], Callable[[BaseException], None]]


class _Dispatcher(QObject):
    """One per Background, created on the GUI thread and kept as long as it: a worker's result
    is queued to it. No Qt object is made or destroyed per job: a per-job sender and receiver
    died on two threads at once (the pool deleting the finished job, the GUI thread leaving
    the callback) and crashed the kiosk (SIGSEGV in ~QObject)."""

    finished = Signal(object, bool, object)  # ticket, succeeded, value or exception

    def __init__(self, deliver: Callable[[int, bool, object], None]):
        super().__init__()
        self._deliver = deliver
        self.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    @Slot(object, bool, object)
    def _on_finished(self, ticket: int, ok: bool, value: object) -> None:
        self._deliver(ticket, ok, value)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], ticket: int, dispatcher: _Dispatcher):
        super().__init__()
        self._fn, self._ticket, self._dispatcher = fn, ticket, dispatcher

    def run(self) -> None:
        try:
            value = self._fn()
        except Exception as exc:  # handed to the GUI thread, never lost in the pool
            self._dispatcher.finished.emit(self._ticket, False, exc)
        else:
            self._dispatcher.finished.emit(self._ticket, True, value)


class Background:
    """Runs functions off the GUI thread; callbacks run on the GUI thread (create it there)."""

    def __init__(self, pool: QThreadPool | None = None):
        self.pool = pool or QThreadPool()
        self._dispatcher = _Dispatcher(self._deliver)
        self._tickets = count(1)
        self._live: dict[int, _Callbacks] = {}  # callbacks of jobs that have not called back

    def run(self, fn: Callable[[], Any], *, on_success: Callable[[Any], None],
            on_failure: Callable[[BaseException], None]) -> None:
        """Call `fn()` on the pool, then `on_success(result)` or `on_failure(exc)`."""
        ticket = next(self._tickets)
        self._live[ticket] = (on_success, on_failure)
        self.pool.start(_Job(fn, ticket, self._dispatcher))

    @property
    def busy(self) -> bool:
        """True while any job has not yet called back."""
        return bool(self._live)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the pool is idle (shutdown, tests); callbacks still need the event loop."""
        return self.pool.waitForDone(msecs)

    def _deliver(self, ticket: int, ok: bool, value: object) -> None:
        callbacks = self._live.pop(ticket, None)
        if callbacks is None:
            return
        on_success, on_failure = callbacks
        if ok:
            on_success(value)
        else:
            on_failure(value if isinstance(value, BaseException) else RuntimeError(str(value)))
