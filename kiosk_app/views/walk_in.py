"""Walk-ins ("I do not have an appointment"): the NHS number on a number keypad, or else the
first name, last name and postcode on an on-screen keyboard, one question a screen. The date
of birth comes after, on the check-in's own screen (DobView)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk_app.flow import (
    NHS_NUMBER_LENGTH,
    Back,
    NhsDelete,
    NhsDone,
    NhsKey,
    NoNhsNumber,
    State,
    TextDelete,
    TextDone,
    TextKey,
)
from kiosk_app.views.common import Keypad, View, add_all, button, row, text
from shared.locales import N_
from shared.locales import gettext as _

PLACEHOLDER = "_"
DIGITS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]
# The keyboard: ten columns, rows as on a UK keyboard; the numbers only for the postcode, the
# hyphen and apostrophe only for names (Anne-Marie, O'Brien).
KEY_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL'", "ZXCVBNM-")
NAME_ONLY = ("-", "'")
QUESTIONS = {
    "given_name": (N_("What is your first name?"),
                   N_("Type it as it is on your GP record. Tap the letters, then Next.")),
    "family_name": (N_("What is your last name?"),
                    N_("Type it as it is on your GP record. Tap the letters, then Next.")),
    "postcode": (N_("What is your postcode?"),
                 N_("The postcode of your home address, for example LS1 4AB.")),
}


def grouped_nhs_number(digits: str) -> str:
    """'94347' as '943 47_ ____': the 3-3-4 shape of an NHS number, so progress is visible."""
    padded = digits.ljust(NHS_NUMBER_LENGTH, PLACEHOLDER)
    return f"{padded[:3]} {padded[3:6]} {padded[6:]}"


class NhsNumberView(View):
    """Type the 10-digit NHS number, or say you do not know it."""

    def __init__(self) -> None:
        super().__init__()
        self.title = text(_("Type your NHS number"), "title")
        self.hint = text(_("It has 10 numbers, like 943 476 5919. It is on letters from your "
                           "GP or hospital, and in the NHS App."), "muted", name="nhs_hint")
        self.display = text(grouped_nhs_number(""), "display", name="nhs_number_display",
                            align=Qt.AlignmentFlag.AlignHCenter)
        self.display.setAccessibleName(_("NHS number"))
        self.display.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.error = text("", "error", name="nhs_number_error")
        self.unknown = button(_("I do not know my NHS number"), "secondary",
                              self.send(NoNhsNumber()), name="no_nhs_number")
        self.keypad = Keypad(DIGITS, 3, key_width=100)
        self.keypad.pressed.connect(lambda key: self.tapped.emit(NhsKey(key)))
        self.delete = button(_("Delete"), "key", self.send(NhsDelete()), name="delete")
        self.keypad.grid.addWidget(self.delete, 3, 1, 1, 2)
        self.back = button(_("Back"), "secondary", self.send(Back()), name="back")
        self.next = button(_("Next"), "primary", self.send(NhsDone()), name="next")

        left = QVBoxLayout()
        left.setSpacing(20)
        add_all(left, self.display, self.error, self.unknown, 1, row(self.back, self.next))
        columns = QHBoxLayout()
        columns.setSpacing(48)
        columns.addLayout(left, 1)  # the longest words (Welsh, larger text) need the room
        keys = QVBoxLayout()
        add_all(keys, self.keypad, 1)
        columns.addLayout(keys)
        add_all(self.page(), self.title, self.hint, columns)

    def show_state(self, state: State) -> None:
        """Show the digits typed so far and any correction."""
        self.display.setText(grouped_nhs_number(state.nhs_number))
        self.error.setText(_(state.error) if state.error else "")
        self.error.setVisible(bool(state.error))
        self.hint.setVisible(not state.error)  # the correction takes the hint's place
        self.next.setEnabled(len(state.nhs_number) == NHS_NUMBER_LENGTH)


class Keyboard(QWidget):
    """Capital letters, numbers, hyphen, apostrophe, Space and Delete; left to right in every
    language (names and postcodes are typed in the Latin alphabet the GP record holds)."""

    def __init__(self, view: View) -> None:
        super().__init__()
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        keys = [char for line in KEY_ROWS for char in line.ljust(10)]
        self.keypad = Keypad([k.strip() for k in keys], 10)
        self.keypad.pressed.connect(lambda key: view.tapped.emit(TextKey(key)))
        self.keys: dict[str, QPushButton] = self.keypad.keys
        grid = self.keypad.grid
        grid.setHorizontalSpacing(8)
        for column in range(10):  # every key the same width, whatever its letter
            grid.setColumnStretch(column, 1)
            grid.setColumnMinimumWidth(column, 56)
        self.delete = button(_("Delete"), "key", view.send(TextDelete()), name="delete")
        grid.addWidget(self.delete, 3, 8, 1, 2)
        self.space = button(_("Space"), "key", view.send(TextKey(" ")), name="key_space")
        grid.addWidget(self.space, 4, 2, 1, 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.keypad)
        layout.addStretch(1)  # keys stay together at the top, not spread out

    def show_for(self, field: str) -> None:
        """Numbers for the postcode; hyphen and apostrophe for names."""
        postcode = field == "postcode"
        for char, key in self.keys.items():
            key.setVisible(not char.isdigit() or postcode)
            if char in NAME_ONLY:
                key.setVisible(not postcode)


class TextEntryView(View):
    """One question (first name, last name or postcode) typed on the on-screen keyboard."""

    def __init__(self) -> None:
        super().__init__()
        self.title = text("", "title", name="text_title")
        self.hint = text("", "muted", name="text_hint")
        self.display = text("", "display", name="text_display")
        self.display.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.display.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.error = text("", "error", name="text_error")
        self.keyboard = Keyboard(self)
        self.back = button(_("Back"), "secondary", self.send(Back()), name="back")
        self.next = button(_("Next"), "primary", self.send(TextDone()), name="next")

        left = QVBoxLayout()
        left.setSpacing(20)
        add_all(left, self.hint, self.error, 1, row(self.back, self.next))
        columns = QHBoxLayout()
        columns.setSpacing(32)
        columns.addLayout(left, 1)
        columns.addWidget(self.keyboard, 2)
        add_all(self.page(), self.title, self.display, columns)

    def show_state(self, state: State) -> None:
        """Ask the question in state.text_field and show its answer typed so far."""
        field = state.text_field
        title, hint = QUESTIONS[field]
        self.title.setText(_(title))
        self.hint.setText(_(hint))
        typed = getattr(state, field)
        # A cursor after the text, so the patient sees where the next letter goes (and a space).
        self.display.setText(typed + PLACEHOLDER)
        self.display.setAccessibleName(_(title))
        self.error.setText(_(state.error) if state.error else "")
        self.error.setVisible(bool(state.error))
        self.hint.setVisible(not state.error)
        self.keyboard.show_for(field)
        self.next.setEnabled(bool(typed.strip()))
