"""A virtual keyboard-wedge barcode scanner: "types" a code into Qt as key events.

Real wedge scanners send each character a few milliseconds apart and then Enter. `scan()`
does the same; `type_like_a_person()` sends the same keys slowly, for the negative test.
Events go to the focused widget (or the given widget) through QApplication, so application
event filters see them exactly as they would see a real scanner."""

from __future__ import annotations

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
             enter: bool = True) -> None:
        """Send `text` a key every `interval_ms`, then Enter (as a wedge scanner does)."""
        self._type(text, interval_ms, enter)

    def type_like_a_person(self, text: str, interval_ms: int = HUMAN_INTERVAL_MS, *,
                           enter: bool = True) -> None:
        """The same keys at human speed (must NOT be taken for a scan)."""
        self._type(text, interval_ms, enter)

    def _type(self, text: str, interval_ms: int, enter: bool) -> None:
        for char in text:
            self._key(_key_code(char), char, _modifiers(char))
            QTest.qWait(interval_ms)
        if enter:
            self._key(int(Qt.Key.Key_Return), "\r", Qt.KeyboardModifier.NoModifier)
            QTest.qWait(interval_ms)

    def _key(self, key: int, text: str, modifiers: Qt.KeyboardModifier) -> None:
        receiver = QApplication.focusWidget() or self.target
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(receiver, QKeyEvent(kind, key, modifiers, text))


def _key_code(char: str) -> int:
    """Qt key codes are the upper-case ASCII codes for printable ASCII."""
    if char.isascii() and char.isprintable():
        return ord(char.upper())
    return int(Qt.Key.Key_unknown)


def _modifiers(char: str) -> Qt.KeyboardModifier:
    if char.isascii() and char.isupper():
        return Qt.KeyboardModifier.ShiftModifier
    return Qt.KeyboardModifier.NoModifier
