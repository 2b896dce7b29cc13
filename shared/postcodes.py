"""Approximate coordinates for postcode districts (outward codes), to order sites by distance.

The table covers the demo region (Leeds, LS) with district centroids to about a kilometre.
A deployment elsewhere replaces it with its own region's districts (a CSV in the same form
at PHLEBO_POSTCODE_FILE); a postcode not in the table lists sites A to Z instead."""

from __future__ import annotations

import csv
import os
import re
from functools import lru_cache

_DEMO_DISTRICTS = {
    "LS1": (53.7965, -1.5478), "LS2": (53.8040, -1.5490), "LS3": (53.8010, -1.5640),
    "LS4": (53.8100, -1.5850), "LS5": (53.8190, -1.6010), "LS6": (53.8200, -1.5770),
    "LS7": (53.8240, -1.5300), "LS8": (53.8240, -1.5090), "LS9": (53.7980, -1.5050),
    "LS10": (53.7700, -1.5300), "LS11": (53.7800, -1.5530), "LS12": (53.7890, -1.5950),
    "LS13": (53.8060, -1.6270), "LS14": (53.8300, -1.4550), "LS15": (53.8060, -1.4500),
    "LS16": (53.8600, -1.5980), "LS17": (53.8620, -1.5290), "LS18": (53.8460, -1.6450),
    "LS19": (53.8670, -1.6800), "LS20": (53.8750, -1.7200), "LS21": (53.9050, -1.6950),
    "LS22": (53.9280, -1.3860), "LS23": (53.9050, -1.3400), "LS24": (53.8800, -1.2600),
    "LS25": (53.7820, -1.3260), "LS26": (53.7450, -1.4450), "LS27": (53.7450, -1.6000),
    "LS28": (53.8000, -1.6620), "LS29": (53.9250, -1.8220),
}


@lru_cache(maxsize=1)
def _districts() -> dict[str, tuple[float, float]]:
    path = os.environ.get("PHLEBO_POSTCODE_FILE")
    if not path:
        return dict(_DEMO_DISTRICTS)
    table: dict[str, tuple[float, float]] = {}
    with open(path, newline="") as fh:
        for row in csv.reader(fh):
            if len(row) >= 3 and row[0] and not row[0].startswith("#"):
                table[row[0].strip().upper()] = (float(row[1]), float(row[2]))
    return table


def outward_code(postcode: str) -> str:
    """'LS6 2AB' -> 'LS6'; 'ls62ab' -> 'LS6'; 'LS6' -> 'LS6'."""
    text = re.sub(r"\s+", "", (postcode or "").upper())
    return text[:-3] if len(text) > 4 else text


def coordinates_for(postcode: str) -> tuple[float, float] | None:
    """Latitude and longitude of the postcode's district, or None when not known."""
    return _districts().get(outward_code(postcode))
