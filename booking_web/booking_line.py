"""The booking line: the phone number (and opening hours) patients are told to call when the
site cannot help them, in words for messages and as a link a phone can dial, in the language
being written in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.config import Settings
from shared.locales import ENGLISH, N_, gettext, language


@dataclass(frozen=True)
class BookingLine:
    """PHLEBO_BOOKING_PHONE and PHLEBO_BOOKING_PHONE_HOURS (and _HOURS_<LANG>) as pages show them."""

    number: str
    hours: str
    hours_in: Mapping[str, str] = field(default_factory=dict)  # the service's own words, by language

    @property
    def tel(self) -> str:
        """The number as a tel: link (international form: a UK 0 becomes +44)."""
        digits = re.sub(r"[^\d+]", "", self.number)
        if digits.startswith("0") and not digits.startswith("00"):
            digits = "+44" + digits[1:]
        return f"tel:{digits}"

    def hours_words(self) -> str:
        """When the line is answered, in the current language: the service's own words for it
        (PHLEBO_BOOKING_PHONE_HOURS_CY ...), else the catalogue's translation of the English
        hours (the demo's are in it), else the English hours as they were set."""
        return self.hours_in.get(language().code) or gettext(self.hours)

    @property
    def hours_language(self) -> str:
        """The language `hours_words()` is in now (a page marks English hours lang="en-GB")."""
        code = language().code
        if code == ENGLISH or code in self.hours_in or gettext(self.hours) != self.hours:
            return code
        return ENGLISH

    def words(self) -> str:
        """'the booking line on 01632 960 000 (Monday to Friday, 8am to 6pm)', for sentences
        like 'call the booking line ...' in messages that are plain text."""
        if not self.number:
            return gettext(N_("the booking line"))
        if not self.hours:
            return gettext(N_("the booking line on {number}")).format(number=self.number)
        return gettext(N_("the booking line on {number} ({hours})")).format(
            number=self.number, hours=self.hours_words())


def booking_line(settings: Settings) -> BookingLine:
    """The booking line these settings give."""
    return BookingLine(settings.booking_phone, settings.booking_phone_hours,
                       settings.booking_phone_hours_in)
