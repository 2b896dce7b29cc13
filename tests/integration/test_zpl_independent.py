"""Our ZPL read by someone else's renderer: zpl-renderer-js (npm; IngridHQ's zebrash ZPL
renderer compiled to WebAssembly, run in Node on this machine: no label goes to a web
previewer). It draws the golden labels; zxing-cpp decodes the printer-drawn barcodes, and its
font 0 text stays inside what our simulator (DejaVu Sans Condensed Bold for font 0) covers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import zxingcpp
from PIL import Image, ImageChops

from hardware_sim.zpl_parser import parse_all
from hardware_sim.zpl_render import render_format
from label_printer import LabelSize
from tests.zpl_labels import GOLDEN

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "zpl"


def ink(image: Image.Image) -> tuple[int, int, int, int]:
    box = ImageChops.invert(image.convert("L")).getbbox()
    assert box is not None
    return box


def test_an_independent_zpl_renderer_draws_our_labels(tmp_path):
    node = shutil.which("node")
    assert node, "Node.js is installed by scripts/system-packages.txt"
    files = []
    for name in sorted(GOLDEN):
        files.append(tmp_path / f"{name}.zpl")
        shutil.copy(DATA / f"{name}.zpl", files[-1])
    stock = LabelSize()  # the default stock the golden labels are laid out on
    subprocess.run([node, str(ROOT / "tests" / "tools" / "render_zpl.cjs"), str(stock.width_mm),
                    str(stock.height_mm), "8", *map(str, files)], check=True, timeout=120,
                   cwd=ROOT)
    for name, path in zip(sorted(GOLDEN), files, strict=True):
        theirs = Image.open(f"{path}.png")
        assert abs(theirs.width - stock.width_dots) <= 1
        assert abs(theirs.height - stock.height_dots) <= 1
        codes = zxingcpp.read_barcodes(theirs)
        assert [(c.format, c.text) for c in codes] == [
            (zxingcpp.BarcodeFormat.Code128, GOLDEN[name].specimen_id)], name
        ours = render_format(parse_all(path.read_bytes())[1:-1], head_width=832).image
        (left, top, right, bottom), mine = ink(theirs), ink(ours)
        assert (left >= mine[0] - 1 and top >= mine[1] - 1 and right <= mine[2] + 1
                and bottom <= mine[3] + 1), (name, (left, top, right, bottom), mine)
