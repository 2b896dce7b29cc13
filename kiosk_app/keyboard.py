"""The application-wide input filter: scanner bursts become scans, any touch or key keeps
the kiosk awake, and in kiosk mode Escape and Alt+F4 do nothing."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent

from kiosk_app.scan import ScanDetector

_ACTIVITY = {QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin, QEvent.Type.KeyPress,
             QEvent.Type.TabletPress, QEvent.Type.Wheel}
_ENTER = {Qt.Key.Key_Return, Qt.Key.Key_Enter}


class InputFilter(QObject):
    """Install on the QApplication; calls `on_scan(text)` and `on_activity()`."""

    def __init__(self, detector: ScanDetector, *, on_scan: Callable[[str], None],
                 on_activity: Callable[[], None], kiosk_mode: bool):
        super().__init__()
        self._detector = detector
        self._on_scan, self._on_activity = on_scan, on_activity
        self._kiosk_mode = kiosk_mode

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        """Consume keyboard input: nothing on screen is typed into from a keyboard."""
        kind = event.type()
        if kind in _ACTIVITY:
            self._on_activity()
        if kind == QEvent.Type.ShortcutOverride:
            return False
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if kind == QEvent.Type.KeyRelease:
            return key in _ENTER or bool(event.text() and event.text().isprintable())
        # When the key was pressed, by the input device's clock (0 when the event has no time,
        # e.g. one made by software: then the detector uses its own clock).
        pressed_at = float(event.timestamp()) or None
        if key in _ENTER:
            text = self._detector.enter(pressed_at)
            if text is not None:
                self._on_scan(text)
            return True
        if key == Qt.Key.Key_Escape or (key == Qt.Key.Key_F4 and
                                         event.modifiers() & Qt.KeyboardModifier.AltModifier):
            return self._kiosk_mode
        if event.text() and event.text().isprintable():
            self._detector.char(event.text(), pressed_at)
            return True  # a scanner's keys must not press buttons (Space) or reach fields
        return False
