import datetime as dt

import pytest

from shared.errors import ValidationFailed
from shared.validation import clean_name, clean_postcode, parse_date_parts, patient_from_fields

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize("name", ["O'Brien", "Smith-Jones", "Zoë", "Łukasz", "Дмитрий", "李", "Nguyễn", "St. John"])
def test_real_names_are_accepted(name):
    cleaned, error = clean_name(name, "last name")
    assert error is None and cleaned == name


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "Bob\x00", "Robert'); DROP", "<script>", "---"])
def test_bad_names_refused_with_a_message(name):
    assert clean_name(name, "last name")[1]


@pytest.mark.parametrize("parts,message", [
    (("", "", ""), "Enter your date of birth"),
    (("1", "", "1980"), "must include a month"),
    (("31", "2", "1980"), "must be a real date"),
    (("1", "1", "2030"), "must be in the past"),
    (("1", "1", "80"), "4 numbers"),
    (("a", "1", "1980"), "numbers only"),
])
def test_date_of_birth_messages(parts, message):
    value, error = parse_date_parts(*parts, today=TODAY)
    assert value is None and message in error


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
