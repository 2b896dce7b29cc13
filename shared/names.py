"""Comparing people's names as a person would: "Anne-Marie O'Brien" and "anne marie obrien"
are the same name typed two ways."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """The name with case, accents, spaces, hyphens, apostrophes and full stops taken away:
    two spellings with the same key are the same name."""
    # NFKD splits "é" into "e" plus a combining accent (dropped below) and turns compatibility
    # forms (full-width letters, ligatures) into plain ones; casefold also maps "ß" to "ss".
    decomposed = unicodedata.normalize("NFKD", name).casefold()
    # Keep letters and digits only: what is left after the marks is punctuation and spacing,
    # which differ between keyboards (a phone types ’ where a PC types ') but not between people.
    return "".join(ch for ch in decomposed if unicodedata.category(ch)[0] in ("L", "N"))


def same_name(given: str, family: str, *, recorded_given: str, recorded_family: str) -> bool:
    """True when a first and last name match the recorded ones, ignoring what name_key ignores."""
    return name_key(given) == name_key(recorded_given) and name_key(family) == name_key(recorded_family)
