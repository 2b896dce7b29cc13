"""Blocking work (HTTP, printing) on a thread pool, with success/failure callbacks on the
GUI thread (the Anki pattern: callers never touch a thread)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class _Signals(QObject):
    succeeded = Signal(object)
    failed = Signal(object)


class _Relay(QObject):
    """Created on the GUI thread, so signals emitted by the worker are queued to it."""

    def __init__(self, owner: Background, on_success: Callable[[Any], None],
                 on_failure: Callable[[BaseException], None]):
        super().__init__()
        self._owner = owner
        self._on_success, self._on_failure = on_success, on_failure

    @Slot(object)
    def success(self, value: object) -> None:
        self._owner._done(self)
        self._on_success(value)

    @Slot(object)
    def failure(self, exc: object) -> None:
        self._owner._done(self)
        self._on_failure(exc if isinstance(exc, BaseException) else RuntimeError(str(exc)))


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _Signals):
        super().__init__()
        self._fn, self._signals = fn, signals

    def run(self) -> None:
        try:
            value = self._fn()
        except Exception as exc:  # handed to the GUI thread, never lost in the pool
            self._signals.failed.emit(exc)
        else:
            self._signals.succeeded.emit(value)


class Background:
    """Runs functions off the GUI thread; callbacks run on the GUI thread."""

    def __init__(self, pool: QThreadPool | None = None):
        self.pool = pool or QThreadPool()
        self._live: dict[_Relay, _Signals] = {}  # keeps Qt objects alive until called back

    def run(self, fn: Callable[[], Any], *, on_success: Callable[[Any], None],
            on_failure: Callable[[BaseException], None]) -> None:
        """Call `fn()` on the pool, then `on_success(result)` or `on_failure(exc)`."""
        signals, relay = _Signals(), _Relay(self, on_success, on_failure)
        signals.succeeded.connect(relay.success)
        signals.failed.connect(relay.failure)
        self._live[relay] = signals
        self.pool.start(_Job(fn, signals))

    @property
    def busy(self) -> bool:
        """True while any job has not yet called back."""
        return bool(self._live)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until the pool is idle (shutdown, tests); callbacks still need the event loop."""
        return self.pool.waitForDone(msecs)

    def _done(self, relay: _Relay) -> None:
        self._live.pop(relay, None)
