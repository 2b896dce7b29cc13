"""One exception base per package. Domain code names what is wrong with a code and the values
the words need (a Problem); each edge (the site, the API, the kiosk) chooses the words, so
that a translation changes the edges' catalogues, never a rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Problem:
    """What is wrong: a stable code (a key in each edge's message catalogue) and the values its
    words need (numbers, names, dates and instants: never words chosen here)."""

    code: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def problem(code: str, /, **params: Any) -> Problem:
    """A Problem, written the short way: problem("name_too_long", longest=100)."""
    return Problem(code, MappingProxyType(params))


class BookingError(Exception):
    """A booking rule or lookup refused a request. `problem` says what is wrong (the words'
    code and values); `fields` maps a form field to its own Problem; `code` is the kind a
    machine acts on (the API's `error`): the problem's code, unless the class names a broader
    kind (`invalid`, `not_found`, ...) or `code=` is given."""

    code = ""

    def __init__(self, what: str | Problem, /, *, fields: Mapping[str, Problem] | None = None,
                 code: str | None = None, **params: Any):
        self.problem = what if isinstance(what, Problem) else problem(what, **params)
        super().__init__(self.problem.code)
        self.fields: dict[str, Problem] = dict(fields or {})
        self.code = code or type(self).code or self.problem.code

    @property
    def params(self) -> Mapping[str, Any]:
        """The values of the problem's words."""
        return self.problem.params


class ValidationFailed(BookingError):
    """Input that is malformed; `fields` maps field names to their problems."""

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
    """The request is well-formed but breaks a service rule (age, notice, horizon, limits); its
    code is the rule's."""


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
