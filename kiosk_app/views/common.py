"""Building blocks shared by the screens: the base view, big buttons, labels and keypads."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk_app.flow import Event, State

MARGIN = 48
SPACING = 16


class View(QWidget):
    """A screen: `show_state(state)` shows it; taps come out of `tapped` as flow events."""

    tapped = Signal(object)

    def show_state(self, state: State) -> None:
        """Show `state` (every screen shows only what it needs)."""
        raise NotImplementedError

    def set_large_text(self, large: bool) -> None:
        """Larger text is on or off (a screen may leave out a hint to keep everything on it)."""

    def send(self, event: Event) -> Callable[[], None]:
        """A click handler that emits `event`."""
        return lambda: self.tapped.emit(event)

    def page(self) -> QVBoxLayout:
        """A padded vertical layout for the screen."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(MARGIN, 24, MARGIN, 24)
        layout.setSpacing(SPACING)
        return layout


def text(content: str = "", role: str = "", *, name: str = "",
         align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> QLabel:
    """A word-wrapped label with a style role (title, name, number, muted, error, callout)."""
    label = QLabel(content)
    label.setWordWrap(True)
    label.setAlignment(align | Qt.AlignmentFlag.AlignVCenter)
    label.setTextFormat(Qt.TextFormat.PlainText)  # server text is never markup
    if role:
        label.setProperty("role", role)
    if name:
        label.setObjectName(name)
    return label


def button(content: str, kind: str, on_click: Callable[[], None], *, name: str = "") -> QPushButton:
    """A large touch button (style kinds: primary, secondary, key, field, toggle)."""
    widget = QPushButton(content)
    widget.setProperty("kind", kind)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # touch screen: no focus rings, no stray keys
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    widget.clicked.connect(on_click)
    if name:
        widget.setObjectName(name)
    return widget


def row(*widgets: QWidget, centre: bool = False) -> QHBoxLayout:
    """Widgets side by side (centred, or filling the width)."""
    layout = QHBoxLayout()
    layout.setSpacing(SPACING)
    if centre:
        layout.addStretch(1)
    for widget in widgets:
        layout.addWidget(widget)
    if centre:
        layout.addStretch(1)
    return layout


def restyle(widget: QWidget, **properties: object) -> None:
    """Set dynamic properties and re-apply the style sheet (Qt does not do it by itself)."""
    for key, value in properties.items():
        widget.setProperty(key, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class Keypad(QWidget):
    """A grid of keys; `pressed(key)` for each tap. Key buttons are named key_<char>."""

    pressed = Signal(str)

    def __init__(self, keys: Sequence[str], columns: int, *, key_width: int = 0):
        super().__init__()
        # Digits and the reference alphabet read left to right in every language (Arabic too).
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        grid = self.grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(12)
        self.keys: dict[str, QPushButton] = {}
        for index, key in enumerate(keys):
            if not key:
                continue
            widget = button(key, "key", self._emitter(key), name=f"key_{key}")
            if key_width:
                widget.setMinimumWidth(key_width)
            self.keys[key] = widget
            grid.addWidget(widget, index // columns, index % columns)

    def _emitter(self, key: str) -> Callable[[], None]:
        # A closure rather than a default argument: clicked(bool) would fill the default.
        return lambda: self.pressed.emit(key)


def add_all(layout: QBoxLayout, *items: QWidget | QLayout | int) -> None:
    """Add widgets, nested layouts, and stretches (ints) in order."""
    for item in items:
        if isinstance(item, int):
            layout.addStretch(item)
        elif isinstance(item, QWidget):
            layout.addWidget(item)
        else:
            layout.addLayout(item)
