"""Specimen ids: 10 digits, Damm check digit, fit a 2 x 1 inch label as Code 128 set C."""

from __future__ import annotations

import pytest

from label_printer.code128 import code128_modules
from label_printer.layout import MODULE_DOTS, QUIET_MODULES
from shared.specimen import damm_digit, is_valid_specimen_id, specimen_id


def test_known_damm_values():
    # Worked example from the literature: 572 -> check digit 4.
    assert damm_digit("572") == 4
    assert is_valid_specimen_id(specimen_id(1))
    assert specimen_id(1) == "000000001" + str(damm_digit("000000001"))


def test_ids_are_ten_digits_and_even_length():
    for serial in (1, 42, 123456789, 999_999_999):
        sid = specimen_id(serial)
        assert len(sid) == 10 and sid.isdigit() and is_valid_specimen_id(sid)
    with pytest.raises(ValueError):
        specimen_id(0)
    with pytest.raises(ValueError):
        specimen_id(1_000_000_000)


@pytest.mark.parametrize("serial", [1, 7, 4711, 20261123, 987654321])
def test_every_single_digit_error_is_caught(serial):
    sid = specimen_id(serial)
    for i in range(10):
        for d in "0123456789":
            if d != sid[i]:
                assert not is_valid_specimen_id(sid[:i] + d + sid[i + 1 :]), (sid, i, d)


@pytest.mark.parametrize("serial", [1, 7, 4711, 20261123, 987654321, 123456789])
def test_every_adjacent_transposition_is_caught(serial):
    sid = specimen_id(serial)
    for i in range(9):
        if sid[i] != sid[i + 1]:
            swapped = sid[:i] + sid[i + 1] + sid[i] + sid[i + 2 :]
            assert not is_valid_specimen_id(swapped), (sid, i)


def test_rejects_non_digits_and_wrong_lengths():
    assert not is_valid_specimen_id("12345")
    assert not is_valid_specimen_id("１２３４５６７８９０")  # full-width digits
    assert not is_valid_specimen_id("abcdefghij")


def test_barcode_fits_a_two_inch_label_at_203_dpi():
    sid = specimen_id(999_999_999)
    modules = code128_modules(sid)
    width = (len(modules) + 2 * QUIET_MODULES) * MODULE_DOTS
    assert width <= 406 - 8, width  # 2 inch = 406 dots, less the margins
