"""Parse an ESC/POS byte stream (what label_printer and python-escpos send) into commands.

`parse_command(buf, pos)` reads one command and returns it with the next position, or None
when the buffer ends mid-command (a streaming server waits for more bytes). Unknown escape
sequences become `unknown` commands of the prefix byte plus one byte; parsing goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C

# ESC x with a fixed number of parameter bytes -> command name.
ESC_FIXED: dict[int, tuple[str, int]] = {
    ord("@"): ("init", 0), ord("!"): ("print_mode", 1), ord("E"): ("bold", 1),
    ord("-"): ("underline", 1), ord("a"): ("align", 1), ord("d"): ("feed_lines", 1),
    ord("J"): ("feed_dots", 1), ord("t"): ("codepage", 1), ord("M"): ("font", 1),
    ord("G"): ("double_strike", 1), ord("{"): ("upside_down", 1),
    ord("2"): ("line_spacing_default", 0),
    ord("3"): ("line_spacing", 1), ord("R"): ("charset", 1), ord("p"): ("drawer_pulse", 3),
    ord("="): ("select_peripheral", 1), ord("V"): ("rotate", 1), ord("B"): ("buzzer", 2),
    ord("c"): ("panel", 2), ord("D"): ("tabs", -1), ord("?"): ("hw_reset", 2),
    ord("K"): ("slip_eject", 1), ord("+"): ("line_spacing_60", 1),
    ord("A"): ("line_spacing_360", 1),
}
GS_FIXED: dict[int, tuple[str, int]] = {
    ord("!"): ("size", 1), ord("B"): ("invert", 1), ord("b"): ("smoothing", 1),
    ord("h"): ("barcode_height", 1), ord("w"): ("barcode_width", 1),
    ord("H"): ("barcode_hri_position", 1), ord("f"): ("barcode_hri_font", 1),
    ord("L"): ("left_margin", 2), ord("W"): ("print_width", 2), ord("|"): ("density", 1),
}
CONTROL = {0x0A: "lf", 0x0D: "cr", 0x0C: "ff", 0x09: "tab", 0x07: "bell", 0x0B: "vt"}


@dataclass(frozen=True)
class Command:
    """One parsed command; `args` holds its parameters, `raw` the bytes it came from."""

    name: str
    raw: bytes
    args: dict[str, object] = field(default_factory=dict)


def parse_all(data: bytes) -> list[Command]:
    """Parse a complete stream; a trailing incomplete command is kept as `truncated`."""
    commands: list[Command] = []
    pos = 0
    while pos < len(data):
        parsed = parse_command(data, pos)
        if parsed is None:
            commands.append(Command("truncated", data[pos:]))
            break
        command, pos = parsed
        commands.append(command)
    return commands


def parse_command(buf: bytes, pos: int) -> tuple[Command, int] | None:
    """One command at `pos`: (command, next pos), or None if more bytes are needed."""
    byte = buf[pos]
    if byte == ESC:
        return _escape(buf, pos, ESC_FIXED, _esc_special)
    if byte == GS:
        return _escape(buf, pos, GS_FIXED, _gs_special)
    if byte == DLE:
        if len(buf) < pos + 3:
            return None
        if buf[pos + 1] == 0x04:
            return Command("status_query", buf[pos:pos + 3], {"n": buf[pos + 2]}), pos + 3
        return Command("unknown", buf[pos:pos + 2]), pos + 2
    if byte == FS:
        if len(buf) < pos + 2:
            return None
        return Command("unknown", buf[pos:pos + 2]), pos + 2
    if byte in CONTROL:
        return Command(CONTROL[byte], buf[pos:pos + 1]), pos + 1
    end = pos
    while end < len(buf) and buf[end] >= 0x20:
        end += 1
    if end == pos:  # another C0 control byte we do not model
        return Command("unknown", buf[pos:pos + 1]), pos + 1
    return Command("text", buf[pos:end], {"data": buf[pos:end]}), end


def _escape(buf: bytes, pos: int, table: dict[int, tuple[str, int]], special) -> \
        tuple[Command, int] | None:  # type: ignore[no-untyped-def]
    if len(buf) < pos + 2:
        return None
    code = buf[pos + 1]
    if code in table and table[code][1] >= 0:
        name, n = table[code]
        end = pos + 2 + n
        if len(buf) < end:
            return None
        return Command(name, buf[pos:end], {"params": tuple(buf[pos + 2:end])}), end
    return special(buf, pos, code)


def _esc_special(buf: bytes, pos: int, code: int) -> tuple[Command, int] | None:
    if code == ord("D"):  # ESC D n1..nk NUL: tab stops
        end = buf.find(b"\x00", pos + 2)
        return None if end < 0 else (Command("tabs", buf[pos:end + 1]), end + 1)
    if code == ord("*"):  # ESC * m nL nH d1..dk: column bit image
        if len(buf) < pos + 5:
            return None
        m, width = buf[pos + 2], buf[pos + 3] | buf[pos + 4] << 8
        end = pos + 5 + width * (3 if m in (32, 33) else 1)
        if len(buf) < end:
            return None
        return Command("column_image", buf[pos:end], {"m": m, "width": width,
                                                       "data": buf[pos + 5:end]}), end
    return Command("unknown", buf[pos:pos + 2]), pos + 2


def _gs_special(buf: bytes, pos: int, code: int) -> tuple[Command, int] | None:
    if code == ord("V"):  # GS V m [n]
        if len(buf) < pos + 3:
            return None
        m = buf[pos + 2]
        end = pos + (4 if m in (65, 66, 97, 98, 103, 104) else 3)
        if len(buf) < end:
            return None
        return Command("cut", buf[pos:end], {"mode": m, "params": tuple(buf[pos + 2:end])}), end
    if code == ord("v"):  # GS v 0 m xL xH yL yH data: raster bit image
        if len(buf) < pos + 8:
            return None
        width_bytes = buf[pos + 4] | buf[pos + 5] << 8
        height = buf[pos + 6] | buf[pos + 7] << 8
        end = pos + 8 + width_bytes * height
        if len(buf) < end:
            return None
        return Command("raster", buf[pos:end], {"mode": buf[pos + 3], "width_bytes": width_bytes,
                                                "height": height, "data": buf[pos + 8:end]}), end
    if code == ord("("):  # GS ( X pL pH data: graphics (L), 2D codes (k), others
        if len(buf) < pos + 5:
            return None
        length = buf[pos + 3] | buf[pos + 4] << 8
        end = pos + 5 + length
        if len(buf) < end:
            return None
        kind = chr(buf[pos + 2])
        return Command(f"gs_paren_{kind}", buf[pos:end], {"data": buf[pos + 5:end]}), end
    if code == ord("k"):  # GS k m ...: barcode
        return _barcode(buf, pos)
    return Command("unknown", buf[pos:pos + 2]), pos + 2


def _barcode(buf: bytes, pos: int) -> tuple[Command, int] | None:
    if len(buf) < pos + 3:
        return None
    m = buf[pos + 2]
    if m <= 6:  # function A: data ends with NUL
        end = buf.find(b"\x00", pos + 3)
        if end < 0:
            return None
        return Command("barcode", buf[pos:end + 1], {"m": m, "data": buf[pos + 3:end]}), end + 1
    if len(buf) < pos + 4:  # function B: length byte then data
        return None
    n = buf[pos + 3]
    end = pos + 4 + n
    if len(buf) < end:
        return None
    return Command("barcode", buf[pos:end], {"m": m, "data": buf[pos + 4:end]}), end
