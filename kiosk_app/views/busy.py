"""One moment, please: shown while the kiosk waits for the server."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk_app.flow import State
from kiosk_app.views.common import View, add_all, text
from shared.locales import N_
from shared.locales import gettext as _

_WHAT = {"finding": N_("Finding your appointment…"), "checking_in": N_("Checking you in…")}


class BusyView(View):
    """No buttons: the patient waits a few seconds at most."""

    def __init__(self) -> None:
        super().__init__()
        self.title = text(_("One moment, please"), "title", align=Qt.AlignmentFlag.AlignHCenter)
        self.what = text("", align=Qt.AlignmentFlag.AlignHCenter, name="busy_what")
        add_all(self.page(), 1, self.title, self.what, 2)

    def show_state(self, state: State) -> None:
        """Say what the kiosk is doing."""
        what = _WHAT.get(state.busy)
        self.what.setText(_(what) if what else "")
