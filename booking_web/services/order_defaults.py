"""Defaults for requests from other systems (HL7 v2, FHIR) that leave something out."""

from __future__ import annotations

import datetime as dt

# A window the order did not give: as soon as possible for urgent (the next 7 days, the same as
# the requester pages' preset), four weeks for routine.
DEFAULT_WINDOW_DAYS = {"urgent": 7, "routine": 28}


def order_window(*, earliest: dt.date | None, latest: dt.date | None, urgency: str,
                 today: dt.date) -> tuple[dt.date, dt.date]:
    """The window to take the blood in, starting no earlier than today (an order sent on Friday
    for 'from Thursday' is bookable from today), the default length when the end is not given."""
    first = max(earliest or today, today)
    last = latest or first + dt.timedelta(days=DEFAULT_WINDOW_DAYS.get(urgency, 28) - 1)
    return first, last
