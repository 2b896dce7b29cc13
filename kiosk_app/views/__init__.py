"""The kiosk's screens: one QWidget each, rendering a flow.State and emitting flow events."""

from kiosk_app.views.busy import BusyView
from kiosk_app.views.confirm import ConfirmView
from kiosk_app.views.dob import DobView
from kiosk_app.views.problem import ProblemView
from kiosk_app.views.reference import ReferenceView
from kiosk_app.views.result import ResultView
from kiosk_app.views.start import StartView
from kiosk_app.views.walk_in import NhsNumberView, TextEntryView

__all__ = ["BusyView", "ConfirmView", "DobView", "NhsNumberView", "ProblemView", "ReferenceView",
           "ResultView", "StartView", "TextEntryView"]
