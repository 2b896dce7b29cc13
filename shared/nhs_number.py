"""NHS number: normalising, modulus-11 check and 3-3-4 display."""

from __future__ import annotations

import re

from shared.errors import Problem, problem

_SEPARATORS = re.compile(r"[\s\-]+")


def normalise(raw: str) -> str:
    """Strip spaces and dashes; the result may still be invalid."""
    return _SEPARATORS.sub("", raw or "")


def check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit for nine digits, or None when no digit fits (remainder 10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - (total % 11)
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def is_valid(raw: str) -> bool:
    """True when `raw` (spaces and dashes allowed) is ten digits with a correct check digit."""
    number = normalise(raw)
    if len(number) != 10 or not (number.isascii() and number.isdigit()):
        return False
    return check_digit(number[:9]) == int(number[9])


def number_problem(raw: str, *, whose: str = "your") -> Problem | None:
    """What is wrong when `raw` is not a usable NHS number, else None. `whose` is "your" (the
    patient's own), "the" (a request sent to the API) or "patient" (staff typing it)."""
    extra = {} if whose == "your" else {"whose": whose}
    number = normalise(raw)
    if not number:
        return problem("nhs_number_missing", **extra)
    if not (number.isascii() and number.isdigit()):
        return problem("nhs_number_not_digits", **extra)
    if len(number) != 10:
        return problem("nhs_number_length", **extra)
    if not is_valid(number):
        return problem("nhs_number_check_digit", **extra)
    return None


def format_nhs_number(raw: str) -> str:
    """Display as 3-3-4, e.g. '999 123 4567'."""
    n = normalise(raw)
    return f"{n[:3]} {n[3:6]} {n[6:]}" if len(n) == 10 else n


def make_test_number(seed: int) -> str:
    """A valid NHS number in the never-issued 999 range, for tests and demo data."""
    seed = seed % 1_000_000
    while True:
        first = f"999{seed:06d}"
        digit = check_digit(first)
        if digit is not None:
            return first + str(digit)
        seed = (seed + 1) % 1_000_000
