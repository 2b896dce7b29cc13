"""Start: scan your QR code, or tap to type your booking reference instead, or say you have no
appointment (a walk-in); or choose the language the screens speak (English again when the kiosk
goes idle)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal

from kiosk_app.flow import NoAppointment, NoQrCode, State
from kiosk_app.views.common import View, add_all, button, row, text
from shared.locales import LANGUAGES, language
from shared.locales import gettext as _

CENTRE = Qt.AlignmentFlag.AlignHCenter


class StartView(View):
    """The welcome screen; a scan anywhere moves on (the input filter catches it)."""

    language_chosen = Signal(str)  # a language's code, from the buttons named language_<code>

    def __init__(self) -> None:
        super().__init__()
        self._large = False
        self.title = text(_("Check in for your blood test"), "title", align=CENTRE)
        self.scan = text(_("Scan the QR code from your appointment letter or text"),
                         "name", name="scan_prompt", align=CENTRE)
        self.hint = text(_("Hold the QR code in front of the scanner. "
                           "Then you will enter your date of birth."), "muted", align=CENTRE,
                         name="scan_hint")
        self.error = text("", "error", name="start_error", align=CENTRE)
        self.no_qr = button(_("I don't have my QR code"), "secondary", self.send(NoQrCode()),
                            name="no_qr")
        # Walk-ins with a test request from their GP: as large and as plain as the QR way in.
        self.no_appointment = button(_("I do not have an appointment"), "secondary",
                                     self.send(NoAppointment()), name="no_appointment")
        for way_in in (self.no_qr, self.no_appointment):
            way_in.setFixedWidth(760)
        # Each language's button says its own name, so a patient who reads no English finds it.
        # The language on show is the white button; the others are blue.
        self.languages = {
            code: button(lang.name, "secondary" if code == language().code else "toggle",
                         self._choose(code), name=f"language_{code}")
            for code, lang in LANGUAGES.items()
        }
        page = self.page()
        page.setSpacing(8)  # room for the language buttons under the large text too
        add_all(page, 1, self.title, 1, self.scan, self.hint, self.error, 2,
                row(self.no_qr, centre=True), row(self.no_appointment, centre=True), 1,
                row(*self.languages.values(), centre=True))

    def _choose(self, code: str):  # type: ignore[no-untyped-def]
        return lambda: self.language_chosen.emit(code)

    def show_state(self, state: State) -> None:
        """The start screen shows nobody's details; only why a scanned code was refused."""
        self.error.setText(_(state.error) if state.error else "")
        self.error.setVisible(bool(state.error))
        self._show_hint()

    def set_large_text(self, large: bool) -> None:
        """With larger text the hint is left out: the two ways in and the languages must stay on
        the screen in every language (the Welsh scan prompt takes three lines)."""
        self._large = large
        self._show_hint()

    def _show_hint(self) -> None:
        # The correction takes the hint's place.
        self.hint.setVisible(not self.error.text() and not self._large)
