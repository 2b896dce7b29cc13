"""Report tables: what the page shows beside each chart and what its CSV holds, built once so the
two cannot differ. A cell has the words shown ('1,234', '6.5%', '12 min') and the plain value the
CSV gives a spreadsheet (1234, 6.5, 12); no value is '' in the CSV and a dash on the page."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

NONE = "–"


@dataclass(frozen=True)
class Cell:
    """One cell: the words shown and the value written to the CSV."""

    text: str
    value: object

    @property
    def numeric(self) -> bool:
        """True for numbers (right-aligned on the page)."""
        return isinstance(self.value, int | float) or (self.value is None and self.text == NONE)


@dataclass(frozen=True)
class Table:
    """A table with a caption, column headings and rows; each row starts with its heading."""

    slug: str
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def csv(self) -> str:
        """The table as CSV (headings first), values as plain numbers."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.headers)
        for row in self.rows:
            writer.writerow(["" if c.value is None else _plain(c.value) for c in row])
        return out.getvalue()


def _plain(value: object) -> object:
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def label(words: str, value: object | None = None) -> Cell:
    """A row heading or a text cell (its words go to the CSV unless a value is given)."""
    return Cell(words, words if value is None else value)


def count(n: int) -> Cell:
    """A whole number, with thousands separated."""
    return Cell(f"{n:,}", n)


def percent(part: int, whole: int) -> Cell:
    """part of whole as a percentage to one decimal place (a dash when whole is 0)."""
    if not whole:
        return Cell(NONE, None)
    value = round(100 * part / whole, 1)
    return Cell(f"{value:.1f}%", value)


def minutes(value: int | None) -> Cell:
    """Whole minutes, or a dash."""
    return Cell(NONE, None) if value is None else Cell(f"{value} min", value)


def days(value: int | None) -> Cell:
    """Whole days, or a dash."""
    if value is None:
        return Cell(NONE, None)
    return Cell(f"{value} day" + ("" if value == 1 else "s"), value)


def table(slug: str, caption: str, headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> Table:
    """A Table from lists."""
    return Table(slug, caption, tuple(headers), tuple(tuple(r) for r in rows))


def hour_words(hour: int) -> str:
    """'7am', '12pm', '1pm' for an hour of the day."""
    return f"{hour % 12 or 12}{'am' if hour < 12 else 'pm'}"


def hour_span(hour: int) -> str:
    """'9am to 10am' for an hour of the day."""
    return f"{hour_words(hour)} to {hour_words((hour + 1) % 24)}"


def short_date(day: dt.date) -> str:
    """'2 Nov' (and the year when it is not the report's)."""
    return f"{day.day} {day:%b}"


def long_date(day: dt.date) -> str:
    """'Monday 2 November 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"
