"""Words, for the edges only (the site, the API, the kiosk): a type's name inside a sentence, and
the templates of a message catalogue filled in from a Problem's values, in the language being
written in (shared.locales): a template the gettext catalogues translate (marked N_ where it is
written) is filled in from its translation, and dates, times and numbers are written the
language's way. Services and rules never use this module: they name a problem and its values,
and each edge chooses the words (the seam translations plug into)."""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.errors import Problem
from shared.locales import ENGLISH, format_decimal, gettext, language
from shared.timeutil import format_date, format_time, to_local

_VOWEL_SOUND_LETTERS = set("AEFHILMNORSX")  # letters whose name starts with a vowel sound


def in_sentence(name: str, *, article: bool = True) -> str:
    """A type's name inside a sentence: 'a glucose tolerance test', 'an INR (anticoagulation)
    test'. The first word is lower-cased unless it is an abbreviation said letter by letter."""
    first, _, rest = name.partition(" ")
    acronym = first.isupper() and len(first) > 1
    words = (first if acronym else first.lower()) + (" " + rest if rest else "")
    if not article:
        return words
    if acronym:
        an = first[0] in _VOWEL_SOUND_LETTERS
    else:
        an = first[:1].lower() in "aeiou"
    return ("an " if an else "a ") + words


@dataclass(frozen=True)
class Choice:
    """Words that depend on a value (ICU's 'select'): one template for each value of a
    parameter (a list of values is chosen by its items joined with spaces), or of a key that
    `pick` works out from all the values."""

    param: str
    variants: Mapping[str, Words]
    pick: Callable[[Mapping[str, Any]], str] | None = None

    def choose(self, params: Mapping[str, Any]) -> Words:
        """The variant these values call for (KeyError when there is none)."""
        if self.pick is not None:
            return self.variants[self.pick(params)]
        value = params[self.param]
        key = " ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        return self.variants[key]


Words = str | Choice


def templates(words: Words) -> list[str]:
    """Every template an entry can give (for tests and translators)."""
    if isinstance(words, Choice):
        return [t for variant in words.variants.values() for t in templates(variant)]
    return [words]


class _Filler(string.Formatter):
    """str.format with the specs a catalogue uses: {x:date} 'Monday 23 November 2026',
    {x:time} '9:05am' (an instant, in London), {x:list} 'A, B', {x:in_sentence} 'a child blood
    test', {x:article_lower} 'A child blood test', {x:hours} minutes as hours ('1.5'); a
    Problem value, or {x:problems} for several ('A; B'), is put into words by the edge's own
    `nested`."""

    def __init__(self, nested: Callable[[Problem], str]):
        self.nested = nested

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Problem):
            return self.nested(value)
        if format_spec == "date":  # an instant is given as its London day
            return format_date(to_local(value).date() if isinstance(value, dt.datetime) else value)
        if format_spec == "time":
            return format_time(value)
        if format_spec == "list":
            return ", ".join(map(str, value))
        if format_spec == "problems":
            return "; ".join(self.nested(p) for p in value)
        if format_spec in ("in_sentence", "article_lower") and language().code != ENGLISH:
            return str(value)  # English grammar only: a translation places the name itself
        if format_spec == "in_sentence":
            return in_sentence(value)
        if format_spec == "article_lower":
            return f"{'An' if value[:1].lower() in 'aeiou' else 'A'} {value.lower()}"
        if format_spec == "hours":
            return format_decimal(value / 60, "0.##")
        return super().format_field(value, format_spec)


def fill(words: Words, params: Mapping[str, Any], *, nested: Callable[[Problem], str]) -> str:
    """The words for these values: the variant they choose, in the current language when the
    catalogues translate it, its placeholders filled in."""
    while isinstance(words, Choice):
        words = words.choose(params)
    return _Filler(nested).vformat(gettext(words), (), params)
