"""Every screen at 1280 x 800, saved to test-artifacts/kiosk/ for people to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from kiosk_app.flow import (
    DOB_MISS_REFERENCE,
    NHS_NUMBER_TYPO,
    NOT_OUR_CODE,
    DobEntry,
    Labels,
    Problem,
    Screen,
    State,
)
from kiosk_app.messages import PROBLEM_CODES
from kiosk_app.models import CheckinResult, Identity
from kiosk_app.theme import Theme

OUT = Path(__file__).resolve().parents[2] / "test-artifacts" / "kiosk"
IDENTITY = Identity("ABCDEFGHJ", "J*** S****", "10:30", "Adult blood test", "Riverside")
RESULT = CheckinResult("ABCDEFGHJ", 7, 15, ({"specimen_id": "2611230001"},),
                       ("Group and save",), 12, "pending")
EXTRA = {"queue_number": 7, "checkin_opens_at": "09:30", "wait_minutes": 15,
         "starts_at": "2099-03-03T10:30:00+00:00", "site_name": "Seacroft Clinic",
         "site_address": "1 York Road, Leeds, LS14 6UH",
         "book_online_at": "bloodtests.example.nhs.uk"}

SCREENS = {
    "01-start": State(),
    "01b-start-not-our-code": State(error=NOT_OUR_CODE),
    "02-reference": State(screen=Screen.REFERENCE, reference="ABCDE"),
    "02b-reference-error": State(screen=Screen.REFERENCE, reference="ABCD",
                                 error="A booking reference has 9 letters and numbers. "
                                       "Please check it."),
    "03-dob": State(screen=Screen.DOB, dob=DobEntry("04", "03", "", "year")),
    "03b-dob-error": State(screen=Screen.DOB, dob=DobEntry("31", "02", "1990", "year"),
                           error="Please check the day. That date does not exist."),
    "03c-dob-one-more-try": State(screen=Screen.DOB, reference="ABCDEFGHJ",
                                  error=DOB_MISS_REFERENCE, dob_misses=1),
    "04-busy": State(screen=Screen.BUSY, busy="checking_in"),
    "05-confirm": State(screen=Screen.CONFIRM, identity=IDENTITY),
    "06-result-printing": State(screen=Screen.RESULT, checkin=RESULT, labels=Labels.PRINTING),
    "06b-result-printed": State(screen=Screen.RESULT, checkin=RESULT, labels=Labels.PRINTED),
    **{f"07-problem-{code}": State(screen=Screen.PROBLEM, problem=Problem(code, EXTRA))
       for code in PROBLEM_CODES},
    "08-walk-in-nhs": State(screen=Screen.WALK_IN_NHS, walk_in=True, nhs_number="94347659"),
    "08b-walk-in-nhs-typo": State(screen=Screen.WALK_IN_NHS, walk_in=True,
                                  nhs_number="9434765918", error=NHS_NUMBER_TYPO),
    "09-walk-in-first-name": State(screen=Screen.WALK_IN_TEXT, walk_in=True,
                                   given_name="ANNE-MA"),
    "09b-walk-in-last-name": State(screen=Screen.WALK_IN_TEXT, walk_in=True,
                                   given_name="ANNE-MARIE", family_name="O'BRIEN",
                                   text_field="family_name"),
    "09c-walk-in-postcode": State(screen=Screen.WALK_IN_TEXT, walk_in=True,
                                  given_name="ANNE-MARIE", family_name="O'BRIEN",
                                  postcode="LS1 4", text_field="postcode"),
}


@pytest.mark.parametrize("theme", [Theme(), Theme(large=True, contrast=True)],
                         ids=["normal", "large-contrast"])
def test_screenshots(qtbot, make_kiosk, theme):
    OUT.mkdir(parents=True, exist_ok=True)
    kiosk = make_kiosk()
    window = kiosk.window
    window.apply_theme(theme)
    suffix = "" if theme == Theme() else "-large-contrast"
    for name, state in SCREENS.items():
        window.show_state(state)
        qtbot.wait(1)  # let the layout settle before the picture is taken
        image = window.grab()
        assert image.save(str(OUT / f"{name}{suffix}.png"))
        assert (image.width(), image.height()) == (1280, 800), name
        # Nothing squeezed below its minimum or pushed off the bottom of the screen.
        view = window.current_view
        for widget in view.findChildren(QWidget):
            if widget.isVisible():
                needed = (widget.heightForWidth(widget.width()) if widget.hasHeightForWidth()
                          else widget.minimumSizeHint().height())
                assert widget.height() >= needed, (name, widget.objectName(), needed)
                assert widget.mapTo(view, widget.rect().bottomLeft()).y() <= view.height(), name
