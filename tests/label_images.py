"""Checks on printed label images (the simulator's PNGs): the label's own dots, and ink where
the stock has no label."""

from __future__ import annotations

from PIL import Image, ImageChops

from label_printer import LabelData, LabelSize, render_label


def ink_box(image: Image.Image) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the printed dots, right/bottom exclusive; None if blank."""
    return ImageChops.invert(image.convert("L")).getbbox()


def ink_outside_margin(image: Image.Image, size: LabelSize) -> tuple[int, int, int, int] | None:
    """The ink box when any dot lies in the margin or past the stock's edge, else None."""
    box = ink_box(image)
    if box is None:
        return None
    m = size.margin_dots
    left, top, right, bottom = box
    inside = (left >= m and top >= m and right <= size.width_dots - m
              and bottom <= size.height_dots - m)
    return None if inside else box


def same_dots(image: Image.Image, label: LabelData, size: LabelSize | None = None) -> bool:
    """True when the printed image is dot for dot label_printer's render of `label`, with
    nothing printed beside it (the printer's head may be wider than the label)."""
    expected = render_label(label, size=size)
    printed = image.convert("1")
    if printed.height != expected.height or printed.width < expected.width:
        return False
    label_part = printed.crop((0, 0, expected.width, expected.height))
    beside = printed.crop((expected.width, 0, printed.width, printed.height))
    return label_part.tobytes() == expected.tobytes() and ink_box(beside) is None
