"""Code 128 bar patterns, encoded here rather than by python-barcode.

python-barcode 0.16 drops digits in code set C for some inputs (its "9999999999" comes out
as 8 digits: 79 modules, decoding to 99999999), so a specimen id could be misprinted. This
encoder is small enough to check by eye: code set C for an even number of digits (our
specimen ids), code set B for printable ASCII otherwise. Only the pattern table is borrowed.
"""

from __future__ import annotations

START_B, START_C = 104, 105


def code128_values(data: str) -> list[int]:
    """Symbol values: start, data, checksum (stop not included)."""
    if data and len(data) % 2 == 0 and data.isascii() and data.isdigit():
        values = [START_C] + [int(data[i:i + 2]) for i in range(0, len(data), 2)]
    elif data and all(32 <= ord(ch) < 127 for ch in data):
        values = [START_B] + [ord(ch) - 32 for ch in data]
    else:
        raise ValueError(f"Cannot encode {data!r} in Code 128 sets B or C.")
    checksum = (values[0] + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103
    return [*values, checksum]


def code128_modules(data: str) -> str:
    """The bar pattern, '1' = bar module, without quiet zones."""
    # Imported here: python-barcode's package loads Pillow, which a site that only passes
    # LabelData to the kiosk never needs (label_printer/__init__.py).
    from barcode.charsets.code128 import CODES, STOP

    # python-barcode's STOP is the 11-module stop character; the 2-module final bar follows.
    return "".join(CODES[v] for v in code128_values(data)) + STOP + "11"
