"""Is this you? The masked name and the appointment time, nothing more."""

from __future__ import annotations

from kiosk_app.flow import ConfirmNo, ConfirmYes, State
from kiosk_app.views.common import View, add_all, button, row, text
from shared.locales import gettext as _


class ConfirmView(View):
    """Yes checks in; No sends the patient to reception."""

    def __init__(self) -> None:
        super().__init__()
        self.title = text(_("Is this you?"), "title")
        self.name = text("", "name", name="masked_name")
        self.when = text("", name="appointment_time")
        self.what = text("", "muted", name="appointment_type")
        self.yes = button(_("Yes, check me in"), "primary", self.send(ConfirmYes()), name="yes")
        self.no = button(_("No, this is not me"), "secondary", self.send(ConfirmNo()), name="no")
        add_all(self.page(), 1, self.title, self.name, self.when, self.what, 2,
                row(self.no, self.yes), 1)

    def show_state(self, state: State) -> None:
        """Show the masked name and the appointment time from the server."""
        identity = state.identity
        self.name.setText(identity.masked_name if identity else "")
        self.when.setText(_("Appointment at %(time)s") % {"time": identity.local_time}
                          if identity else "")
        self.what.setText(_(identity.appointment_type) if identity and identity.appointment_type
                          else "")
