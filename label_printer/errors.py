"""Errors raised by label_printer; all are HardwareError so callers catch one type."""

from __future__ import annotations

from shared.errors import HardwareError


class LabelDataError(HardwareError):
    """The label cannot be made from this data (e.g. a malformed specimen id)."""


class PrinterAddressError(HardwareError):
    """The printer address (URI) is malformed or names no known kind of printer."""
