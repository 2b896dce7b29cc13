"""Is this you? The masked name and the appointment time, nothing more."""

from __future__ import annotations

import datetime as dt

from kiosk_app.flow import ConfirmNo, ConfirmYes, State
from kiosk_app.models import Identity
from kiosk_app.views.common import View, add_all, button, row, text
from shared.locales import ENGLISH, language
from shared.locales import gettext as _
from shared.timeutil import format_time


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
        self.when.setText(_("Appointment at %(time)s") % {"time": _local_time(identity)}
                          if identity else "")
        self.what.setText(_(identity.appointment_type) if identity and identity.appointment_type
                          else "")


def _local_time(identity: Identity) -> str:
    """The appointment's time as the kiosk's language writes it (from starts_at); in English, or
    without starts_at, as the server wrote it (the same words as the web and the letter)."""
    if language().code == ENGLISH:
        return identity.local_time
    try:
        instant = dt.datetime.fromisoformat(identity.starts_at)
    except ValueError:
        return identity.local_time
    return format_time(instant) if instant.tzinfo else identity.local_time
