import pytest

from shared import nhs_number


@pytest.mark.parametrize("raw", ["9434765919", "943 476 5919", "943-476-5919", " 943 476 5919 "])
def test_known_valid_number_in_any_spacing(raw):
    assert nhs_number.is_valid(raw)
    assert nhs_number.format_nhs_number(raw) == "943 476 5919"


@pytest.mark.parametrize("raw,code", [
    ("9434765918", "nhs_number_check_digit"),
    ("943476591", "nhs_number_length"),
    ("94347659190", "nhs_number_length"),
    ("abcdefghij", "nhs_number_not_digits"),
    ("", "nhs_number_missing"),
])
def test_invalid_numbers_refused_with_their_problem(raw, code):
    assert not nhs_number.is_valid(raw)
    found = nhs_number.number_problem(raw)
    assert found is not None and found.code == code


def test_remainder_ten_has_no_valid_check_digit():
    # 999 000 002x: weights give remainder 1 -> 11-1 = 10 -> no valid number with this stem
    stems = [f"999{n:06d}" for n in range(200)]
    assert any(nhs_number.check_digit(s) is None for s in stems)


def test_test_numbers_are_valid_and_in_the_never_issued_range():
    numbers = {nhs_number.make_test_number(i) for i in range(500)}
    assert all(n.startswith("999") and nhs_number.is_valid(n) for n in numbers)
    assert len(numbers) > 400
