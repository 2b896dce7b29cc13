"""Turn labels into ESC/POS bytes, one self-contained piece per label.

Why raster images (GS v 0 via python-escpos `image()`) rather than printer text and the
printer's own barcode command:
- names in any script print exactly as laid out; printer fonts and code pages cover little
  beyond Latin-1, and would silently change an accented or Cyrillic name;
- the barcode is exactly the 3-dot-module Code 128 set C symbol we measured and decoded;
  python-escpos sends `{C` data as ASCII, which is wrong for hardware code set C (DOMAIN 6);
- the simulator can check the print path pixel for pixel against `render_label`.
Each piece starts with ESC @ so a resumed job starts from a clean state, and ends with a
cut (GS V 66 0) or, for die-cut label stock, FF (feed to the next label).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from escpos.printer import Dummy

from label_printer.layout import LabelData
from label_printer.render import render_label

PROFILE = "TM-L90"  # a named profile: without one python-escpos ignores widths (DOMAIN 6)
FORM_FEED = b"\x0c"  # Epson: in label mode, print and feed to the next label's start

Separator = Literal["cut", "label_feed"]


def label_bytes(label: LabelData, *, separator: Separator = "cut",
                profile: str = PROFILE) -> bytes:
    """ESC/POS bytes that print one label and end it with a cut or label feed."""
    printer = Dummy(profile=profile)
    printer.hw("INIT")
    printer.image(render_label(label), impl="bitImageRaster")
    if separator == "cut":
        printer.cut(feed=False)  # GS V 66 0: feed to the cutter and cut, no blank lines
    else:
        printer._raw(FORM_FEED)  # not in python-escpos; Epson label-feed byte
    return printer.output


def job_bytes(labels: Sequence[LabelData], *, separator: Separator = "cut") -> list[bytes]:
    """One byte string per label, in order (sent and confirmed one at a time)."""
    return [label_bytes(label, separator=separator) for label in labels]
