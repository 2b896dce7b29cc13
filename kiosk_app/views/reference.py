"""Manual entry: the booking reference on an on-screen keypad of the reference alphabet."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk_app.flow import (
    ALPHABET,
    REFERENCE_LENGTH,
    Back,
    ReferenceDelete,
    ReferenceDone,
    ReferenceKey,
    State,
)
from kiosk_app.views.common import Keypad, View, add_all, button, row, text
from shared.locales import gettext as _

PLACEHOLDER = "_"


def grouped(reference: str) -> str:
    """'ABCDE' as 'ABC-DE_-___': always the full shape, so progress is visible."""
    padded = reference.ljust(REFERENCE_LENGTH, PLACEHOLDER)
    return "-".join(padded[i:i + 3] for i in range(0, REFERENCE_LENGTH, 3))


class ReferenceView(View):
    """Type the 9-character reference from the letter or text, then Next."""

    def __init__(self) -> None:
        super().__init__()
        self.title = text(_("Type your booking reference"), "title")
        self.hint = text(_("It is on your letter or text message. "
                           "It has 9 letters and numbers, like ABC-DEF-GHJ."), "muted")
        self.display = text(grouped(""), "display", name="reference_display",
                            align=Qt.AlignmentFlag.AlignHCenter)
        self.display.setAccessibleName(_("Booking reference"))
        self.display.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.error = text("", "error", name="reference_error")
        self.keypad = Keypad(list(ALPHABET), 10)
        self.keypad.pressed.connect(lambda key: self.tapped.emit(ReferenceKey(key)))
        self.back = button(_("Back"), "secondary", self.send(Back()), name="back")
        self.delete = button(_("Delete"), "secondary", self.send(ReferenceDelete()), name="delete")
        self.next = button(_("Next"), "primary", self.send(ReferenceDone()), name="next")
        add_all(self.page(), self.title, self.hint, row(self.display, centre=True), self.error,
                self.keypad, 1, row(self.back, self.delete, self.next))

    def show_state(self, state: State) -> None:
        """Show the reference typed so far and any correction."""
        self.display.setText(grouped(state.reference))
        self.error.setText(_(state.error) if state.error else "")
        self.error.setVisible(bool(state.error))
        self.hint.setVisible(not state.error)  # the correction takes the hint's place
        self.next.setEnabled(len(state.reference) == REFERENCE_LENGTH)
