"""Draw one ZPL format (the commands between ^XA and ^XZ) as a label image, as the printer would.

Exactly the subset label_printer emits, read as the ZPL II Programming Guide describes it:
^PW/^LL size the label (clipped to the print head), ^LH moves home, ^FO places a field by its
top-left corner and ^FT text by its baseline start (a barcode by its bottom-left), ^A0N,h,w is
font 0 (drawn here in DejaVu Sans Condensed Bold, which is wider than the printer's CG
Triumvirate Bold Condensed: text that fits here fits on paper), ^FH hex escapes, ^CI28 UTF-8
(other ^CI values read bytes as Latin-1), ^FR reverses a field, ^GB draws a box, ^GFA an
ASCII-hex graphic, ^BY + ^BC Code 128 in mode N with Start Code invocations (no start code =
subset B, as the guide says). Anything else, or a variant not drawn (rotation, an
interpretation line, compressed graphics), is recorded in `unknown` and drawn as nothing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from barcode.charsets.code128 import CODES, STOP
from PIL import Image, ImageChops, ImageDraw, ImageFont

from hardware_sim.zpl_parser import KNOWN, ZplCommand, field_bytes

FONT0_STANDIN = "/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf"
DEFAULT_LENGTH = 203  # dots, when a format sets no ^LL (a 1-inch label at 203 dpi)
START = {">9": 103, ">:": 104, ">;": 105}  # ^BC invocation codes for start characters A, B, C


@dataclass
class ZplLabel:
    """A drawn label and what it said: field texts, barcodes, graphic fields, unknowns."""

    image: Image.Image
    texts: list[str] = field(default_factory=list)
    barcodes: list[dict[str, object]] = field(default_factory=list)
    graphics: list[dict[str, int]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing was drawn."""
        return not (self.texts or self.barcodes or self.graphics)


@dataclass
class _Field:
    origin: tuple[str, int, int] | None = None  # ("FO" | "FT", x, y) after ^LH
    hex_indicator: str | None = None
    reverse: bool = False
    barcode: list[str] | None = None  # ^BC parameters


