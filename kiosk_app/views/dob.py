"""Date of birth: the patient types it (it is never shown to them to confirm)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from kiosk_app.flow import DOB_FIELDS, Back, DobDelete, DobDone, DobFieldSelected, DobKey, State
from kiosk_app.views.common import Keypad, View, add_all, button, restyle, row, text
from shared.locales import N_
from shared.locales import gettext as _

CAPTIONS = {"day": N_("Day"), "month": N_("Month"), "year": N_("Year")}
DIGITS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]


class DobView(View):
    """Three boxes (day, month, year) filled from a number keypad."""

    def __init__(self) -> None:
        super().__init__()
        self.title = text(_("Enter your date of birth"), "title")
        self.hint = text(_("Tap the numbers. For example, 4 March 1957 is 04 03 1957."), "muted")
        self.fields = {}
        # Day, month, year from left to right in every language, as the hint writes them.
        boxes_box = QWidget()
        boxes_box.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        boxes = QGridLayout(boxes_box)
        boxes.setContentsMargins(0, 0, 0, 0)
        boxes.setHorizontalSpacing(20)
        for column, field in enumerate(DOB_FIELDS):
            self.fields[field] = button("", "field",
                                        self.send(DobFieldSelected(field)), name=f"dob_{field}")
            self.fields[field].setAccessibleName(_(CAPTIONS[field]))
            boxes.addWidget(text(_(CAPTIONS[field]), name=f"caption_{field}"), 0, column)
            boxes.addWidget(self.fields[field], 1, column)
        boxes.setColumnStretch(2, 2)
        boxes.setColumnStretch(0, 1)
        boxes.setColumnStretch(1, 1)
        self.error = text("", "error", name="dob_error")
        self.keypad = Keypad(DIGITS, 3, key_width=120)
        self.keypad.pressed.connect(lambda key: self.tapped.emit(DobKey(key)))
        self.delete = button(_("Delete"), "key", self.send(DobDelete()), name="delete")
        self.keypad.grid.addWidget(self.delete, 3, 1, 1, 2)
        self.back = button(_("Back"), "secondary", self.send(Back()), name="back")
        self.next = button(_("Next"), "primary", self.send(DobDone()), name="next")

        left = QVBoxLayout()
        left.setSpacing(20)
        add_all(left, boxes_box, self.error, 1, row(self.back, self.next))
        columns = QHBoxLayout()
        columns.setSpacing(48)
        columns.addLayout(left, 3)
        keys = QVBoxLayout()
        add_all(keys, self.keypad, 1)  # keys stay together at the top, not spread out
        columns.addLayout(keys, 2)
        add_all(self.page(), self.title, self.hint, columns)

    def show_state(self, state: State) -> None:
        """Show the digits typed so far and which box the keypad fills."""
        for field, widget in self.fields.items():
            value = getattr(state.dob, field)
            widget.setText(value)  # empty boxes stay empty: "YYYY" read as typed letters
            restyle(widget, active=field == state.dob.field)
        self.error.setText(_(state.error) if state.error else "")
        self.error.setVisible(bool(state.error))
        self.hint.setVisible(not state.error)  # the correction takes the hint's place
