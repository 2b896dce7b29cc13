"""Problem screens: a plain explanation and 'Please speak to reception'."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk_app.flow import StartAgain, State
from kiosk_app.messages import problem_text, wait_text
from kiosk_app.views.common import View, add_all, button, row, text
from shared.locales import gettext as _

CENTRE = Qt.AlignmentFlag.AlignHCenter


class ProblemView(View):
    """One screen for every problem; patients who are checked in also see their number."""

    def __init__(self) -> None:
        super().__init__()
        self.title = text("", "title", name="problem_title", align=CENTRE)
        self.body = text("", name="problem_body", align=CENTRE)
        self.caption = text(_("Your number is"), align=CENTRE, name="number_caption")
        self.number = text("", "number", name="queue_number", align=CENTRE)
        self.wait = text("", align=CENTRE, name="wait")
        self.action = text("", "callout", name="problem_action")
        self.again = button(_("Start again"), "primary", self.send(StartAgain()),
                            name="start_again")
        self.again.setFixedWidth(480)
        page = self.page()
        page.setSpacing(8)  # many short lines: keep the number and the words together
        add_all(page, 1, self.title, self.body, self.caption, self.number, self.wait,
                self.action, 2, row(self.again, centre=True))

    def show_state(self, state: State) -> None:
        """Explain the problem in state.problem."""
        problem = state.problem
        words = problem_text(problem.code if problem else "error", problem.extra if problem else {})
        self.title.setText(words.title)
        self.body.setText(words.body)
        self.action.setText(words.action)
        has_number = words.queue_number is not None
        self.number.setText(str(words.queue_number) if has_number else "")
        for widget in (self.caption, self.number):
            widget.setVisible(has_number)
        wait = wait_text(problem.extra.get("wait_minutes")) if problem and has_number else ""
        self.wait.setText(wait)
        self.wait.setVisible(bool(wait))
        self.again.setText(_("Finish") if words.checked_in else _("Start again"))
