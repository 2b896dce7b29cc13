"""Booking references: short, unguessable, and easy to read aloud or type."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L or U/V pairs: nothing a patient can misread on a letter or phone.
ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"
LENGTH = 9  # 29**9 is about 1.45e13, i.e. 43.7 bits of randomness
_STRIP = re.compile(r"[\s\-]+")


def new_reference() -> str:
    """A fresh random reference (stored without separators)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_reference(raw: str) -> str:
    """Upper-case, without spaces or dashes."""
    return _STRIP.sub("", (raw or "").upper())


def looks_like_reference(raw: str) -> bool:
    """True when the text could be a reference (right length and alphabet)."""
    text = normalise_reference(raw)
    return len(text) == LENGTH and all(c in ALPHABET for c in text)


def format_reference(ref: str) -> str:
    """Display in groups of three: 'ABC-DEF-GHJ'."""
    return "-".join(ref[i : i + 3] for i in range(0, len(ref), 3))