class _Renderer:
    def __init__(self, head_width: int):
        self.head_width = head_width
        self.width, self.length, self.home = head_width, DEFAULT_LENGTH, (0, 0)
        self.utf8 = False
        self.font = ("0", 9, 5)  # ^CF power-up default: font A 9 x 5 (never used by us)
        self.module, self.bar_height = 2, 10  # ^BY power-up values
        self.field = _Field()
        self.ops: list[tuple[str, object]] = []  # drawing deferred until the size is known
        self.out = ZplLabel(Image.new("1", (1, 1), 255))

    def apply(self, cmd: ZplCommand) -> None:
        code, p = cmd.code, cmd.text.split(",")
        if code not in KNOWN:
            self.out.unknown.append(f"{code}{cmd.text[:20]}")
        elif code == "^CI":
            self.utf8 = p[0].strip() == "28"
        elif code == "^PW":
            self.width = min(_int(p, 0, self.width), self.head_width)
        elif code == "^LL":
            self.length = _int(p, 0, self.length)
        elif code == "^LH":
            self.home = (_int(p, 0, 0), _int(p, 1, 0))
        elif code in ("^FO", "^FT"):
            self.field.origin = (code[1:], self.home[0] + _int(p, 0, 0),
                                 self.home[1] + _int(p, 1, 0))
        elif code == "^A":
            name, orientation = cmd.text[:1], cmd.text[1:2] or "N"
            parts = cmd.text[2:].lstrip(",").split(",")
            height = _int(parts, 0, self.font[1])
            self.font = (name, height, _int(parts, 1, height))
            if name != "0" or orientation != "N":
                self.out.unknown.append(f"^A{cmd.text[:2]} (only font 0, normal, is drawn)")
        elif code == "^FH":
            self.field.hex_indicator = cmd.text[:1] or "_"
        elif code == "^FR":
            self.field.reverse = True
        elif code == "^BY":
            self.module = _int(p, 0, self.module)
            self.bar_height = _int(p, 2, self.bar_height)
        elif code == "^BC":
            self.field.barcode = p
        elif code == "^GB":
            self.ops.append(("box", (self.field, p)))
        elif code == "^GF":
            self.ops.append(("graphic", (self.field, cmd.params)))
        elif code == "^FD":
            data = field_bytes(cmd.params, self.field.hex_indicator)
            self.ops.append(("data", (self.field, data, self.font, self.module, self.bar_height)))
        elif code == "^FS":
            self.field = _Field()
        # ^XA, ^XZ, ^JZ (no partial labels in this model), ^PQ (one label a format): no drawing

    def finish(self) -> ZplLabel:
        image = Image.new("1", (self.width, self.length), 255)
        self.out.image = image
        for kind, args in self.ops:
            getattr(self, f"_{kind}")(image, *args)  # type: ignore[arg-type]
        return self.out

    def _paint(self, image: Image.Image, piece: Image.Image, x: int, y: int,
               reverse: bool) -> None:
        """Put a piece (mode "1", black = ink) on the label; reversed fields flip what is
        under their ink."""
        mask = ImageChops.invert(piece.convert("L"))  # 255 where the piece has ink
        if reverse:
            region = image.crop((x, y, x + piece.width, y + piece.height))
            image.paste(ImageChops.invert(region.convert("L")).convert("1"), (x, y), mask)
        else:
            image.paste(0, (x, y, x + piece.width, y + piece.height), mask)

    def _box(self, image: Image.Image, fld: _Field, p: list[str]) -> None:
        if fld.origin is None:
            return
        w, h = _int(p, 0, 1), _int(p, 1, 1)
        t = min(_int(p, 2, 1), w, h)
        piece = Image.new("1", (w, h), 255)
        ImageDraw.Draw(piece).rectangle((0, 0, w - 1, h - 1), outline=0, width=t)
        kind, x, y = fld.origin
        self._paint(image, piece, x, y - h if kind == "FT" else y, fld.reverse)

    def _graphic(self, image: Image.Image, fld: _Field, params: bytes) -> None:
        parts = params.split(b",", 4)
        if fld.origin is None or len(parts) != 5 or parts[0] != b"A":
            self.out.unknown.append("^GF (only ASCII-hex ^GFA with an origin is drawn)")
            return
        total, row_bytes, data = int(parts[2]), int(parts[3]), parts[4].strip()
        try:
            raw = bytes.fromhex(data.decode("ascii"))
        except ValueError:
            self.out.unknown.append("^GFA data that is not plain hex (compressed?)")
            return
        raw = raw[:total].ljust(total, b"\0")
        height = total // row_bytes
        piece = Image.frombytes("1", (row_bytes * 8, height), bytes(255 - b for b in raw))
        kind, x, y = fld.origin
        self._paint(image, piece, x, y - height if kind == "FT" else y, fld.reverse)
        self.out.graphics.append({"x": x, "y": y, "width": row_bytes * 8, "height": height})

    def _data(self, image: Image.Image, fld: _Field, data: bytes,
              font: tuple[str, int, int], module: int, bar_height: int) -> None:
        if fld.origin is None:
            return
        if fld.barcode is not None:
            self._barcode(image, fld, data.decode("latin-1"), module, bar_height)
            return
        text = data.decode("utf-8", "replace") if self.utf8 else data.decode("latin-1")
        self.out.texts.append(text)
        _, h, w = font
        face = _font0(max(h, 1))
        left, top, right, bottom = face.getbbox(text, anchor="ls")
        if right <= left:
            return
        piece = Image.new("1", (right - left, bottom - top), 255)
        draw = ImageDraw.Draw(piece)
        draw.fontmode = "1"
        draw.text((-left, -top), text, font=face, anchor="ls", fill=0)
        scaled_w = max(1, round(piece.width * w / h))
        if scaled_w != piece.width:  # ^A0 w: character width, stretching the glyphs
            piece = piece.resize((scaled_w, piece.height), Image.Resampling.NEAREST)
        kind, x, y = fld.origin
        if kind == "FO":  # the field's top-left is the top of the character cell
            y += face.getmetrics()[0]
        self._paint(image, piece, x + round(left * w / h), y + top, fld.reverse)

    def _barcode(self, image: Image.Image, fld: _Field, data: str, module: int,
                 bar_height: int) -> None:
        p = fld.barcode or []
        height = _int(p, 1, bar_height)
        options = [(p[i].strip().upper() if len(p) > i and p[i].strip() else d)
                   for i, d in ((0, "N"), (2, "Y"), (3, "N"), (4, "N"), (5, "N"))]
        record: dict[str, object] = {"type": "CODE128", "raw": data, "drawn": False}
        self.out.barcodes.append(record)
        if options != ["N", "N", "N", "N", "N"]:
            self.out.unknown.append(f"^BC{','.join(p)} (only N,h,N,N,N,N is drawn)")
            return
        values, text = code128_values(data)
        if values is None:
            self.out.unknown.append(f"^BC data {data[:20]!r} not drawn")
            return
        modules = "".join(CODES[v] for v in values) + STOP + "11"
        piece = Image.new("1", (len(modules) * module, height), 255)
        draw = ImageDraw.Draw(piece)
        for i, bit in enumerate(modules):
            if bit == "1":
                draw.rectangle((i * module, 0, (i + 1) * module - 1, height - 1), fill=0)
        kind, x, y = fld.origin or ("FO", 0, 0)
        self._paint(image, piece, x, y - height if kind == "FT" else y, fld.reverse)
        record.update(text=text, drawn=True, modules=len(modules), module=module)


def code128_values(data: str) -> tuple[list[int] | None, str]:
    """^BC mode N field data -> symbol values with checksum, and the text it encodes. Start
    codes >9 >: >; choose the subset (B when none); only digit pairs in C, printable ASCII in
    B, are read (other invocation codes are not in our subset)."""
    subset, rest = "B", data
    if data[:2] in START:
        subset, rest = {">9": "A", ">:": "B", ">;": "C"}[data[:2]], data[2:]
    values = [START[{"A": ">9", "B": ">:", "C": ">;"}[subset]]]
    if subset == "C":
        if len(rest) % 2 or not (rest.isascii() and rest.isdigit()):
            return None, rest
        values += [int(rest[i:i + 2]) for i in range(0, len(rest), 2)]
    elif subset == "B" and all(32 <= ord(c) < 127 and c != ">" for c in rest):
        values += [ord(c) - 32 for c in rest]
    else:
        return None, rest
    checksum = (values[0] + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103
    return [*values, checksum], rest


def render_format(commands: list[ZplCommand], *, head_width: int) -> ZplLabel:
    """Draw the commands of one format on a label as wide as ^PW (at most the head)."""
    renderer = _Renderer(head_width)
    for cmd in commands:
        renderer.apply(cmd)
    return renderer.finish()


@functools.cache
def _font0(height: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT0_STANDIN, height)


def _int(parts: list[str], i: int, default: int) -> int:
    try:
        return int(parts[i].strip())
    except (IndexError, ValueError):
        return default
