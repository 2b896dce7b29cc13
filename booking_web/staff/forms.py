"""Reading the admin forms' dates (the NHS date input: day, month, year) and times as people type
them ("8:00", "8am", "1.30pm", "13:30"), each with the message the error summary shows."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

PARTS = ("day", "month", "year")


@dataclass(frozen=True)
class DateField:
    """A date typed into three boxes: the values as typed, and what they mean."""

    values: dict[str, str]
    value: dt.date | None
    error: str | None
    parts_in_error: tuple[str, ...] = ()


_FULL = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
         "october", "november", "december")
# 'nov', 'nov.', 'november' (and 'sept') as month numbers.
_MONTH_WORDS = {
    **{w: n for n, full in enumerate(_FULL, start=1) for w in (full, full[:3], full[:3] + ".")},
    "sept": 9,
    "sept.": 9,
}


def _month(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return _MONTH_WORDS.get(text.lower())


def read_date(form: Mapping[str, str], field: str, label: str) -> DateField:
    """The date in `<field>-day`, `<field>-month`, `<field>-year`. `label` starts the messages
    ('The first day'). Months may be numbers or names ('11', 'nov', 'November')."""
    values = {p: (form.get(f"{field}-{p}") or "").strip()[:12] for p in PARTS}
    missing = tuple(p for p in PARTS if not values[p])
    if len(missing) == 3:
        return DateField(values, None, f"Enter {label[0].lower()}{label[1:]}")
    if missing:
        return DateField(values, None, f"{label} must include a {' and a '.join(missing)}", missing)
    day, month, year = values["day"], _month(values["month"]), values["year"]
    checks = (("day", day.isdigit()), ("month", month is not None), ("year", year.isdigit()))
    wrong = tuple(p for p, ok in checks if not ok)
    if wrong:
        return DateField(values, None, f"{label} must be a real date", wrong)
    if len(year) != 4:
        return DateField(values, None, "Year must include 4 numbers", ("year",))
    try:
        value = dt.date(int(year), month, int(day))  # type: ignore[arg-type]
    except ValueError:
        return DateField(values, None, f"{label} must be a real date")
    return DateField(values, value, None)


def date_values(day: dt.date | None) -> dict[str, str]:
    """A date as the three boxes show it."""
    if day is None:
        return {}
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}


# '8:30', '08.30', '8am', '8:30 pm', '0830', '1330'. A bare '8' is refused, not guessed.
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(am|pm|a\.m\.|p\.m\.)?$|^(\d{2})(\d{2})$")


def parse_time(raw: str) -> dt.time | None:
    """A clock time as people type it ('8:00', '08:30', '8am', '1.30pm', '13:30', '1330',
    'noon'), or None when it is not one."""
    text = raw.strip().lower().replace(" ", "")
    if text in ("noon", "midday", "12noon"):
        return dt.time(12)
    match = _TIME.match(text)
    if not match:
        return None
    if match.group(4):  # four digits, 24-hour clock
        hour, minute, half = int(match.group(4)), int(match.group(5)), None
    else:
        if match.group(2) is None and match.group(3) is None:
            return None
        hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if minute > 59:
        return None
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    elif hour > 23:
        return None
    return dt.time(hour, minute)
