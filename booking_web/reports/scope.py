"""What a report covers: some sites (or all) and a run of London dates, read from the report
form's query string with a clear message for each thing wrong."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.errors import ValidationFailed
from shared.timeutil import local_day_bounds

if TYPE_CHECKING:
    from booking_web.staff.forms import DateField  # the three date boxes, as read

DEFAULT_DAYS = 28  # the last four full weeks
LONGEST_DAYS = 731  # two years: enough to compare a year with the one before
AHEAD_DAYS = 8 * 7  # booked chairs can be looked at ahead, as far as bookings are taken


@dataclass(frozen=True)
class ReportScope:
    """Sites (empty: every site) and the first and last London dates, both included."""

    site_ids: tuple[int, ...]
    first: dt.date
    last: dt.date

    @property
    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The UTC instants the period starts and ends at (end excluded)."""
        return local_day_bounds(self.first)[0], local_day_bounds(self.last)[1]

    @property
    def days(self) -> int:
        """How many days the period holds."""
        return (self.last - self.first).days + 1


def default_scope(today: dt.date) -> ReportScope:
    """Every site over the four full weeks before today."""
    return ReportScope((), today - dt.timedelta(days=DEFAULT_DAYS), today - dt.timedelta(days=1))


def parse_scope(
    *, site_values: list[str], first: DateField | None, last: DateField | None,
    known_sites: Collection[int], today: dt.date,
) -> ReportScope:
    """The scope a report form asks for (each date as the three boxes read it, None when all
    three are empty); no dates at all: the last four full weeks. Raises ValidationFailed with a
    message for each field that is wrong, keyed by the id the error summary links to."""
    errors: dict[str, str] = {}
    sites: list[int] = []
    for value in site_values:
        if not value.isdigit() or len(value) > 9 or int(value) not in known_sites:
            errors["sites"] = "Choose sites from the list"
            break
        sites.append(int(value))
    default = default_scope(today)
    days = {}
    for name, field, words, fallback in (("from", first, "The first date", default.first),
                                         ("to", last, "The last date", default.last)):
        if first is None and last is None:
            days[name] = fallback
        elif field is not None and field.error:
            errors[f"{name}-{(field.parts_in_error or ('day',))[0]}"] = field.error
        elif field is None or field.value is None:
            errors[f"{name}-day"] = f"Enter {words.lower()}"
        else:
            days[name] = field.value
    if len(days) == 2:
        begin, end = days["from"], days["to"]
        if end < begin:
            errors["to-day"] = "The last date must be the same as or after the first date"
        elif (end - begin).days + 1 > LONGEST_DAYS:
            errors["to-day"] = "Choose a period of up to 2 years"
        elif end > today + dt.timedelta(days=AHEAD_DAYS):
            errors["to-day"] = f"Choose a last date up to {AHEAD_DAYS // 7} weeks from today"
    if errors:
        raise ValidationFailed("There is a problem with the report's choices", fields=errors)
    return ReportScope(tuple(sorted(set(sites))), days["from"], days["to"])
