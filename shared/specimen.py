"""Specimen ids: a 9-digit serial from the database plus a Damm check digit (10 digits).

Damm's check digit catches every single-digit error and every adjacent transposition. Ten
digits is an even length, so a Code 128 barcode can use code set C (two digits a symbol) and
fits a 2 x 1 inch label at 203 dpi (label_printer.layout proves the width)."""

from __future__ import annotations

# The totally anti-symmetric quasigroup of order 10 from Damm (2004).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

SERIAL_DIGITS = 9
MAX_SERIAL = 10**SERIAL_DIGITS - 1


def damm_digit(digits: str) -> int:
    """The Damm check digit for a string of decimal digits."""
    interim = 0
    for ch in digits:
        if not ("0" <= ch <= "9"):
            raise ValueError(f"not a digit: {ch!r}")
        interim = _DAMM[interim][ord(ch) - 48]
    return interim


def specimen_id(serial: int) -> str:
    """The 10-digit specimen id for a serial number (1 .. 999,999,999)."""
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"specimen serial {serial} is out of range")
    body = f"{serial:0{SERIAL_DIGITS}d}"
    return body + str(damm_digit(body))


def is_valid_specimen_id(text: str) -> bool:
    """True for 10 ASCII digits whose Damm check passes (a valid number checks to 0)."""
    return (
        isinstance(text, str)
        and len(text) == SERIAL_DIGITS + 1
        and text.isascii()
        and text.isdigit()
        and damm_digit(text) == 0
    )
