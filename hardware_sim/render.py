"""Turn parsed ESC/POS commands into label images, one per cut (or form feed).

Raster images (GS v 0, GS ( L) are placed dot for dot; text is drawn in DejaVu Sans Mono at
the 12 x 24 dot size of Epson font A (scaled by GS !) and also kept as text for the sidecar;
GS k CODE128 is drawn from its code-set prefix the way an Epson printer reads it, so `{C`
data sent as ASCII digits comes out as the wrong number, as on the real printer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageDraw, ImageFont

from hardware_sim.escpos_parser import Command
from label_printer.code128 import code128_modules

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
DEFAULT_LINE_DOTS = 30  # Epson default line spacing 1/6 inch at 203 dpi ~ 34; TM-L90 uses 30
_INVERT = bytes(255 - b for b in range(256))  # printer bit 1 = black; Pillow "1" bit 1 = white


@dataclass
class Page:
    """The label being built: placed images plus what was said as text."""

    width: int
    y: int = 0
    pieces: list[tuple[int, int, Image.Image]] = field(default_factory=list)  # x, y, image
    texts: list[str] = field(default_factory=list)
    barcodes: list[dict[str, object]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing printable has arrived."""
        return not self.pieces and not self.texts

    def image(self) -> Image.Image:
        """Composite the label (white paper, black dots) clipped to the media width."""
        out = Image.new("1", (self.width, max(self.y, 1)), 255)
        for x, y, piece in self.pieces:
            out.paste(piece, (x, y))
        return out


