"""Fonts for labels: DejaVu first, then any installed fallback font that has the glyphs.

Rule for characters the fonts lack: each text element is set in the first font (primary, then
each fallback in order) that covers every character of it. If no installed font covers them
all, the element is still rendered in the font covering the most characters (missing glyphs
show as boxes) and the layout carries a warning naming the characters, so the caller can
tell staff to check or hand-write that label. Never silent.
"""

from __future__ import annotations

import functools
import glob
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import ImageFont

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian package fonts-dejavu-core

# Fonts used if installed (none is required): CJK and wide-coverage faces from Debian packages.
FALLBACK_GLOBS = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # fonts-droid-fallback
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # fonts-wqy-microhei
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",  # fonts-noto-cjk
    "/usr/share/fonts/truetype/noto/NotoSans*-Regular.ttf",  # fonts-noto-core
    "/usr/share/fonts/truetype/unifont/unifont.ttf",  # fonts-unifont
)


@dataclass(frozen=True)
class FontSet:
    """The faces a label is set in: regular, bold, then fallbacks for missing glyphs."""

    regular: str
    bold: str
    fallbacks: tuple[str, ...] = ()

    @classmethod
    def default(cls) -> FontSet:
        """DejaVu Sans Condensed plus whichever fallback fonts are installed on this machine."""
        return _default_fontset()

    def choose(self, text: str, *, bold: bool) -> tuple[str, str]:
        """Return (font path, characters no font covers) for `text`."""
        needed = {ch for ch in text if not ch.isspace()}
        candidates = [self.bold if bold else self.regular, *self.fallbacks]
        best, best_missing = candidates[0], needed - covered_chars(candidates[0])
        for path in candidates:
            missing = needed - covered_chars(path)
            if not missing:
                return path, ""
            if len(missing) < len(best_missing):
                best, best_missing = path, missing
        return best, "".join(sorted(best_missing))


@functools.cache
def _default_fontset() -> FontSet:
    if not (DEJAVU_DIR / "DejaVuSansCondensed.ttf").exists():
        from shared.errors import HardwareError

        raise HardwareError("Label font missing: install the Debian package fonts-dejavu-core.")
    fallbacks = tuple(p for pattern in FALLBACK_GLOBS for p in sorted(glob.glob(pattern)))
    return FontSet(
        regular=str(DEJAVU_DIR / "DejaVuSansCondensed.ttf"),
        bold=str(DEJAVU_DIR / "DejaVuSansCondensed-Bold.ttf"),
        fallbacks=(str(DEJAVU_DIR / "DejaVuSans.ttf"), *fallbacks),
    )


@functools.cache
def covered_chars(path: str) -> frozenset[str]:
    """Characters that have a glyph in the font file (its cmap)."""
    # Here, not at the top: the site imports the layout for LabelData on every check-in but
    # sets a label in a font only for a PDF (label_printer/__init__.py).
    from reportlab.pdfbase.ttfonts import TTFontFile

    try:
        ttf = TTFontFile(path)
    except Exception:  # an unreadable font covers nothing; it is then never chosen
        return frozenset()
    return frozenset(chr(cp) for cp in ttf.charToGlyph)


@functools.cache
def pil_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A cached Pillow font (loading a face is slow compared with laying out a label)."""
    from PIL import ImageFont  # here, not at the top: see covered_chars

    return ImageFont.truetype(path, size)


def text_width(text: str, path: str, size: int) -> float:
    """Advance width of `text` in dots at `size`."""
    return pil_font(path, size).getlength(text)


def ink_span(text: str, path: str, size: int) -> tuple[float, float]:
    """(left, right) of the dots `text` can cover, in dots from its origin: the advance width
    widened by any glyph that reaches past it (Ł and J lean left of the origin, some italics
    and accents right of the advance)."""
    if not text:
        return 0.0, 0.0
    left, _top, right, _bottom = pil_font(path, size).getbbox(text, anchor="ls")
    return min(0.0, float(left)), max(text_width(text, path, size), float(right))
