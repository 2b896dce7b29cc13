"""What a report covers: some sites (or all) and a run of London dates, read from the report
form's query string with the problem of each thing wrong (the words are the staff pages',
booking_web/messages/staff.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.errors import Problem, ValidationFailed, problem
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
    three are empty); no dates at all: the last four full weeks. Raises ValidationFailed with the
    problem of each field that is wrong, keyed by the id the error summary links to."""
    errors: dict[str, Problem] = {}
    sites: list[int] = []
    for value in site_values:
        if not value.isdigit() or len(value) > 9 or int(value) not in known_sites:
            errors["sites"] = problem("report_sites_choose")
            break
        sites.append(int(value))
    default = default_scope(today)
    days = {}
    for name, field, which, fallback in (("from", first, "first", default.first),
                                         ("to", last, "last", default.last)):
        if first is None and last is None:
            days[name] = fallback
        elif field is not None and field.error:
            # The date boxes' own words, chosen by the staff form reader (the edge).
            errors[f"{name}-{(field.parts_in_error or ('day',))[0]}"] = problem(
                "report_date_typed", detail=field.error)
        elif field is None or field.value is None:
            errors[f"{name}-day"] = problem("report_date_missing", which=which)
        else:
            days[name] = field.value
    if len(days) == 2:
        begin, end = days["from"], days["to"]
        if end < begin:
            errors["to-day"] = problem("report_period_backwards")
        elif (end - begin).days + 1 > LONGEST_DAYS:
            errors["to-day"] = problem("report_period_too_long", years=LONGEST_DAYS // 365)
        elif end > today + dt.timedelta(days=AHEAD_DAYS):
            errors["to-day"] = problem("report_too_far_ahead", weeks=AHEAD_DAYS // 7)
    if errors:
        raise ValidationFailed("report_choices_invalid", fields=errors)
    return ReportScope(tuple(sorted(set(sites))), days["from"], days["to"])