class PageBuilder:
    """Applies commands to the current page and printer modes; `take()` ends the label."""

    def __init__(self, width: int):
        self.width = width
        self.page = Page(width)
        self._reset_modes()
        self._line: list[str] = []
        self._graphic: Image.Image | None = None

    def _reset_modes(self) -> None:
        self.align, self.scale_w, self.scale_h = 0, 1, 1
        self.bold = False
        self.line_dots = DEFAULT_LINE_DOTS
        self.bc_height, self.bc_width, self.hri = 162, 3, 0

    def take(self) -> Page:
        """End the current label (cut / form feed) and start a new one."""
        self._flush_line(force=False)
        page, self.page = self.page, Page(self.width)
        return page

    def apply(self, cmd: Command) -> None:
        """Update state for one command (status queries and cuts are handled by the caller)."""
        p = cmd.args.get("params", ())
        assert isinstance(p, tuple)
        name = cmd.name
        if name == "init":
            self._flush_line(force=False)
            self._reset_modes()
        elif name == "text":
            data = cmd.args["data"]
            assert isinstance(data, bytes)
            self._line.append(data.decode("cp437", errors="replace"))
        elif name == "lf":
            self._flush_line(force=True)
        elif name == "feed_lines":
            self._flush_line(force=False)
            self.page.y += p[0] * self.line_dots
        elif name == "feed_dots":
            self._flush_line(force=False)
            self.page.y += p[0]
        elif name == "line_spacing":
            self.line_dots = p[0]
        elif name == "line_spacing_default":
            self.line_dots = DEFAULT_LINE_DOTS
        elif name == "align":
            self.align = p[0] % 48
        elif name == "bold":
            self.bold = bool(p[0] & 1)
        elif name == "size":
            self.scale_w, self.scale_h = (p[0] >> 4) + 1, (p[0] & 0x0F) + 1
        elif name == "print_mode":
            self.bold = bool(p[0] & 0x08)
            self.scale_h, self.scale_w = (2 if p[0] & 0x10 else 1), (2 if p[0] & 0x20 else 1)
        elif name in ("barcode_height", "barcode_width", "barcode_hri_position"):
            value = p[0]
            if name == "barcode_height":
                self.bc_height = value
            elif name == "barcode_width":
                self.bc_width = value
            else:
                self.hri = value % 48
        elif name == "raster":
            self._raster(cmd)
        elif name == "gs_paren_L":
            self._graphics(cmd)
        elif name == "barcode":
            self._barcode(cmd)
        elif name in ("unknown", "truncated", "column_image"):
            self.page.unknown.append(cmd.raw[:8].hex(" "))

    def _place(self, piece: Image.Image) -> None:
        self._flush_line(force=False)
        x = {0: 0, 1: (self.width - piece.width) // 2, 2: self.width - piece.width}[self.align]
        self.page.pieces.append((max(x, 0), self.page.y, piece))
        self.page.y += piece.height

    def _raster(self, cmd: Command) -> None:
        w, h, data = cmd.args["width_bytes"], cmd.args["height"], cmd.args["data"]
        assert isinstance(w, int) and isinstance(h, int) and isinstance(data, bytes)
        self._place(Image.frombytes("1", (w * 8, h), data.translate(_INVERT)))

    def _graphics(self, cmd: Command) -> None:
        data = cmd.args["data"]
        assert isinstance(data, bytes)
        if len(data) >= 10 and data[1] == 0x70:  # fn 112: store raster graphics
            w, h = data[6] | data[7] << 8, data[8] | data[9] << 8
            raster = data[10:10 + ((w + 7) // 8) * h]
            self._graphic = Image.frombytes("1", ((w + 7) // 8 * 8, h), raster.translate(_INVERT))
        elif len(data) >= 2 and data[1] == 0x32 and self._graphic is not None:  # fn 50: print
            self._place(self._graphic)
            self._graphic = None

    def _barcode(self, cmd: Command) -> None:
        m, data = cmd.args["m"], cmd.args["data"]
        assert isinstance(m, int) and isinstance(data, bytes)
        if m != 73:  # only CODE128 is drawn; others are recorded
            self.page.barcodes.append({"type": m, "raw": data.hex(), "drawn": False})
            return
        text = code128_text(data)
        self.page.barcodes.append({"type": "CODE128", "raw": data.hex(), "text": text,
                                   "drawn": text is not None})
        if text is None:
            return
        try:
            modules = code128_modules(text)
        except ValueError:  # e.g. odd digits after {C: a real printer would print nothing
            return
        bars = Image.new("1", (len(modules) * self.bc_width, self.bc_height), 255)
        draw = ImageDraw.Draw(bars)
        for i, bit in enumerate(modules):
            if bit == "1":
                x = i * self.bc_width
                draw.rectangle((x, 0, x + self.bc_width - 1, self.bc_height - 1), fill=0)
        self._place(bars)
        if self.hri in (2, 3):
            self._line.append(text)
            self._flush_line(force=True)

    def _flush_line(self, *, force: bool) -> None:
        text = "".join(self._line)
        self._line = []
        if not text and not force:
            return
        if text:
            self.page.texts.append(text)
            size = 24 * self.scale_h
            font = ImageFont.truetype(FONT_PATH, size)
            width = int(font.getlength(text) * self.scale_w / self.scale_h) + 1
            strip = Image.new("1", (max(width, 1), size + 4), 255)
            draw = ImageDraw.Draw(strip)
            draw.fontmode = "1"
            draw.text((0, 0), text, font=font, fill=0, stroke_width=1 if self.bold else 0,
                      stroke_fill=0)
            x = {0: 0, 1: (self.width - width) // 2, 2: self.width - width}[self.align]
            self.page.pieces.append((max(x, 0), self.page.y, strip))
        self.page.y += max(self.line_dots, 24 * self.scale_h + 4 if text else 0)


def code128_text(data: bytes) -> str | None:
    """Read GS k function B CODE128 data as an Epson printer does ({A/{B/{C code sets)."""
    if len(data) < 2 or data[0] != ord("{") or chr(data[1]) not in "ABC":
        return None  # Epson rejects CODE128 data without a code-set prefix
    out, charset, i = [], chr(data[1]), 2
    while i < len(data):
        if data[i] == ord("{") and i + 1 < len(data) and chr(data[i + 1]) in "ABC":
            charset, i = chr(data[i + 1]), i + 2
            continue
        out.append(f"{data[i]:02d}" if charset == "C" else chr(data[i]))
        i += 1
    return "".join(out)
