"""The patient pages in Welsh, Polish and Arabic: chosen by a link on every page and kept for the
journey, the page's lang (and dir for Arabic), dates in the language, staff pages in English, and
no English left on a patient page in a shipped language (the words a page shows are either
translated or data typed by staff: place and test names, addresses)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from shared.locales import LANGUAGES, SHIPPED
from shared.models import AppointmentType, Site
from tests.integration.public_pages import get, parse
from tests.integration.test_public_booking import (  # noqa: F401 (fixture)
    DAY,
    confirm,
    sites,
    walk_to_check,
)

JOURNEY = (
    "/", "/book/type", "/book/postcode", "/book/place", "/book/date", "/book/time",
    "/book/nhs-number-known", "/book/nhs-number", "/book/name", "/book/date-of-birth",
    "/book/contact", "/book/test-request-number", "/book/check", "/manage",
)


class _Texts(HTMLParser):
    """The text a reader meets: text nodes, and alt / aria-label / title attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("alt", "aria-label") and value:
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(re.sub(r"\s+", " ", data).strip())


def texts(html: str) -> set[str]:
    """Every piece of text on a page that has a word in it."""
    parser = _Texts()
    parser.feed(html)
    return {t for t in parser.texts if re.search(r"[A-Za-z]{2}", t)}


def _data(session) -> set[str]:  # type: ignore[no-untyped-def]
    """What staff typed (place and test names, addresses, notes): shown as typed in every
    language, as are the languages' own names and the brand names."""
    typed: set[str] = {"NHS", "Phlebo", *(lang.name for lang in LANGUAGES.values())}
    for row in [*session.exec(select(Site)).all(), *session.exec(select(AppointmentType)).all()]:
        typed |= {v for v in vars(row).values() if isinstance(v, str)}
    return typed


def _english_left(english: str, translated: str, data: set[str]) -> set[str]:
    """Text that reads the same in English and the translated page and is not data or a
    reference, name, number or date-like token."""
    same = texts(english) & texts(translated)
    return {
        t for t in same
        if t not in data and not any(t in d for d in data)
        and re.search(r"[a-z]{3,} [a-z]{2,}", t)  # a phrase, not a code like 'ABC-DEF-GHJ'
    }


_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")


def _phrases(text: str, data_words: set[str]) -> set[str]:
    """Each run of three words in `text` (lower case), but runs of data's words or of codes in
    capitals (a reference, a postcode)."""
    words = _WORD.findall(text)
    return {
        " ".join(run).lower() for run in (words[i:i + 3] for i in range(len(words) - 2))
        if not all(w.isupper() or w.lower() in data_words for w in run)
    }


def _english_phrases(english: str, translated: str, data: set[str]) -> set[str]:
    """Three English words in a row that the translated page still has somewhere inside its
    sentences ('We have sent a text message to ...' half translated): what whole-text
    comparison cannot see."""
    data_words = {w.lower() for d in data for w in _WORD.findall(d)}
    found = [set().union(set(), *(_phrases(t, data_words) for t in texts(page)))
             for page in (english, translated)]
    return found[0] & found[1]


def test_every_patient_page_links_to_each_language_with_lang_and_hreflang(client):
    html = get(client, "/").html
    assert '<html lang="en-GB">' in html
    for code, lang in LANGUAGES.items():
        if code == "en":
            assert '<span class="phlebo-languages__current" lang="en" aria-current="true">' \
                'English</span>' in html
            continue
        assert (f'<a class="phlebo-languages__link" href="/?lang={code}" hreflang="{code}" '
                f'lang="{code}">{lang.name}</a>') in html


@pytest.mark.parametrize("code", SHIPPED)
def test_choosing_a_language_keeps_the_page_and_the_journey(client, sites, code):  # noqa: F811
    walk_to_check(client)
    response = client.get("/book/check?lang=" + code)
    # Back to the same page without ?lang= (so a reload or Back does not switch again).
    assert response.status_code == 302 and response.headers["Location"] == "/book/check"
    check = client.get("/book/check").data.decode()
    assert f'<html lang="{code}"' in check
    assert ('dir="rtl"' in check) == (code == "ar")
    # The answers are still there, and every later page is in the language too.
    assert "Zoë" in check and "O&#39;Brien" in check
    assert f'<html lang="{code}"' in client.get("/book/time").data.decode()


def test_dates_and_times_are_written_in_the_language(client, sites):  # noqa: F811
    walk_to_check(client)
    client.get("/book/check?lang=cy")
    check = parse(client.get("/book/check").data)
    assert "Dydd Mercher 25 Tachwedd 2026" in check.text and "09:10" in check.text
    client.get("/book/check?lang=pl")
    assert "środa 25 listopada 2026" in parse(client.get("/book/check").data).text
    client.get("/book/check?lang=ar")
    arabic = parse(client.get("/book/check").data).text
    assert "الأربعاء 25 نوفمبر 2026" in arabic and "9:10 ص" in arabic
    # The NHS number is written as it always is.
    assert "999" in arabic and re.search(r"\d{3} \d{3} \d{4}", arabic)


def test_staff_pages_stay_english_whatever_the_patient_chose(client):
    client.get("/?lang=cy")
    staff = client.get("/staff/login").data.decode()
    assert '<html lang="en-GB">' in staff and "phlebo-languages" not in staff
    assert "Archebu" not in staff


@pytest.mark.parametrize("code", SHIPPED)
def test_no_english_is_left_on_the_patient_pages(client, session, sites, code):  # noqa: F811
    """Every page of a booking, its confirmation and its manage page, in English and then in
    `code`: any phrase that reads the same in both (and is not data staff typed) was missed."""
    walk_to_check(client)
    english = {url: client.get(url).data.decode() for url in JOURNEY}
    client.get("/?lang=" + code)
    translated = {url: client.get(url).data.decode() for url in JOURNEY}
    data = _data(session)
    left = {url: _english_left(english[url], translated[url], data)
            | _english_phrases(english[url], translated[url], data) for url in JOURNEY}
    assert {url: found for url, found in left.items() if found} == {}
    client.get("/?lang=en")
    done_english = confirm(client).html
    client.get("/?lang=" + code)
    done = client.get("/book/confirmation").data.decode()
    assert _english_left(done_english, done, data) | _english_phrases(done_english, done, data) == set()
