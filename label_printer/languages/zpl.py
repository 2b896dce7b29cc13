"""ZPL II (Zebra and compatible label printers): each label one format, ^XA .. ^XZ, drawn by the
printer from the same pure layout (label_printer.layout) that ESC/POS rasterises.

Facts relied on, from Zebra's ZPL II Programming Guide:
- ^XA/^XZ open and close a format; ^PW (print width) and ^LL (label length) are in dots, ^LH0,0
  puts the home at the top-left corner; ^CI28 reads field data as UTF-8.
- ^FT x,y places text by the start of its baseline (what the layout gives); ^FO x,y places a
  barcode, box or graphic by its top-left corner.
- ^A0N,h,w is the printer's scalable font (CG Triumvirate Bold Condensed), h and w in dots.
- ^FH_ lets field data carry _XX hex bytes: a `^` or `~` in data would otherwise start a command
  (a `~` is acted on at once, even inside a field), so both, the `_` itself and control bytes
  are always sent as hex.
- ^BY w sets the module width; ^BCN,h,N,N,N,N is Code 128 with no interpretation line (the layout
  prints its own) and no selected mode; `>;` at the start of the data is Start Code C, so the
  10-digit specimen id is 5 digit pairs: the same 90-module symbol ESC/POS prints and we decode.
  (Mode A would choose C by itself, but only on x.10 firmware and later.)
- ^GFA,b,c,d,data is an ASCII-hex graphic field, 1 = black, d bytes a row.
- ^FR prints a field white on black (over a ^GB box): the REPRINT mark.
- ^JZN: a label interrupted by paper out, ribbon out or head open is not reprinted on its own
  when the fault is cleared (the default is to reprint it, unmarked): our retry prints it
  marked REPRINT instead. ~JA cancels formats the printer still holds (see `abandon`).

Text the printer's font can draw (Zebra code page 1252: Latin letters used in the UK and
western Europe) is sent as text; any other text (Greek, Cyrillic, Chinese, ...) is drawn by us
with the label fonts and sent as a ^GFA graphic field of exactly the dots ESC/POS would print,
so no patient's name is ever lost to a missing printer glyph. Font 0 is narrower than the
DejaVu Sans Condensed Bold the layout measures with, so text sent to the printer fits the
width the layout gave it; text the layout sets in the regular face is narrowed (w < h) by the
ratio of the two faces' widths, because font 0 has no regular face.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from label_printer.errors import LabelDataError
from label_printer.fonts import FontSet, text_width
from label_printer.languages import zpl_status
from label_printer.layout import (
    BarcodeElement,
    LabelData,
    LabelLayout,
    LabelSize,
    TextElement,
    layout_label,
)
from label_printer.render import draw_text, inverted_box
from label_printer.status import PrinterStatus
from label_printer.transport import Transport

HEX_INDICATOR = "_"
START_C = ">;"  # ^BC invocation: Start Code C (numeric pairs)
CANCEL_ALL = b"~JA"


class Zpl:
    """The ZPL II language: one ^XA..^XZ format per label; ~HS status (~HQES when silent)."""

    name = "zpl"

    def __init__(self, size: LabelSize | None = None, *, print_wait: float = 10.0,
                 poll: float = 0.05):
        self.size = size or LabelSize()
        self.print_wait = print_wait  # how long a label may take to leave the printer
        self.poll = poll

    def encode(self, label: LabelData) -> bytes:
        """One label's format on this stock, UTF-8 (^CI28)."""
        return label_format(layout_label(label, size=self.size)).encode("utf-8")

    def read_status(self, transport: Transport) -> PrinterStatus:
        """~HS until the printer holds nothing of ours, or a fault, or print_wait passes."""
        return zpl_status.read_status(transport, print_wait=self.print_wait, poll=self.poll)

    def abandon(self, transport: Transport) -> None:
        """~JA: drop formats the printer still holds, so an unconfirmed label (which the
        retry prints marked REPRINT) cannot also come out unmarked once the fault is cleared.
        A ~HS follows and its answer is awaited: the printer takes ~ commands in the order they
        arrive, so once it answers the cancel has been done (the fault may be cleared at once
        after this returns). A printer silent to ~HS is not waited for beyond one read."""
        transport.send(CANCEL_ALL + zpl_status.HOST_STATUS)
        zpl_status.read_frames(transport, 3)


