"""You're checked in: the queue number, the wait, and what happens with the labels."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk_app.flow import Labels, StartAgain, State
from kiosk_app.messages import wait_text
from kiosk_app.views.common import View, add_all, button, row, text
from shared.locales import N_
from shared.locales import gettext as _

CENTRE = Qt.AlignmentFlag.AlignHCenter
_LABELS = {
    Labels.PRINTING: N_("Your labels are printing for the phlebotomist."),
    Labels.PRINTED: N_("Your labels have printed for the phlebotomist."),
    Labels.RECEPTION: N_("Please speak to reception about your labels."),
    Labels.NONE: "",
}
HAND_LABEL = N_("The phlebotomist will label one tube at the chair.")


class ResultView(View):
    """The end of a good check-in; Finish (or the idle timeout) clears it."""

    def __init__(self) -> None:
        super().__init__()
        self.title = text(_("You're checked in"), "title", align=CENTRE)
        self.caption = text(_("Your number is"), align=CENTRE)
        self.number = text("", "number", name="queue_number", align=CENTRE)
        self.wait = text("", align=CENTRE, name="wait")
        self.labels = text("", "callout", name="labels")
        self.hand = text(_(HAND_LABEL), "muted", name="hand_label", align=CENTRE)
        self.seat = text(_("Please take a seat. We will call your number."), align=CENTRE)
        self.finish = button(_("Finish"), "primary", self.send(StartAgain()), name="finish")
        self.finish.setFixedWidth(480)
        page = self.page()
        page.setSpacing(8)  # many short lines: keep the number and the words together
        add_all(page, self.title, self.caption, self.number, self.wait, self.labels,
                self.hand, self.seat, 1, row(self.finish, centre=True))

    def show_state(self, state: State) -> None:
        """Show this check-in's number and wait; Finish waits for the labels."""
        result = state.checkin
        self.number.setText(str(result.queue_number) if result else "")
        self.wait.setText(wait_text(result.wait_minutes) if result else "")
        self.labels.setText(_(_LABELS[state.labels]) if _LABELS[state.labels] else "")
        self.labels.setVisible(bool(_LABELS[state.labels]))
        self.hand.setVisible(bool(result and result.hand_label))
        self.finish.setEnabled(state.labels != Labels.PRINTING)
