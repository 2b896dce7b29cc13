"""Words that go into sentences: an appointment type's name inside a sentence."""

from __future__ import annotations

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
