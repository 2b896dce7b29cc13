import datetime as dt

import pytest

from shared.errors import ValidationFailed, problem
from shared.validation import clean_name, clean_postcode, parse_date_parts, patient_from_fields

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize("name", ["O'Brien", "Smith-Jones", "Zoë", "Łukasz", "Дмитрий", "李", "Nguyễn", "St. John"])
def test_real_names_are_accepted(name):
    cleaned, error = clean_name(name, "family")
    assert error is None and cleaned == name


@pytest.mark.parametrize("name,code", [
    ("", "name_missing"),
    ("   ", "name_missing"),
    ("x" * 101, "name_too_long"),
    ("Bob\x00", "name_control_character"),
    ("Robert'); DROP", "name_characters"),
    ("<script>", "name_characters"),
    ("---", "name_no_letter"),
])
def test_bad_names_refused_with_their_problem(name, code):
    found = clean_name(name, "family")[1]
    assert found is not None and found.code == code and found.params["part"] == "family"


@pytest.mark.parametrize("parts,found", [
    (("", "", ""), problem("dob_missing")),
    (("1", "", "1980"), problem("dob_incomplete", missing=("month",))),
    (("", "", "1980"), problem("dob_incomplete", missing=("day", "month"))),
    (("31", "2", "1980"), problem("dob_not_real")),
    (("1", "1", "2030"), problem("dob_future")),
    (("1", "1", "80"), problem("dob_year_digits")),
    (("a", "1", "1980"), problem("dob_not_numbers")),
    (("1", "1", "1890"), problem("dob_too_old", earliest_year=1896)),
])
def test_date_of_birth_problems(parts, found):
    value, wrong = parse_date_parts(*parts, today=TODAY)
    assert value is None and wrong == found


def test_postcode_forms():
    assert clean_postcode("ls6 2ab") == ("LS6 2AB", None)
    assert clean_postcode("LS6") == ("LS6", None)
    assert clean_postcode("12345")[1]


def test_patient_without_nhs_number_needs_postcode_and_a_contact():
    with pytest.raises(ValidationFailed) as info:
        patient_from_fields({"given_name": "Jo", "family_name": "Bloggs", "date_of_birth": "1980-01-01"}, today=TODAY)
    assert set(info.value.fields) == {"postcode", "mobile"}


def test_patient_fields_reports_every_problem_at_once():
    with pytest.raises(ValidationFailed) as info:
        patient_from_fields({"nhs_number": "123", "given_name": "", "family_name": 7, "date_of_birth": "1980-02-30",
                             "mobile": "123", "email": "nope"}, today=TODAY)
    assert set(info.value.fields) == {"nhs_number", "given_name", "family_name", "date_of_birth", "mobile", "email"}
