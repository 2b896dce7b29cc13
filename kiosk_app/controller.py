"""Holds the current flow.State, runs commands in the background, and the idle timeout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk_app.effects import Services, execute, failure_event
from kiosk_app.flow import Command, Event, IdleTimeout, Screen, State, transition
from kiosk_app.workers import Background


class KioskController(QObject):
    """Events in (taps, scans, results), `changed(state)` out; nothing here draws."""

    changed = Signal(object)
    went_idle = Signal()

    def __init__(self, services: Services, background: Background, *, idle_seconds: float,
                 today: Callable[[], dt.date] = dt.date.today,
                 new_id: Callable[[], str] | None = None):
        super().__init__()
        self.services = services
        self.background = background
        self._today = today
        self._new_id = new_id
        self._state = State()
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.setInterval(max(1, int(idle_seconds * 1000)))
        self.idle_timer.timeout.connect(self._idle)
        self.idle_timer.start()

    @property
    def state(self) -> State:
        """What the kiosk shows now."""
        return self._state

    def dispatch(self, event: Event) -> None:
        """Apply one event; start any commands it produces."""
        extra = {"new_id": self._new_id} if self._new_id else {}
        step = transition(self._state, event, today=self._today(), **extra)
        changed = step.state != self._state
        self._state = step.state
        for command in step.commands:
            self._start(command)
        if changed:
            self.idle_timer.start()  # a new screen gets the full time to read it
            self.changed.emit(self._state)

    def user_activity(self) -> None:
        """Any touch or key: the patient is still here."""
        self.idle_timer.start()

    def _start(self, command: Command) -> None:
        services = self.services
        self.background.run(lambda: execute(command, services), on_success=self.dispatch,
                            on_failure=lambda exc: self.dispatch(failure_event(exc)))

    def _idle(self) -> None:
        if self._state.waiting:
            self.idle_timer.start()  # a server call or printing is bounded by its timeouts
            return
        was_start = self._state.screen == Screen.START
        self.dispatch(IdleTimeout())
        self.went_idle.emit()
        if was_start:
            self.idle_timer.start()
