"""Draw a LabelLayout as a 1-bit Pillow image, one pixel per printer dot."""

from __future__ import annotations

from PIL import Image, ImageDraw

from label_printer.fonts import pil_font
from label_printer.layout import LabelData, LabelLayout, LabelSize, TextElement, layout_label

WHITE, BLACK = 255, 0  # mode "1" stores 0 or 255


def render_layout(layout: LabelLayout) -> Image.Image:
    """Rasterise `layout` to a mode "1" image (black = printed dot)."""
    image = Image.new("1", (layout.width, layout.height), WHITE)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"  # no anti-aliasing: a thermal head has only on/off dots
    for element in layout.texts:
        draw_text(draw, element)
    bc = layout.barcode
    for start, run in _bar_runs(bc.modules):
        x0 = bc.x + start * bc.module_dots
        draw.rectangle((x0, bc.y, x0 + run * bc.module_dots - 1, bc.y + bc.height - 1),
                       fill=BLACK)
    return image


def inverted_box(draw: ImageDraw.ImageDraw, element: TextElement) -> tuple[int, int, int, int]:
    """The black box (left, top, right, bottom, inclusive) behind a white-on-black element."""
    left, top, right, bottom = draw.textbbox((element.x, element.baseline), element.text,
                                             font=pil_font(element.font_path, element.size),
                                             anchor="ls")
    return int(left) - 3, int(top) - 3, int(right) + 2, int(bottom) + 3


def draw_text(draw: ImageDraw.ImageDraw, element: TextElement) -> None:
    """Draw one text element (black, or white on a black box) with its own font."""
    font = pil_font(element.font_path, element.size)
    position = (element.x, element.baseline)
    if element.inverted:
        draw.rectangle(inverted_box(draw, element), fill=BLACK)
        draw.text(position, element.text, font=font, anchor="ls", fill=WHITE)
    else:
        draw.text(position, element.text, font=font, anchor="ls", fill=BLACK)


def render_label(data: LabelData, *, size: LabelSize | None = None) -> Image.Image:
    """Lay out and rasterise one label on `size` stock (the default stock when None)."""
    return render_layout(layout_label(data, size=size))


def _bar_runs(modules: str) -> list[tuple[int, int]]:
    """(first module, length) of each bar in the pattern."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(modules):
        if modules[i] == "1":
            j = i
            while j < len(modules) and modules[j] == "1":
                j += 1
            runs.append((i, j - i))
            i = j
        else:
            i += 1
    return runs
