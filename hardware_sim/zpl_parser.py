"""Split a ZPL II byte stream into commands, as a Zebra printer reads it.

A command is a prefix (`^` format command, `~` control command) and a two-letter name, except
^A, whose next character is the font (`^A0N,28,28` is ^A with parameters `0N,28,28`). A
command's parameters run to the next prefix, so a `^` or `~` in field data starts a command
(which is why data must be sent hex-escaped with ^FH); CR and LF between and inside commands are
ignored. Control commands are acted on as soon as they arrive, even inside a format.

`parse_command(buf, pos)` returns one command and the next position, or None when the buffer
ends before the command is known to be complete (a streaming server waits for more bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIXES = b"^~"
# Control commands with a fixed parameter length (they end without a following prefix).
TILDE_PARAMS = {"HS": 0, "JA": 0, "HQ": 2}
CARET_NO_PARAMS = {"XA", "XZ", "FS", "FR"}

# Exactly the subset label_printer.languages.zpl emits; anything else is recorded, not drawn.
KNOWN = {
    "^XA", "^XZ", "^CI", "^PW", "^LL", "^LH", "^JZ", "^PQ", "^FO", "^FT", "^A", "^FH", "^FD",
    "^FS", "^FR", "^GB", "^GF", "^BY", "^BC", "~HS", "~HQ", "~JA",
}


@dataclass(frozen=True)
class ZplCommand:
    """One command: `^XA`, `^A`, `~HS`...; `params` are its raw parameter bytes."""

    code: str
    params: bytes = b""

    @property
    def text(self) -> str:
        """The parameters as text (field data is decoded separately, with ^FH and ^CI)."""
        return self.params.decode("latin-1")


def parse_command(buf: bytes, pos: int) -> tuple[ZplCommand | None, int] | None:
    """The command starting at or after `pos` (bytes before a prefix are skipped): (command,
    next position); (None, end) if only skippable bytes remain; None if incomplete."""
    while pos < len(buf) and buf[pos] not in PREFIXES:
        pos += 1
    if pos >= len(buf):
        return None, pos
    prefix = chr(buf[pos])
    name_len = 1 if prefix == "^" and buf[pos + 1:pos + 2] in (b"A", b"a") else 2
    name_end = pos + 1 + name_len
    if name_end > len(buf):
        return None
    name = buf[pos + 1:name_end].decode("latin-1").upper()
    code = prefix + name
    if prefix == "~" and name in TILDE_PARAMS:
        end = name_end + TILDE_PARAMS[name]
        if end > len(buf):
            return None
        return ZplCommand(code, buf[name_end:end]), end
    if prefix == "^" and name in CARET_NO_PARAMS:
        return ZplCommand(code), name_end
    end = name_end
    while end < len(buf) and buf[end] not in PREFIXES:
        end += 1
    if end >= len(buf):
        return None  # the parameters may go on in the next packet
    return ZplCommand(code, buf[name_end:end].replace(b"\r", b"").replace(b"\n", b"")), end


def parse_all(data: bytes) -> list[ZplCommand]:
    """Every complete command in `data` (a trailing command is complete at the end)."""
    commands: list[ZplCommand] = []
    pos = 0
    padded = data + b"^"  # an end-of-data prefix completes the last command's parameters
    while pos < len(data):
        parsed = parse_command(padded, pos)
        if parsed is None:
            break
        command, pos = parsed
        if command is None:
            break
        commands.append(command)
    return commands


def field_bytes(data: bytes, indicator: str | None) -> bytes:
    """Field data with ^FH hex escapes (`_5E`) turned back into bytes."""
    if not indicator:
        return data
    mark = indicator.encode("latin-1")[:1]
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i:i + 1] == mark and _is_hex(data[i + 1:i + 3]):
            out.append(int(data[i + 1:i + 3], 16))
            i += 3
        else:
            out.append(data[i])
            i += 1
    return bytes(out)


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair)
