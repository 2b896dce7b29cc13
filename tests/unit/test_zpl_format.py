"""The ZPL a label becomes: golden files for a few labels, escaping, the graphic field for
names font 0 cannot draw, Code 128 set C, and every command one the simulator knows.

Golden files (tests/data/zpl/*.zpl) are exactly what label_printer sends; after a deliberate
layout change, rewrite them with PHLEBO_UPDATE_GOLDEN=1 and read the diff before committing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardware_sim.zpl_parser import KNOWN, parse_all
from hardware_sim.zpl_render import render_format
from label_printer import layout_label
from label_printer.layout import printable_text
from label_printer.languages.zpl import CANCEL_ALL, Zpl, field_data, printer_can_draw
from label_printer.languages.zpl_status import ERROR_STATUS, HOST_STATUS
from tests.zpl_labels import GOLDEN, label

DATA = Path(__file__).resolve().parents[1] / "data" / "zpl"


def fields(zpl: bytes) -> list[str]:
    """The simulator's reading of one format: the text of every text field, in order."""
    commands = parse_all(zpl)
    assert [c.code for c in commands][0] == "^XA" and commands[-1].code == "^XZ"
    return render_format(commands[1:-1], head_width=406).texts


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_files(name):
    sent = Zpl().encode(GOLDEN[name])
    path = DATA / f"{name}.zpl"
    if os.environ.get("PHLEBO_UPDATE_GOLDEN"):
        path.write_bytes(sent)
    assert sent == path.read_bytes(), f"{path.name} differs: check, then PHLEBO_UPDATE_GOLDEN=1"


def test_caret_and_tilde_in_names_arrive_as_data_not_commands():
    sent = Zpl().encode(GOLDEN["latin_caret_tilde"])
    body = sent.split(b"^FD", 1)[1].split(b"^FS", 1)[0]
    assert b"^" not in body and b"~" not in body  # hex-escaped
    texts = fields(sent)
    assert texts[0] == "D'ARCY^SMITH~JONES, Zoë"
    assert "St Mary's ~ Wing ^2" in texts
    assert "REPRINT" in texts


def test_unescaped_tilde_in_data_would_be_a_command():
    # Why ^FH matters: a printer acts on `~JA` even inside field data (the simulator too).
    commands = [c.code for c in parse_all(b"^XA^FO10,10^A0N,20,20^FDSMITH~JA^FS^XZ")]
    assert "~JA" in commands


def test_field_data_escapes_prefixes_the_escape_mark_and_controls_only():
    assert field_data("A^B~C_D\tÉ王") == "^FH_^FDA_5EB_7EC_5FD_09É王^FS"


def test_a_name_font_0_cannot_draw_is_a_graphic_of_the_layouts_own_dots():
    chinese = GOLDEN["chinese_name"]
    name = layout_label(chinese).text("name")
    assert not printer_can_draw(name.text) and printer_can_draw("Zoë O'Brien-Łukasz"[:12])
    commands = parse_all(Zpl().encode(chinese))
    drawn = render_format(commands[1:-1], head_width=406)
    assert len(drawn.graphics) == 1 and drawn.unknown == []
    assert "王" not in " ".join(drawn.texts)  # not sent as text the printer would drop
    graphic = drawn.graphics[0]
    assert graphic["y"] < 30 and graphic["height"] >= 12  # the name row, top-left


def test_barcode_is_printer_drawn_code_128_set_c_at_three_dots_a_module():
    for lab in GOLDEN.values():
        drawn = render_format(parse_all(Zpl().encode(lab))[1:-1], head_width=406)
        [code] = drawn.barcodes
        assert code["raw"] == ">;" + lab.specimen_id and code["text"] == lab.specimen_id
        assert code["modules"] == 90 and code["module"] == 3  # Start C, 5 pairs, check, stop


def test_format_header_sets_size_utf8_home_and_no_unmarked_reprint_after_error():
    sent = Zpl().encode(label()).decode()
    layout = layout_label(label())
    assert sent.startswith(f"^XA^CI28^PW{layout.width}^LL{layout.height}^LH0,0^JZN^PQ1\n")
    assert sent.endswith("^XZ\n") and sent.count("^XA") == 1


# Any script, control characters (the layout makes them printable first: see
# test_label_any_text.py), and the characters ZPL treats specially.
letters = st.characters(codec="utf-8", exclude_categories=("Cs",))
texts = st.text(st.one_of(letters, st.sampled_from("^~_,>")), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=texts.filter(lambda s: printable_text(s)[0]), given_name=texts, site=texts,
       reprint=st.booleans())
def test_every_command_sent_is_one_the_simulator_knows_and_texts_survive(family, given_name,
                                                                        site, reprint):
    lab = label(family_name=family, given_name=given_name, site_name=site, reprint=reprint)
    sent = Zpl().encode(lab)
    commands = parse_all(sent)
    codes = {c.code for c in commands} | {c.code for c in parse_all(
        HOST_STATUS + ERROR_STATUS + CANCEL_ALL)}
    assert codes <= KNOWN, codes - KNOWN
    drawn = render_format(commands[1:-1], head_width=406)
    assert drawn.unknown == []
    layout = layout_label(lab)
    as_text = [e.text for e in layout.texts if printer_can_draw(e.text)]
    assert drawn.texts == as_text  # every `^`, `~`, `_`, control and accent arrives as sent
    ink = [e for e in layout.texts if not printer_can_draw(e.text) and e.text.strip()]
    assert len(drawn.graphics) <= len(ink)  # the rest as graphics (blank ones draw nothing)
    assert drawn.barcodes[0]["text"] == lab.specimen_id
