"""Printer status in three states, whatever the printer's language.

`unknown` means we could not tell (no answer, odd answer); it is never treated as ok.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

State = Literal["ok", "fault", "unknown"]


@dataclass(frozen=True)
class PrinterStatus:
    """ok / fault / unknown, with a message staff can act on."""

    state: State
    detail: str

    @property
    def ok(self) -> bool:
        """True only for a positive "ready" answer."""
        return self.state == "ok"
