"""Tell a keyboard-wedge scanner from a person typing, by the time between keys (no Qt).

A scanner "types" the whole code within a few milliseconds per key and then presses Enter;
a person takes 100 ms or more per key. A burst counts as a scan when it has at least
`min_length` characters, every gap is at most `max_gap_ms`, and Enter follows quickly.

Gaps are measured between the times the keys were pressed (the key event's timestamp, from the
input device) when the caller gives them, not when the GUI thread got round to them: a GUI
thread busy for 100 ms in the middle of a scan would otherwise see a "slow key", drop the start
of the code and tell the patient their QR code could not be used."""

from __future__ import annotations

import time
from collections.abc import Callable


def _now_ms() -> float:
    return time.monotonic() * 1000.0


class ScanDetector:
    """Feed it characters and Enter; it answers the scanned text or None."""

    def __init__(self, *, max_gap_ms: float = 50.0, min_length: int = 8,
                 clock: Callable[[], float] = _now_ms):
        self.max_gap_ms = max_gap_ms
        self.min_length = min_length
        self._clock = clock
        self._chars: list[str] = []
        self._last: float | None = None

    def char(self, text: str, at_ms: float | None = None) -> None:
        """One printable key, pressed at `at_ms` (default: now); a slow key starts a new burst
        (people type slowly)."""
        now = self._clock() if at_ms is None else at_ms
        if self._last is None or now - self._last > self.max_gap_ms:
            self._chars = []
        self._chars.append(text)
        self._last = now

    def enter(self, at_ms: float | None = None) -> str | None:
        """Enter (or Return), pressed at `at_ms` (default: now): the scanned text if the burst
        was a scan, else None."""
        now = self._clock() if at_ms is None else at_ms
        quick = self._last is not None and now - self._last <= self.max_gap_ms
        text = "".join(self._chars)
        self.reset()
        return text if quick and len(text) >= self.min_length else None

    def reset(self) -> None:
        """Forget any partial burst."""
        self._chars, self._last = [], None
