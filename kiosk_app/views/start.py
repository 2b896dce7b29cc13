"""Start: scan your QR code, or tap to type your booking reference instead."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk_app.flow import NoQrCode, State
from kiosk_app.views.common import View, add_all, button, row, text

CENTRE = Qt.AlignmentFlag.AlignHCenter


class StartView(View):
    """The welcome screen; a scan anywhere moves on (the input filter catches it)."""

    def __init__(self) -> None:
        super().__init__()
        self.title = text("Check in for your blood test", "title", align=CENTRE)
        self.scan = text("Scan the QR code from your appointment letter or text",
                         "name", name="scan_prompt", align=CENTRE)
        self.hint = text("Hold the QR code in front of the scanner. "
                         "Then you will enter your date of birth.", "muted", align=CENTRE,
                         name="scan_hint")
        self.error = text("", "error", name="start_error", align=CENTRE)
        self.no_qr = button("I don't have my QR code", "secondary", self.send(NoQrCode()),
                            name="no_qr")
        self.no_qr.setFixedWidth(640)
        add_all(self.page(), 1, self.title, 1, self.scan, self.hint, self.error, 2,
                row(self.no_qr, centre=True), 1)

    def show_state(self, state: State) -> None:
        """The start screen shows nobody's details; only why a scanned code was refused."""
        self.error.setText(state.error)
        self.error.setVisible(bool(state.error))
