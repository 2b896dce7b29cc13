"""The kiosk window: a header with the text-size and contrast buttons, and the screens."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLayout, QStackedWidget, QVBoxLayout, QWidget

from kiosk_app.controller import KioskController
from kiosk_app.flow import Screen, State
from kiosk_app.theme import Theme
from kiosk_app.views import (
    BusyView,
    ConfirmView,
    DobView,
    NhsNumberView,
    ProblemView,
    ReferenceView,
    ResultView,
    StartView,
    TextEntryView,
)
from kiosk_app.views.common import View, button, text
from shared.locales import ENGLISH, N_, language, reset_language, set_language
from shared.locales import gettext as _

TEXT_SIZE = {False: N_("Larger text"), True: N_("Smaller text")}
CONTRAST = {False: N_("High contrast"), True: N_("Normal colours")}


class KioskWindow(QWidget):
    """Full screen and unclosable in kiosk mode; windowed and closable in dev mode."""

    def __init__(self, controller: KioskController, *, kiosk_mode: bool):
        super().__init__()
        self.setObjectName("kiosk")
        self.setWindowTitle(_("Blood test check-in"))
        self.controller = controller
        self.kiosk_mode = kiosk_mode
        self._allow_close = not kiosk_mode
        self.theme = Theme()
        self._language_token: object | None = None
        if kiosk_mode:
            self.setWindowFlags(Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint
                                | Qt.WindowType.WindowStaysOnTopHint)
            self.setCursor(Qt.CursorShape.BlankCursor)  # touch only; no mouse pointer

        self.text_size = button(TEXT_SIZE[False], "toggle", self.toggle_text_size,
                                name="text_size")
        self.contrast = button(CONTRAST[False], "toggle", self.toggle_contrast, name="contrast")
        for toggle in (self.text_size, self.contrast):
            toggle.setMinimumWidth(280)
        header = QFrame()
        header.setObjectName("header")
        bar = QHBoxLayout(header)
        bar.setContentsMargins(48, 12, 24, 12)
        self.header_title = text(_("Blood test check-in"), name="header_title")
        bar.addWidget(self.header_title, 1)
        bar.addWidget(self.text_size)
        bar.addWidget(self.contrast)

        self.stack = QStackedWidget()
        self.views: dict[Screen, View] = {}
        self._make_views()

        layout = QVBoxLayout(self)
        # The screen size is fixed: word-wrapped labels must not make Qt grow the window
        # from their narrowest-width height; they get their real height at full width.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(header)
        layout.addWidget(self.stack, 1)

        controller.changed.connect(self.show_state)
        controller.went_idle.connect(self.reset_display)
        self.apply_theme(Theme())
        self.show_state(controller.state)

    def _make_views(self) -> None:
        """The screens, in the current language (made again when it changes)."""
        for old in self.views.values():
            self.stack.removeWidget(old)
            old.deleteLater()
        start = StartView()
        start.language_chosen.connect(self.choose_language)
        self.views = {
            Screen.START: start, Screen.REFERENCE: ReferenceView(), Screen.DOB: DobView(),
            Screen.BUSY: BusyView(), Screen.CONFIRM: ConfirmView(), Screen.RESULT: ResultView(),
            Screen.PROBLEM: ProblemView(), Screen.WALK_IN_NHS: NhsNumberView(),
            Screen.WALK_IN_TEXT: TextEntryView(),
        }
        for view in self.views.values():
            self.stack.addWidget(view)
            view.tapped.connect(self.controller.dispatch)

    def choose_language(self, code: str) -> None:
        """Speak `code` on every screen (Arabic right to left; keypads stay left to right)."""
        if code == language().code:
            return
        # The GUI thread's language (the screens' words are made here), undone on close.
        self._forget_language()
        if code != ENGLISH:
            self._language_token = set_language(code)
        lang = language()
        self.setLayoutDirection(Qt.LayoutDirection.RightToLeft if lang.rtl
                                else Qt.LayoutDirection.LeftToRight)
        self.setWindowTitle(_("Blood test check-in"))
        self.header_title.setText(_("Blood test check-in"))
        self._make_views()
        self.apply_theme(self.theme)
        self.show_state(self.controller.state)

    def _forget_language(self) -> None:
        if self._language_token is not None:
            reset_language(self._language_token)
            self._language_token = None

    def show_state(self, state: State) -> None:
        """Show the screen for `state`; hidden screens re-render too, so none keeps old data."""
        for view in self.views.values():
            view.show_state(state)
        self.stack.setCurrentWidget(self.views[state.screen])

    @property
    def current_view(self) -> View:
        """The screen on show."""
        widget = self.stack.currentWidget()
        assert isinstance(widget, View)
        return widget

    def toggle_text_size(self) -> None:
        """Larger text on or off."""
        self.apply_theme(Theme(large=not self.theme.large, contrast=self.theme.contrast))

    def toggle_contrast(self) -> None:
        """High contrast on or off."""
        self.apply_theme(Theme(large=self.theme.large, contrast=not self.theme.contrast))

    def reset_display(self) -> None:
        """Back to English, normal text and normal colours for the next patient."""
        if language().code != ENGLISH:
            self.choose_language(ENGLISH)
        self.apply_theme(Theme())

    def apply_theme(self, theme: Theme) -> None:
        """Restyle every screen."""
        self.theme = theme
        self.text_size.setText(_(TEXT_SIZE[theme.large]))
        self.contrast.setText(_(CONTRAST[theme.contrast]))
        for view in self.views.values():
            view.set_large_text(theme.large)
        sheet = theme.stylesheet()
        if language().rtl:  # Qt style sheets do not mirror: the callout's bar goes to the right
            sheet = sheet.replace("border-left:", "border-right:")
        self.setStyleSheet(sheet)

    def show_kiosk(self) -> None:
        """Full screen in kiosk mode, a normal window in dev mode."""
        if self.kiosk_mode:
            self.showFullScreen()
        else:
            self.resize(1280, 800)
            self.show()

    def shut_down(self) -> None:
        """Close for real (the app's own shutdown, never a patient)."""
        self._allow_close = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        """In kiosk mode only shut_down() closes the window (not Alt+F4, not the system)."""
        if self._allow_close:
            self._forget_language()
            event.accept()
        else:
            event.ignore()
