"""The kiosk in Welsh, Polish and Arabic, offscreen: the language buttons on the start screen,
every screen's words from the shared catalogues, Arabic mirrored with its keypads and date boxes
left to right, back to English when the kiosk goes idle, and a whole check-in in Welsh and
Arabic (screens saved to test-artifacts/kiosk/ and looked at)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from kiosk_app.flow import Screen
from shared.locales import LANGUAGES, language
from tests.kiosk.test_screens import on, shown, tap, type_dob, type_reference
from tests.kiosk.test_screens import save as save_now

WORDS = {  # what a patient reads on each screen of a check-in, in each language
    "cy": ("Cofrestrwch ar gyfer eich prawf gwaed", "Teipiwch eich cyfeirnod archebu",
           "Rhowch eich dyddiad geni", "Ai chi yw hwn?", "Apwyntiad am 10:30",
           "Byddwch yn aros tua 15 munud.", "wedi argraffu ar gyfer y fflebotomydd"),
    "ar": ("سجّل وصولك لفحص الدم", "اكتب رقم الحجز", "أدخل تاريخ ميلادك", "هل هذا أنت؟",
           "الموعد الساعة 10:30 ص", "مدة الانتظار نحو 15 دقيقة.", "طُبعت ملصقاتك"),
}


def save(kiosk, name: str) -> None:
    """Lay the screen out (Qt does it from the event loop) before saving it."""
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    save_now(kiosk, name)


def choose(qtbot, kiosk, code: str) -> None:
    tap(qtbot, kiosk.window.views[Screen.START].languages[code])


def test_the_start_screen_offers_each_language_in_its_own_name(qtbot, make_kiosk):
    kiosk = make_kiosk()
    buttons = kiosk.window.views[Screen.START].languages
    assert {code: b.text() for code, b in buttons.items()} == {
        code: lang.name for code, lang in LANGUAGES.items()}
    assert [code for code, b in buttons.items() if b.property("kind") == "secondary"] == ["en"]
    choose(qtbot, kiosk, "pl")
    assert shown(kiosk, "scan_prompt") == "Zeskanuj kod QR z listu lub SMS-a o wizycie"
    assert kiosk.window.text_size.text() == "Większy tekst"
    assert kiosk.window.views[Screen.START].languages["pl"].property("kind") == "secondary"


@pytest.mark.parametrize("code", ["cy", "ar"])
def test_a_whole_check_in_in_welsh_and_arabic(qtbot, make_kiosk, stub, code):
    kiosk = make_kiosk()
    choose(qtbot, kiosk, code)
    start, reference, dob, confirm, when, wait, labels = WORDS[code]
    assert kiosk.window.views[Screen.START].title.text() == start
    save(kiosk, f"{code}-01-start")
    view = type_reference(qtbot, kiosk)
    assert view.title.text() == reference and shown(kiosk, "reference_display") == "ABC-DEF-GHJ"
    save(kiosk, f"{code}-02-reference")
    tap(qtbot, view.next)
    dob_view = type_dob(qtbot, kiosk)
    assert dob_view.title.text() == dob
    save(kiosk, f"{code}-03-dob")
    tap(qtbot, dob_view.next)
    qtbot.waitUntil(lambda: on(kiosk, Screen.CONFIRM), timeout=5000)
    assert kiosk.window.current_view.title.text() == confirm
    assert shown(kiosk, "appointment_time") == when
    save(kiosk, f"{code}-04-confirm")
    tap(qtbot, kiosk.window.current_view.yes)
    qtbot.waitUntil(lambda: on(kiosk, Screen.RESULT), timeout=5000)
    assert shown(kiosk, "queue_number") == "1" and shown(kiosk, "wait") == wait
    qtbot.waitUntil(lambda: labels in shown(kiosk, "labels"), timeout=10000)
    save(kiosk, f"{code}-05-result")
    tap(qtbot, kiosk.window.current_view.finish)
    assert on(kiosk, Screen.START) and language().code == code  # only idle resets it


def test_arabic_mirrors_the_screens_but_not_the_keypads(qtbot, make_kiosk):
    kiosk = make_kiosk()
    choose(qtbot, kiosk, "ar")
    assert kiosk.window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    view = type_reference(qtbot, kiosk, "AB")
    # The buttons row mirrors: Next (the way on) is at the left in Arabic.
    assert view.next.mapTo(kiosk.window, view.next.rect().topLeft()).x() < \
        view.back.mapTo(kiosk.window, view.back.rect().topLeft()).x()
    keys = view.keypad.keys
    assert keys["A"].x() < keys["B"].x() < keys["C"].x()  # the alphabet reads left to right
    assert shown(kiosk, "reference_display") == "AB_-___-___"
    tap(qtbot, view.back)
    tap(qtbot, kiosk.window.views[Screen.START].no_qr)
    for char in "ABCDEFGHJ":
        tap(qtbot, kiosk.window.current_view.keypad.keys[char])
    tap(qtbot, kiosk.window.current_view.next)
    dob = type_dob(qtbot, kiosk, "0403")
    assert dob.keypad.keys["1"].x() < dob.keypad.keys["2"].x() < dob.keypad.keys["3"].x()
    day, month, year = (dob.fields[f].mapTo(kiosk.window, dob.fields[f].rect().topLeft()).x()
                        for f in ("day", "month", "year"))
    assert day < month < year  # 04 03 1957, as the hint writes it
    save(kiosk, "ar-03-dob-typing")


def test_the_kiosk_goes_back_to_english_when_idle(qtbot, make_kiosk):
    kiosk = make_kiosk(idle_seconds=0.3)
    choose(qtbot, kiosk, "ar")
    assert language().code == "ar"
    qtbot.waitUntil(lambda: language().code == "en", timeout=3000)
    assert kiosk.window.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert shown(kiosk, "scan_prompt") == "Scan the QR code from your appointment letter or text"
    assert kiosk.window.views[Screen.START].languages["ar"].property("kind") == "toggle"
