"""Pure layout of a tube label on the configured stock (50 x 25 mm by default, 399 x 199 dots
at 203 dpi); no drawing, no I/O.

Label (DOMAIN 5), top to bottom:
    SURNAME, Forename                         (bold, top-left)
    DOB 04-Mar-1957            NHS 943 476 5919
    EDTA  FBC HBA1C                           (container in bold, then the tests)
    ||||| Code 128 of specimen id |||||   2/4   (sequence, REPRINT box)
          1234567890                      REPRINT
    Taken ________ By ________           Site name

Nothing is drawn closer than the margin (1 mm) to the stock's edge, so a label that sits a
little off on the roll still carries all its ink; the image is exactly the stock's size.

Text is written on one line of characters the fonts can shape (printable_text): every kind of
space and line break (CR, LF, tab, NEL, U+2028 ...) is one space, and control and format
characters (NUL, ESC, bidi overrides, BOM) and lone surrogates are left out, with a warning
when anything but a space was left out. A name typed or sent with a line break still prints.

Fitting rule for long text (name, tests, site): the font shrinks one dot at a time from its
normal size down to its minimum (name 26 -> 16, tests 18 -> 13, site 14 -> 10); if the text
still does not fit, characters are removed from the end and "…" is appended, the element is
marked `truncated` and the layout carries a warning. The name is written surname first, so a
truncation cuts the forename before the surname. Nothing is ever dropped silently.

Barcode: Code 128, code set C (10 digits = 5 symbol characters), 90 modules at 3 dots per
module = 270 dots, with >= 10-module (30 dot) quiet zones on the label on both sides (the
margin is part of the quiet zone: both are blank label).
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass, field

from label_printer.code128 import code128_modules
from label_printer.errors import LabelDataError
from label_printer.fonts import FontSet, ink_span, text_width

ELLIPSIS = "…"
MODULE_DOTS = 3  # width 2 was unreadable at 203 dpi (DOMAIN 6); 3 decodes
QUIET_MODULES = 10
MM_PER_INCH = 25.4
MIN_WIDTH_MM, MIN_HEIGHT_MM = 48.0, 24.0  # what the barcode, its quiet zones and the rows need
# Format characters kept: zero-width non-joiner and joiner shape some scripts' names.
KEPT_FORMAT = frozenset("\u200c\u200d")


def printable_text(text: str) -> tuple[str, str]:
    """`text` as one line the label fonts can shape, and the characters left out: each run of
    spaces and line breaks is one space (none at the ends); control and format characters and
    lone surrogates are left out (the font shaper fails on CR and LF)."""
    kept, left_out = [], []
    for ch in text:
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs") and ch not in KEPT_FORMAT:
            left_out.append(ch)
        else:
            kept.append(ch)
    return " ".join("".join(kept).split()), "".join(left_out)


@dataclass(frozen=True)
class LabelSize:
    """The label stock in mm, the printer's dots per inch, and the margin kept clear of ink
    inside the edge. Dots round down (never past the edge); the margin rounds up."""

    width_mm: float = 50.0
    height_mm: float = 25.0
    dpi: int = 203
    margin_mm: float = 1.0

    def __post_init__(self) -> None:
        if self.width_mm < MIN_WIDTH_MM or self.height_mm < MIN_HEIGHT_MM:
            raise LabelDataError(
                f"Labels smaller than {MIN_WIDTH_MM:g} x {MIN_HEIGHT_MM:g} mm are not "
                f"supported (got {self.width_mm:g} x {self.height_mm:g} mm).")

    @property
    def width_dots(self) -> int:
        """Printable width in dots."""
        return int(self.width_mm / MM_PER_INCH * self.dpi)

    @property
    def height_dots(self) -> int:
        """Printable height in dots."""
        return int(self.height_mm / MM_PER_INCH * self.dpi)

    @property
    def margin_dots(self) -> int:
        """The clear margin in dots (at least margin_mm)."""
        return math.ceil(self.margin_mm / MM_PER_INCH * self.dpi)


@dataclass(frozen=True)
class LabelData:
    """What one tube (or patient identity) label says."""

    family_name: str
    given_name: str
    date_of_birth: dt.date
    nhs_number: str  # 10 digits, or "" when the patient has none
    specimen_id: str  # 10 digits: the barcode data
    container: str  # tube type / additive as text, or "Patient ID"
    tests: tuple[str, ...]
    site_name: str
    request_number: str | None = None
    reprint: bool = False
    sequence: tuple[int, int] | None = None
    # Printed at the chair: when the sample was taken (London time) and by whom, instead of a
    # blank to write on; and a transfusion sample's label says TRANSFUSION.
    collected_at: dt.datetime | None = None
    collector: str = ""
    transfusion: bool = False

    def __post_init__(self) -> None:
        if not (len(self.specimen_id) == 10 and self.specimen_id.isascii()
                and self.specimen_id.isdigit()):
            raise LabelDataError(f"Specimen id must be 10 digits, got {self.specimen_id!r}.")
        if self.nhs_number and not (len(self.nhs_number) == 10 and self.nhs_number.isdigit()):
            raise LabelDataError(f"NHS number must be 10 digits, got {self.nhs_number!r}.")
        if not printable_text(self.family_name)[0]:
            raise LabelDataError("A label needs the patient's surname.")
        if self.sequence is not None and not 1 <= self.sequence[0] <= self.sequence[1]:
            raise LabelDataError(f"Tube sequence {self.sequence} is not n of total.")


@dataclass(frozen=True)
class TextElement:
    """A line of text; (x, baseline) in dots, `size` in dots, set in `font_path`."""

    role: str
    text: str
    x: int
    baseline: int
    size: int
    bold: bool
    font_path: str
    inverted: bool = False  # white on a black box
    truncated: bool = False
    missing_glyphs: str = ""


@dataclass(frozen=True)
class BarcodeElement:
    """A Code 128 symbol: `modules` is the bar pattern ('1' = bar), one module = module_dots."""

    data: str
    modules: str
    x: int
    y: int
    height: int
    module_dots: int

    @property
    def width(self) -> int:
        """Width of the bars in dots (quiet zones not included)."""
        return len(self.modules) * self.module_dots


@dataclass(frozen=True)
class LabelLayout:
    """Positioned elements for one label, plus warnings for staff (truncation, glyphs)."""

    width: int
    height: int
    texts: tuple[TextElement, ...]
    barcode: BarcodeElement
    warnings: tuple[str, ...] = field(default=())
    dpi: int = 203

    def text(self, role: str) -> TextElement:
        """The text element with this role (KeyError if absent)."""
        for element in self.texts:
            if element.role == role:
                return element
        raise KeyError(role)


def format_dob(date: dt.date) -> str:
    """DD-Mmm-YYYY with an English month whatever the locale, e.g. 04-Mar-1957."""
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    return f"{date.day:02d}-{months[date.month - 1]}-{date.year:04d}"


def format_taken(collected_at: dt.datetime | None, collector: str) -> str:
    """'Taken 26-Nov-2026 14:05 By A Patel', or the blanks to write on before the draw."""
    if collected_at is None:
        return "Taken _______ By _______"
    return f"Taken {format_dob(collected_at.date())} {collected_at:%H:%M} By {collector.strip()}"


def format_nhs_number(nhs_number: str) -> str:
    """3-3-4 grouping, or 'not given' for a patient without one."""
    if not nhs_number:
        return "NHS No: not given"
    return f"NHS {nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}"


def fit_text(text: str, *, font_for: FontSet, bold: bool, max_width: float,
             sizes: range) -> tuple[str, int, str, bool, str]:
    """Apply the fitting rule to the dots the text covers (its ink, not only its advance);
    returns (text, size, font path, truncated, missing glyphs)."""
    path, missing = font_for.choose(text, bold=bold)

    def width(value: str, size: int) -> float:
        left, right = ink_span(value, path, size)
        return right - left

    for size in sizes:
        if width(text, size) <= max_width:
            return text, size, path, False, missing
    size = sizes[-1]
    cut = text
    while cut and width(cut.rstrip() + ELLIPSIS, size) > max_width:
        cut = cut[:-1]
    return cut.rstrip() + ELLIPSIS, size, path, True, missing


def layout_label(data: LabelData, *, size: LabelSize | None = None,
                 fonts: FontSet | None = None) -> LabelLayout:
    """Position every element of `data` inside the margin of a `size` label."""
    fonts = fonts or FontSet.default()
    size = size or LabelSize()
    width, height, margin = size.width_dots, size.height_dots, size.margin_dots
    right_edge = width - margin  # nothing at or past this column
    bottom_edge = height - margin  # nor this row
    texts: list[TextElement] = []
    warnings: list[str] = []
    usable = right_edge - margin

    def add(role: str, text: str, x: int, baseline: int, *, bold: bool, max_width: float,
            sizes: range, right: bool = False, inverted: bool = False) -> TextElement:
        text, left_out = printable_text(text)
        if left_out:
            warnings.append(f"{role}: left out characters that cannot be printed: {left_out!r}")
        fitted, size, path, truncated, missing = fit_text(
            text, font_for=fonts, bold=bold, max_width=max_width, sizes=sizes)
        ink_left, ink_right = ink_span(fitted, path, size)
        # x is where the ink starts (or, right-aligned, where it ends), not the pen position.
        x = math.floor(x - ink_right) if right else math.ceil(x - ink_left)
        element = TextElement(role, fitted, x, baseline, size, bold, path, inverted,
                              truncated, missing)
        texts.append(element)
        if truncated:
            warnings.append(f"{role} shortened to fit the label: {fitted!r}")
        if missing:
            warnings.append(f"{role}: the label fonts cannot print {missing!r}; check the label")
        return element

    # Rows from the top margin: each baseline leaves room above for accented capitals (about
    # 0.95 of the size) and below for descenders (about 0.25).
    top = margin
    (family, left_family), (given, left_given) = map(printable_text, (data.family_name,
                                                                       data.given_name))
    if left_family or left_given:  # add() sees the name already made printable
        warnings.append("name: left out characters that cannot be printed: "
                        f"{left_family + left_given!r}")
    name = f"{family.upper()}, {given}".rstrip(", ")
    if "," in fonts.choose(name, bold=True)[1]:
        # Fallback fonts for other scripts may lack the ASCII comma that separates the surname.
        name = name.replace(", ", "\uff0c", 1)
    add("name", name, margin, top + 25, bold=True, max_width=usable, sizes=range(26, 15, -1))
    add("dob", f"DOB {format_dob(data.date_of_birth)}", margin, top + 46, bold=True,
        max_width=usable / 2, sizes=range(18, 12, -1))
    add("nhs", format_nhs_number(data.nhs_number), right_edge, top + 46, bold=True,
        max_width=usable / 2 - 8, sizes=range(18, 12, -1), right=True)
    row_x = margin
    if data.transfusion:  # first on its row, white on black: the lab must not miss it
        mark = add("transfusion", "TRANSFUSION", margin + 3, top + 67, bold=True,
                   max_width=usable / 3, sizes=range(16, 11, -1), inverted=True)
        row_x = int(mark.x + text_width(mark.text, mark.font_path, mark.size) + 10)
    container = add("container", data.container, row_x, top + 67, bold=True,
                    max_width=usable / 2 - (row_x - margin), sizes=range(18, 12, -1))
    tests_x = int(row_x + text_width(container.text, container.font_path, container.size) + 10)
    if data.tests:  # identity labels carry none
        add("tests", " ".join(data.tests), tests_x, top + 67, bold=False,
            max_width=right_edge - tests_x, sizes=range(18, 12, -1))

    modules = code128_modules(data.specimen_id)
    quiet = QUIET_MODULES * MODULE_DOTS
    bar_x = max(margin, quiet)  # the margin is blank label too: it counts as quiet zone
    bar_y = top + 73
    barcode = BarcodeElement(data.specimen_id, modules, bar_x, bar_y, 56, MODULE_DOTS)
    if bar_x + barcode.width + quiet > right_edge:
        raise LabelDataError("Barcode does not fit the label with its quiet zones.")
    centre = bar_x + barcode.width / 2
    hri = add("specimen_id", data.specimen_id, 0, bar_y + 56 + 17, bold=True,
              max_width=barcode.width, sizes=range(18, 17, -1))
    texts[-1] = _moved(hri, int(centre - text_width(hri.text, hri.font_path, hri.size) / 2))

    column_x = bar_x + barcode.width + quiet + 2  # right-hand column beside the quiet zone
    column_w = right_edge - column_x
    if data.sequence:
        add("sequence", f"{data.sequence[0]}/{data.sequence[1]}", column_x, bar_y + 24,
            bold=True, max_width=column_w, sizes=range(24, 12, -1))
    if data.reprint:
        # The white-on-black box reaches 3 dots left and 2 right of the text.
        add("reprint", "REPRINT", column_x + 3, bar_y + 52, bold=True, max_width=column_w - 6,
            sizes=range(16, 10, -1), inverted=True)

    # The bottom row sits on the bottom margin, leaving room for descenders.
    add("taken", format_taken(data.collected_at, data.collector), margin, bottom_edge - 5,
        bold=False, max_width=usable * 0.58, sizes=range(14, 9, -1))
    add("site", data.site_name, right_edge, bottom_edge - 5, bold=True, max_width=usable * 0.4,
        sizes=range(14, 9, -1), right=True)
    return LabelLayout(width, height, tuple(texts), barcode, tuple(warnings), size.dpi)


def _moved(element: TextElement, x: int) -> TextElement:
    return TextElement(element.role, element.text, x, element.baseline, element.size,
                       element.bold, element.font_path, element.inverted, element.truncated,
                       element.missing_glyphs)
