"""Printer languages, chosen by name (the part of a printer URI before "+", e.g. escpos+tcp://;
ESC/POS when there is none): how a label becomes bytes, and how to ask a printer for its status
and read the answer. ZPL plugs in here beside ESC/POS, not inside the print loop."""

from __future__ import annotations

from collections.abc import Callable

from label_printer.errors import PrinterAddressError
from label_printer.languages.base import Language
from label_printer.languages.escpos import EscPos
from label_printer.languages.zpl import Zpl
from label_printer.layout import LabelSize

DEFAULT = "escpos"

__all__ = ["DEFAULT", "Language", "language_named", "register_language"]


LanguageFactory = Callable[[LabelSize], Language]  # builds a language for a label stock

BUILT_IN_LANGUAGES: dict[str, LanguageFactory] = {"escpos": EscPos, "zpl": Zpl}
_LANGUAGES = dict(BUILT_IN_LANGUAGES)  # and those registered since


def register_language(name: str, factory: LanguageFactory) -> None:
    """Make `name+scheme://...` printer addresses use the language `factory(size)` builds."""
    _LANGUAGES[name.lower()] = factory


def language_named(name: str, size: LabelSize | None = None) -> Language:
    """The language called `name` for labels of `size` (PrinterAddressError for one we do not
    speak)."""
    factory = _LANGUAGES.get((name or DEFAULT).lower())
    if factory is None:
        known = ", ".join(sorted(_LANGUAGES))
        raise PrinterAddressError(f"Unknown printer language {name!r}: use one of {known}.")
    return factory(size or LabelSize())
