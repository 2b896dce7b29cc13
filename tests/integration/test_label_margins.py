"""Labels keep at least 1 mm clear inside the configured stock (PHLEBO_LABEL_WIDTH_MM /
_HEIGHT_MM): printed over TCP to the simulator with a head wider than any label, so ink in the
margin or past the edge would show in the PNG; every barcode still decodes (zxing-cpp). In
ESC/POS (our raster) and in ZPL (printer text, graphic fields and printer-drawn barcodes)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from hardware_sim import SimPrinterServer, VirtualPrinter
from hardware_sim.printer import Language
from kiosk_app.config import KioskConfig
from kiosk_app.effects import build_services
from label_printer import LabelData, LabelDataError, LabelSize, open_printer
from shared.config import Settings
from tests.label_images import ink_box, ink_outside_margin

HEAD_DOTS = 576  # a 72 mm print head: wider than every stock below


def label(n: int, **overrides: object) -> LabelData:
    values: dict[str, object] = dict(
        family_name="Łukasz-Ó'Brien-Featherstonehaugh", given_name="Zoë Ågøt Jyp",
        date_of_birth=dt.date(1957, 3, 4), nhs_number="9434765919",
        specimen_id=f"99112300{n:02d}", container="Fluoride oxalate",
        tests=("GLU", "HBA1C", "LIPIDS", "TFT", "PSA", "CRP", "B12", "FOLATE", "FERRITIN"),
        site_name="St Jýpqg's Community Hospital, Wetherby", reprint=True, sequence=(10, 10))
    values.update(overrides)
    return LabelData(**values)  # type: ignore[arg-type]


# The widest, tallest, deepest things a label can carry: accented capitals, descenders,
# a CJK name (fallback font), REPRINT with a two-digit sequence, an identity label.
LABELS = [
    label(1),
    label(2, family_name="ÉÀÖ", given_name="Ýgjpq", reprint=False, sequence=(1, 4)),
    label(3, family_name="李", given_name="伟", tests=("FBC",), site_name="Leeds"),
    label(4, container="Patient ID", tests=(), nhs_number="", sequence=None),
    label(5, family_name="W" * 60, given_name="M" * 40, site_name="W" * 80),
]
SIZES = [LabelSize(), LabelSize(50.8, 25.4), LabelSize(57, 32), LabelSize(48, 24)]


def print_to_sim(tmp_path: Path, size: LabelSize, labels: list[LabelData],
                 language: Language = "escpos") -> list[Path]:
    printer = VirtualPrinter(tmp_path / "out", width_dots=HEAD_DOTS, language=language)
    with SimPrinterServer(printer) as sim:
        outcome = open_printer(sim.uri, timeout=2, size=size).print_labels(labels)
        assert printer.wait_idle()
    assert outcome.all_confirmed, outcome.detail
    return sorted(printer.out_dir.glob("*.png"))


@pytest.mark.parametrize("language", ["escpos", "zpl"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s.width_mm:g}x{s.height_mm:g}mm")
def test_no_ink_within_1_mm_of_the_edge_and_every_barcode_decodes(tmp_path, size, language):
    pngs = print_to_sim(tmp_path, size, LABELS, language)
    assert len(pngs) == len(LABELS)
    for path, data in zip(pngs, LABELS, strict=True):
        image = Image.open(path)
        assert image.height == size.height_dots  # the label is exactly the stock's length
        assert ink_outside_margin(image, size) is None, (path.name, ink_box(image))
        found = zxingcpp.read_barcodes(image)
        assert [(r.text, r.format) for r in found] == [
            (data.specimen_id, zxingcpp.BarcodeFormat.Code128)]


def test_the_default_stock_is_50_by_25_mm_with_8_dots_clear():
    size = LabelSize()
    assert (size.width_dots, size.height_dots, size.margin_dots) == (399, 199, 8)
    assert size.margin_dots / 203 * 25.4 >= 1.0


def test_the_kiosk_prints_on_the_stock_its_settings_name(tmp_path):
    printer = VirtualPrinter(tmp_path / "out", width_dots=HEAD_DOTS)
    with SimPrinterServer(printer) as sim:
        config = KioskConfig.from_env({"PHLEBO_PRINTER": sim.uri, "PHLEBO_LABEL_WIDTH_MM": "57",
                                       "PHLEBO_LABEL_HEIGHT_MM": "32",
                                       "PHLEBO_INSTANCE_DIR": str(tmp_path)})
        assert build_services(config).printer().print_labels([LABELS[0]]).all_confirmed
    [png] = sorted(printer.out_dir.glob("*.png"))
    image = Image.open(png)
    assert image.height == LabelSize(57, 32).height_dots == 255
    assert ink_outside_margin(image, LabelSize(57, 32)) is None
    box = ink_box(image)
    assert box is not None and box[2] > LabelSize().width_dots  # it used the wider stock


def test_stock_too_small_for_a_label_is_refused_with_the_setting_named(tmp_path):
    with pytest.raises(LabelDataError, match="smaller than 48 x 24 mm"):
        LabelSize(40, 25)
    with pytest.raises(ValueError, match="PHLEBO_LABEL_WIDTH_MM"):
        Settings.from_env({"PHLEBO_LABEL_WIDTH_MM": "40", "PHLEBO_INSTANCE_DIR": str(tmp_path)})
    with pytest.raises(ValueError, match="PHLEBO_LABEL_HEIGHT_MM"):
        Settings.from_env({"PHLEBO_LABEL_HEIGHT_MM": "wide", "PHLEBO_INSTANCE_DIR": str(tmp_path)})
