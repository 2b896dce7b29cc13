"""A virtual keyboard-wedge barcode scanner: "types" a code into Qt as key events.

Real wedge scanners send each character a few milliseconds apart and then Enter. `scan()`
does the same; `type_like_a_person()` sends the same keys slowly, for the negative test.
Events go to the focused widget (or the given widget) through QApplication, so application
event filters see them exactly as they would see a real scanner, and each carries the time
its key was "pressed" (as the input device stamps real key events), `interval_ms` apart.
`stall_after`/`stall_ms` hold the GUI thread mid-scan, as a busy kiosk would."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

SCANNER_INTERVAL_MS = 5
HUMAN_INTERVAL_MS = 150


class VirtualScanner:
    """Types into `target` (or whatever has focus) at scanner speed, then presses Enter."""

    def __init__(self, target: QWidget):
        self.target = target

    def scan(self, text: str, interval_ms: int = SCANNER_INTERVAL_MS, *,
             enter: bool = True, stall_after: int | None = None, stall_ms: int = 0) -> None:
        """Send `text` a key every `interval_ms`, then Enter (as a wedge scanner does). With
        `stall_after`, the GUI thread is blocked for `stall_ms` after that many keys, while the
        scanner's own key times go on `interval_ms` apart."""
        self._type(text, interval_ms, enter, stall_after, stall_ms)

    def type_like_a_person(self, text: str, interval_ms: int = HUMAN_INTERVAL_MS, *,
                           enter: bool = True) -> None:
        """The same keys at human speed (must NOT be taken for a scan)."""
        self._type(text, interval_ms, enter)

    def _type(self, text: str, interval_ms: int, enter: bool, stall_after: int | None = None,
              stall_ms: int = 0) -> None:
        pressed_at = int(time.monotonic() * 1000)
        for n, char in enumerate(text):
            if n == stall_after:
                time.sleep(stall_ms / 1000)  # the GUI thread is busy; the scanner is not
            self._key(_key_code(char), char, _modifiers(char), pressed_at)
            pressed_at += interval_ms
            QTest.qWait(interval_ms)
        if enter:
            self._key(int(Qt.Key.Key_Return), "\r", Qt.KeyboardModifier.NoModifier, pressed_at)
            QTest.qWait(interval_ms)

    def _key(self, key: int, text: str, modifiers: Qt.KeyboardModifier, pressed_at: int) -> None:
        receiver = QApplication.focusWidget() or self.target
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, key, modifiers, text)
            event.setTimestamp(pressed_at)
            QApplication.sendEvent(receiver, event)


def _key_code(char: str) -> int:
    """Qt key codes are the upper-case ASCII codes for printable ASCII."""
    if char.isascii() and char.isprintable():
        return ord(char.upper())
    return int(Qt.Key.Key_unknown)


def _modifiers(char: str) -> Qt.KeyboardModifier:
    if char.isascii() and char.isupper():
        return Qt.KeyboardModifier.ShiftModifier
    return Qt.KeyboardModifier.NoModifier
