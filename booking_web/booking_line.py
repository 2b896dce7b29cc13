"""The booking line: the phone number (and opening hours) patients are told to call when the
site cannot help them, in words for messages and as a link a phone can dial."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shared.config import Settings


@dataclass(frozen=True)
class BookingLine:
    """PHLEBO_BOOKING_PHONE and PHLEBO_BOOKING_PHONE_HOURS as the pages show them."""

    number: str
    hours: str

    @property
    def tel(self) -> str:
        """The number as a tel: link (international form: a UK 0 becomes +44)."""
        digits = re.sub(r"[^\d+]", "", self.number)
        if digits.startswith("0") and not digits.startswith("00"):
            digits = "+44" + digits[1:]
        return f"tel:{digits}"

    def words(self) -> str:
        """'the booking line on 01632 960 000 (Monday to Friday, 8am to 6pm)', for sentences
        like 'call the booking line ...' in messages that are plain text."""
        if not self.number:
            return "the booking line"
        return f"the booking line on {self.number}" + (f" ({self.hours})" if self.hours else "")


def booking_line(settings: Settings) -> BookingLine:
    """The booking line these settings give."""
    return BookingLine(settings.booking_phone, settings.booking_phone_hours)
