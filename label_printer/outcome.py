"""What happened to each label of a print job."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from label_printer.layout import LabelData
from label_printer.status import PrinterStatus

LabelState = Literal["confirmed", "unconfirmed", "not_sent"]


@dataclass(frozen=True)
class LabelResult:
    """One label: confirmed (printed and printer ok after), unconfirmed (may or may not have
    printed), or not_sent (held back because an earlier label failed)."""

    label: LabelData
    state: LabelState
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrintOutcome:
    """Per-label results in print order, the printer status at the end, and a staff message."""

    results: tuple[LabelResult, ...]
    status: PrinterStatus
    detail: str

    @property
    def all_confirmed(self) -> bool:
        """True when every label is known to have printed."""
        return all(r.state == "confirmed" for r in self.results)

    def labels_in(self, state: LabelState) -> list[LabelData]:
        """The labels whose result is `state`."""
        return [r.label for r in self.results if r.state == state]

    def retry_labels(self) -> list[LabelData]:
        """What a retry should print: unconfirmed labels marked REPRINT, then those not sent."""
        retry = []
        for result in self.results:
            if result.state == "unconfirmed":
                retry.append(dataclasses.replace(result.label, reprint=True))
            elif result.state == "not_sent":
                retry.append(result.label)
        return retry


def summarise(results: list[LabelResult], status: PrinterStatus) -> str:
    """A message for staff, e.g. '2 of 4 labels printed; printer: paper out ...'."""
    total = len(results)
    done = sum(r.state == "confirmed" for r in results)
    unsure = sum(r.state == "unconfirmed" for r in results)
    if total and done == total:
        return f"{done} of {total} labels printed."
    parts = [f"{done} of {total} labels printed"]
    if unsure:
        parts.append(f"{unsure} may not have printed (reprint it marked REPRINT)")
    return "; ".join(parts) + f". Printer: {status.detail}"
