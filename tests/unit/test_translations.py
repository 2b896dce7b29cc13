"""The shipped catalogues (Welsh, Polish, Arabic) are complete, current and marked for review:
a patient-facing message added to the site, the kiosk or the messages without a translation in
every shipped language fails here."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from shared.locales import SHIPPED, TRANSLATIONS_DIR

ROOT = Path(__file__).resolve().parents[2]
# gettext's %(x)s, Notify's ((x)) and the problem messages' {x} / {x:date} (shared/wording.py)
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|\(\([a-z_]+\)\)|(?<!\{)\{[a-z_]+(?::[^{}]*)?\}(?!\})")
TAG = re.compile(r"</?[a-z]+")


def _source_messages() -> set[str]:
    """Every message the code and the patient templates mark, extracted as `make translations`
    does (babel.cfg)."""
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    return {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }


def _catalogue(code: str):  # type: ignore[no-untyped-def]
    with open(TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


@pytest.fixture(scope="module")
def source_messages() -> set[str]:
    return _source_messages()


def test_the_template_holds_every_message_in_the_code(source_messages: set[str]) -> None:
    with open(TRANSLATIONS_DIR / "messages.pot", "rb") as pot:
        template = {m.id for m in read_po(pot) if m.id}
    assert source_messages - template == set(), "run `make translations`"
    assert template - source_messages == set(), "run `make translations` (messages gone)"


@pytest.mark.parametrize("code", SHIPPED)
def test_every_patient_message_is_translated(code: str, source_messages: set[str]) -> None:
    catalogue = _catalogue(code)
    translated = {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted(source_messages - translated.keys())
    assert missing == [], f"{code}: {len(missing)} untranslated, e.g. {missing[:5]}"


@pytest.mark.parametrize("code", SHIPPED)
def test_translations_keep_placeholders_and_markup(code: str) -> None:
    for message in _catalogue(code):
        if not message.id:
            continue
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(
            PLACEHOLDER.findall(message.id)
        ), (code, message.id)
        assert sorted(TAG.findall(message.string)) == sorted(TAG.findall(message.id)), (
            code, message.id)


@pytest.mark.parametrize("code", SHIPPED)
def test_each_catalogue_says_it_needs_review_by_a_native_speaker(code: str) -> None:
    catalogue = _catalogue(code)
    assert "NEEDS REVIEW BY A NATIVE" in catalogue.header_comment
    assert "BEFORE USE WITH PATIENTS" in catalogue.header_comment
    assert str(catalogue.locale) == code and not catalogue.fuzzy


@pytest.mark.parametrize("code", SHIPPED)
def test_the_compiled_catalogue_is_the_current_one(code: str) -> None:
    """The .mo the site and the kiosk load says what the .po says (`make translations`)."""
    with open(TRANSLATIONS_DIR / code / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        compiled = {m.id: m.string for m in read_mo(io.BytesIO(mo.read())) if m.id}
    written = {m.id: m.string for m in _catalogue(code) if m.id}
    assert compiled == written