def label_format(layout: LabelLayout, *, fonts: FontSet | None = None) -> str:
    """The ZPL format for one laid-out label: header, one field per element, ^XZ."""
    fonts = fonts or FontSet.default()
    lines = [f"^XA^CI28^PW{layout.width}^LL{layout.height}^LH0,0^JZN^PQ1"]
    for element in layout.texts:
        lines.append(text_field(element, fonts=fonts, width=layout.width, height=layout.height))
    lines.append(barcode_field(layout.barcode))
    lines.append("^XZ")
    return "\n".join(lines) + "\n"


def printer_can_draw(text: str) -> bool:
    """True when font 0 has every character (Zebra code page 1252, no control characters)."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return all(ch.isprintable() for ch in text)


def field_data(text: str) -> str:
    """^FH_^FD data: `^`, `~`, `_` and control characters as _XX hex; other text as is."""
    out = []
    for ch in text:
        if ch in "^~_" or ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"{HEX_INDICATOR}{ord(ch):02X}")
        else:
            out.append(ch)
    return f"^FH{HEX_INDICATOR}^FD{''.join(out)}^FS"


def text_field(element: TextElement, *, fonts: FontSet, width: int, height: int) -> str:
    """A text element as printer text (^FT ^A0 ^FD) or, if font 0 cannot draw it, a graphic."""
    if not printer_can_draw(element.text):
        return graphic_field(element, width=width, height=height)
    h = element.size
    w = h
    if not element.bold:  # font 0 is bold only: narrow it to the regular face's width
        regular = text_width(element.text, element.font_path, h)
        bold = text_width(element.text, fonts.bold, h)
        if bold > regular > 0:
            w = max(1, int(h * regular / bold))
    text = f"^FT{element.x},{element.baseline}^A0N,{h},{w}{field_data(element.text)}"
    if not element.inverted:
        return text
    draw = ImageDraw.Draw(Image.new("1", (1, 1)))
    left, top, right, bottom = inverted_box(draw, element)
    w, h = right - left + 1, bottom - top + 1
    box = f"^FO{left},{top}^GB{w},{h},{min(w, h)}^FS"  # border as thick as the box: filled
    return box + "\n" + text.replace("^FH", "^FR^FH", 1)


def graphic_field(element: TextElement, *, width: int, height: int) -> str:
    """The element drawn with the label fonts (as ESC/POS prints it), as ^FO + ^GFA."""
    image = Image.new("1", (width, height), 255)
    draw_text(ImageDraw.Draw(image), element)
    ink = Image.eval(image.convert("L"), lambda v: 255 - v).getbbox()
    if ink is None:  # nothing to draw (e.g. only spaces)
        return ""
    left, top, right, bottom = ink
    row_bytes = (right - left + 7) // 8
    padded = Image.new("1", (row_bytes * 8, bottom - top), 255)
    padded.paste(image.crop(ink), (0, 0))
    data = bytes(255 - b for b in padded.tobytes())  # Pillow: 1 = white; ZPL: 1 = black
    total = len(data)
    return f"^FO{left},{top}^GFA,{total},{total},{row_bytes},{data.hex().upper()}^FS"


def barcode_field(barcode: BarcodeElement) -> str:
    """Code 128 drawn by the printer: ^BY module width, ^BC with Start Code C for digit pairs."""
    data = barcode.data
    if not (data.isascii() and data.isdigit() and len(data) % 2 == 0):
        raise LabelDataError(f"Specimen id {data!r} is not digit pairs for Code 128 set C.")
    return (f"^FO{barcode.x},{barcode.y}^BY{barcode.module_dots}"
            f"^BCN,{barcode.height},N,N,N,N^FD{START_C}{data}^FS")

