"""Label layout: what a phlebotomist reads on the tube (DOMAIN 5)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import zxingcpp

from label_printer import LabelData, LabelDataError, layout_label, render_label
from label_printer.fonts import DEJAVU_DIR, FontSet, covered_chars
from label_printer.layout import ELLIPSIS, QUIET_MODULES, format_dob, format_nhs_number
from shared.errors import HardwareError


def make_label(**overrides: object) -> LabelData:
    values: dict[str, object] = dict(
        family_name="Smith", given_name="Alice", date_of_birth=dt.date(1957, 3, 4),
        nhs_number="9434765919", specimen_id="2611230001", container="EDTA",
        tests=("FBC", "HBA1C"), site_name="Riverside Health Centre")
    values.update(overrides)
    return LabelData(**values)  # type: ignore[arg-type]


def test_date_of_birth_is_dd_mmm_yyyy():
    assert format_dob(dt.date(1957, 3, 4)) == "04-Mar-1957"
    assert format_dob(dt.date(2001, 12, 25)) == "25-Dec-2001"
    assert layout_label(make_label()).text("dob").text == "DOB 04-Mar-1957"


def test_nhs_number_is_grouped_3_3_4_or_marked_not_given():
    assert format_nhs_number("9434765919") == "NHS 943 476 5919"
    layout = layout_label(make_label(nhs_number="", container="Patient ID"))
    assert layout.text("nhs").text == "NHS No: not given"


def test_surname_upper_case_first_then_forename_in_full_top_left():
    name = layout_label(make_label(family_name="O'Brien", given_name="Siobhán")).text("name")
    assert name.text == "O'BRIEN, Siobhán"
    assert name.x <= 8 and name.baseline <= 34 and not name.truncated


def test_container_tests_site_and_taken_by_field_are_on_the_label():
    layout = layout_label(make_label(container="Fluoride oxalate", tests=("GLU",)))
    assert layout.text("container").text == "Fluoride oxalate"
    assert layout.text("tests").text == "GLU"
    assert layout.text("site").text == "Riverside Health Centre"
    assert layout.text("taken").text.startswith("Taken ") and " By " in layout.text("taken").text
    assert layout.warnings == ()


def test_reprint_is_marked_in_an_inverted_box_and_only_on_reprints():
    assert layout_label(make_label(reprint=True)).text("reprint").inverted
    with pytest.raises(KeyError):
        layout_label(make_label()).text("reprint")


def test_sequence_shows_tube_n_of_total():
    assert layout_label(make_label(sequence=(2, 4))).text("sequence").text == "2/4"


def test_long_name_shrinks_to_the_minimum_size_before_truncating():
    medium = layout_label(make_label(family_name="Featherstonehaugh-Cholmondeley",
                                     given_name="Anne")).text("name")
    assert 16 <= medium.size < 28 and not medium.truncated
    assert medium.text == "FEATHERSTONEHAUGH-CHOLMONDELEY, Anne"


def test_too_long_name_is_truncated_visibly_and_flagged():
    data = make_label(family_name="Featherstonehaugh-Cholmondeley",
                      given_name="Hubert Blaine Maximilian Alexander")
    layout = layout_label(data)
    name = layout.text("name")
    assert name.truncated and name.size == 16
    assert name.text.endswith(ELLIPSIS)
    assert name.text.startswith("FEATHERSTONEHAUGH-CHOLMONDELEY, Hu")  # surname kept whole
    assert any(w.startswith("name shortened") for w in layout.warnings)


def test_surname_longer_than_the_label_is_truncated_too():
    name = layout_label(make_label(family_name="Wolfeschlegelsteinhausenbergerdorff" * 2)).text(
        "name")
    assert name.truncated and name.text.endswith(ELLIPSIS) and name.text.startswith("WOLFE")


def test_many_tests_are_truncated_with_a_marker_not_dropped_silently():
    layout = layout_label(make_label(tests=tuple(f"TEST{i}" for i in range(20))))
    assert layout.text("tests").text.endswith(ELLIPSIS)
    assert any(w.startswith("tests shortened") for w in layout.warnings)


@pytest.mark.parametrize("family, given", [
    ("O'Brien", "Zoë"), ("Smith-Jones", "Łukasz"), ("Иванов", "Дмитрий"),
    ("Παπαδόπουλος", "Νίκος"), ("Müller", "Jürgen")])
def test_latin_greek_cyrillic_names_render_with_no_missing_glyphs(family, given):
    layout = layout_label(make_label(family_name=family, given_name=given))
    assert layout.text("name").missing_glyphs == ""
    assert layout.text("name").text == f"{family.upper()}, {given}"
    assert layout.warnings == ()


def test_glyph_missing_from_the_face_comes_from_a_fallback_font():
    # DejaVu Sans Mono has no Hebrew; DejaVu Sans has. Proves the fallback rule with fonts
    # every machine running the tests has (fonts-dejavu-core).
    mono = FontSet(regular=str(DEJAVU_DIR / "DejaVuSansMono.ttf"),
                   bold=str(DEJAVU_DIR / "DejaVuSansMono-Bold.ttf"),
                   fallbacks=(str(DEJAVU_DIR / "DejaVuSans.ttf"),))
    layout = layout_label(make_label(family_name="Smith", given_name="אבי"), fonts=mono)
    assert layout.text("name").font_path.endswith("DejaVuSans.ttf")
    assert layout.text("dob").font_path.endswith("DejaVuSansMono-Bold.ttf")
    assert layout.warnings == ()


def test_glyph_no_font_has_is_rendered_and_flagged():
    only_dejavu = FontSet(regular=str(DEJAVU_DIR / "DejaVuSansCondensed.ttf"),
                          bold=str(DEJAVU_DIR / "DejaVuSansCondensed-Bold.ttf"))
    data = make_label(family_name="李", given_name="伟")
    layout = layout_label(data, fonts=only_dejavu)
    assert layout.text("name").missing_glyphs == "伟李"
    assert any("cannot print" in w and "李" in w for w in layout.warnings)
    assert render_label(data).size == (399, 199)  # still prints: NHS number, DOB, barcode


def test_cjk_name_uses_an_installed_fallback_font_or_is_flagged():
    layout = layout_label(make_label(family_name="李", given_name="伟"))
    name = layout.text("name")
    if "李" in covered_chars(name.font_path):
        assert name.missing_glyphs == "" and layout.warnings == ()
    else:
        assert name.missing_glyphs and layout.warnings


@pytest.mark.parametrize("bad", [
    dict(specimen_id="12345"), dict(specimen_id="12345678AB"), dict(nhs_number="943 476 5919"),
    dict(family_name=" "), dict(sequence=(5, 4))])
def test_malformed_label_data_is_refused_with_a_hardware_error(bad):
    with pytest.raises(LabelDataError) as info:
        make_label(**bad)
    assert isinstance(info.value, HardwareError) and info.value.message


def test_barcode_is_code_set_c_at_3_dots_per_module_with_quiet_zones_inside():
    layout = layout_label(make_label())
    bc = layout.barcode
    assert len(bc.modules) == (5 + 3) * 11 + 2 == 90  # start, 5 digit pairs, check, stop
    assert bc.module_dots == 3 and bc.width == 270
    quiet = QUIET_MODULES * bc.module_dots
    assert bc.x >= quiet and bc.x + bc.width + quiet <= layout.width
    for element in layout.texts:  # no text intrudes on the barcode or its quiet zones
        if bc.y - 4 < element.baseline < bc.y + bc.height:
            assert element.x >= bc.x + bc.width + quiet


# Ids starting 99 are the ones python-barcode 0.16 mis-encodes (drops digits); see code128.py.
@pytest.mark.parametrize("specimen_id", ["0000000000", "2611230001", "9999999999", "9978794643",
                                         "0102030405"])
def test_rendered_label_barcode_decodes_to_the_specimen_id(specimen_id):
    image = render_label(make_label(specimen_id=specimen_id, reprint=True, sequence=(3, 4)))
    assert image.size == (399, 199) and image.mode == "1"
    results = zxingcpp.read_barcodes(image)
    assert [(r.text, r.format) for r in results] == [(specimen_id, zxingcpp.BarcodeFormat.Code128)]


def test_label_data_is_frozen():
    label = make_label()
    with pytest.raises(dataclasses.FrozenInstanceError):
        label.reprint = True  # type: ignore[misc]


def test_every_ten_digit_id_is_90_modules_and_starts_in_code_set_c():
    from label_printer.code128 import code128_modules, code128_values

    for specimen_id in ["9999999999", "9900000000", "0000000099", "1234567890"]:
        assert len(code128_modules(specimen_id)) == 90
        values = code128_values(specimen_id)
        assert values[0] == 105 and values[1:6] == [int(specimen_id[i:i + 2])
                                                    for i in range(0, 10, 2)]
