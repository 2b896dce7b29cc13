"""The languages patients can read Phlebo in: their names, direction, the gettext catalogues the
site and the kiosk share (shared/translations/<lang>/LC_MESSAGES/messages.po, compiled to .mo),
and the language of the words being written now (a context variable: English unless a patient
page, a kiosk screen or a patient's message says otherwise)."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from babel import numbers
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DOMAIN = "messages"
ENGLISH = "en"


@dataclass(frozen=True)
class Language:
    """A language patients can choose: its code (BCP 47, also the catalogue's name), its name
    in itself (what a link to it says), the locale Babel formats dates with, and direction."""

    code: str
    name: str
    babel_locale: str
    rtl: bool = False

    @property
    def direction(self) -> str:
        """'rtl' or 'ltr', for the dir attribute and Qt."""
        return "rtl" if self.rtl else "ltr"


LANGUAGES: dict[str, Language] = {
    language.code: language
    for language in (
        Language("en", "English", "en_GB"),
        Language("cy", "Cymraeg", "cy_GB"),
        Language("pl", "Polski", "pl_PL"),
        Language("ar", "العربية", "ar", rtl=True),
    )
}
SHIPPED = tuple(code for code in LANGUAGES if code != ENGLISH)  # the catalogues we ship

_current: ContextVar[str] = ContextVar("phlebo_language", default=ENGLISH)


def known_language(code: str | None) -> str:
    """`code` when it is a language we ship, else English (an old or made-up value)."""
    return code if code in LANGUAGES else ENGLISH


def offered_language(code: str | None) -> str:
    """A language as a booking or request keeps it: its code when we offer it in a language
    other than English, else '' (English, also for a language we do not offer)."""
    code = known_language(code)
    return "" if code == ENGLISH else code


# RFC 5646 section 2.1 (the ABNF of a BCP 47 language tag), case-insensitive: language
# (2-3 letters with up to three extlang subtags, or 4-8 letters), script, region, variants,
# extensions, private use; or a private-use tag alone. Grandfathered tags ('i-klingon',
# 'en-GB-oed') are well-formed too: none names a language we offer, so they read as English.
_BCP47 = re.compile(
    r"(?:(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})"
    r"(?:-[a-z]{4})?"
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"
    r"(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*"
    r"(?:-x(?:-[a-z0-9]{1,8})+)?"
    r"|x(?:-[a-z0-9]{1,8})+"
    r"|en-gb-oed|i-[a-z]{2,8}|(?:art|cel|no|zh)-[a-z]{3,8}|sgn-(?:be|ch)-[a-z]{2,3})",
    re.IGNORECASE)

# ISO 639-1 and ISO 639-2 (bibliographic and terminology) codes of the languages we offer,
# as HL7 v2 PID-15 carries them (HL7 table 0296 suggests ISO 639).
_ISO_639 = {"en": "en", "eng": "en", "cy": "cy", "wel": "cy", "cym": "cy", "pl": "pl", "pol": "pl",
            "ar": "ar", "ara": "ar"}


def language_of_tag(tag: str) -> str | None:
    """The language a BCP 47 tag ('cy', 'cy-GB', 'ar-Arab-EG') asks for, as a request keeps it
    ('' for English or a language we do not offer); None when it is not a well-formed tag."""
    text = tag.strip()
    if not _BCP47.fullmatch(text):
        return None
    return offered_language(_ISO_639.get(text.split("-", 1)[0].lower(), ""))


def language_of_iso_639(code: str) -> str:
    """The language an ISO 639-1 or 639-2 code ('cy', 'wel', 'cym', 'POL') names, as a request
    keeps it: '' for English, a language we do not offer, or anything else (a BCP 47 tag's
    first subtag is read too: 'cy-GB')."""
    return offered_language(_ISO_639.get(code.strip().split("-", 1)[0].lower(), ""))


def language() -> Language:
    """The language words are being written in now."""
    return LANGUAGES[_current.get()]


def booked_language() -> str:
    """The current language as a booking keeps it: '' for English, else its code."""
    code = _current.get()
    return "" if code == ENGLISH else code


@contextlib.contextmanager
def use_language(code: str | None) -> Iterator[Language]:
    """Write in `code` (English when unknown) inside the block: a patient's message or letter
    in the language they booked in."""
    token = _current.set(known_language(code))
    try:
        yield language()
    finally:
        _current.reset(token)


def set_language(code: str | None) -> object:
    """Write in `code` until `reset_language` is given the returned token (a request's hooks)."""
    return _current.set(known_language(code))


def reset_language(token: object) -> None:
    """Undo `set_language`."""
    _current.reset(token)  # type: ignore[arg-type]


@functools.cache
def translations(code: str) -> NullTranslations:
    """The compiled catalogue for `code` (English: none, the message ids are the English)."""
    if known_language(code) == ENGLISH:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [code], DOMAIN)


def gettext(message: str) -> str:
    """`message` in the current language."""
    return translations(_current.get()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message in the current language, for `n`."""
    return translations(_current.get()).ungettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 (the name gettext's tools look for)
    """Mark `message` for the catalogue without translating it now (translated where shown)."""
    return message


def format_decimal(value: float, pattern: str = "0.0") -> str:
    """A number written the current language's way ('2.5' in English, '2,5' in Polish)."""
    return numbers.format_decimal(value, pattern, locale=language().babel_locale)
