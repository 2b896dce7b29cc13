"""One exception base per package; messages are written for the person reading them."""

from __future__ import annotations


class BookingError(Exception):
    """A booking rule or lookup refused a request; `message` is readable by a patient."""

    code = "booking_error"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class ValidationFailed(BookingError):
    """Input that is malformed; `fields` maps field names to messages."""

    code = "invalid"


class UnstorableText(ValidationFailed):
    """Text no database can keep (a NUL character, a lone surrogate) reached a statement: refused
    before it is sent (shared.db), so it is bad input and never a database error."""

    code = "invalid_text"


class NotFound(BookingError):
    """Nothing matches (also used for a wrong date of birth, so the two look the same)."""

    code = "not_found"


class SlotFull(BookingError):
    """The chosen time has no free chair left."""

    code = "slot_full"


class RuleViolation(BookingError):
    """The request is well-formed but breaks a service rule (age, notice, horizon, limits)."""

    code = "rule_violation"


class NotAllowed(BookingError):
    """The caller may not do this (wrong role, wrong site, wrong kind of key)."""

    code = "forbidden"


class RateLimited(BookingError):
    """Too many attempts in a short time."""

    code = "rate_limited"


class HardwareError(Exception):
    """A printer or scanner fault; `message` is readable by staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
