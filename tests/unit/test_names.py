"""Names compared ignoring case, accents, spaces, hyphens (and apostrophes, full stops)."""

from __future__ import annotations

import pytest

from shared.names import name_key, same_name


@pytest.mark.parametrize("typed,recorded", [
    ("margaret", "Margaret"),
    ("MARGARET", "Margaret"),
    ("Zoe", "Zoë"),
    ("Jose", "José"),
    ("Siobhan", "Siobhán"),
    ("Francois", "François"),
    ("Anne Marie", "Anne-Marie"),
    ("annemarie", "Anne-Marie"),
    ("Anne \u2013 Marie", "Anne-Marie"),  # an en dash, as some keyboards type
    ("O\u2019Brien", "O'Brien"),  # a phone's curly apostrophe
    ("OBrien", "O'Brien"),
    ("St. John", "St John"),
    ("Strauss", "Strauß"),
    ("  Brown ", "Brown"),
    ("\uff2d\uff41\uff52\uff59", "Mary"),  # full-width letters
    ("Çelik", "CELIK"),
    ("Nguyễn", "Nguyen"),
])
def test_the_same_name_typed_another_way_has_the_same_key(typed, recorded):
    assert name_key(typed) == name_key(recorded)


@pytest.mark.parametrize("typed,recorded", [
    ("Peggy", "Margaret"),
    ("Marg", "Margaret"),
    ("Brown", "Browne"),
    ("Jon", "John"),
    ("Anna", "Anne"),
    ("Мария", "Maria"),  # another script is another spelling, not the same letters
    ("Łukasz", "Lukasz"),  # Ł is a letter of its own, not L with an accent
])
def test_different_names_have_different_keys(typed, recorded):
    assert name_key(typed) != name_key(recorded)


def test_same_name_checks_first_and_last_name_each():
    assert same_name("margaret", "BROWN", recorded_given="Margaret", recorded_family="Brown")
    assert not same_name("Peggy", "Brown", recorded_given="Margaret", recorded_family="Brown")
    assert not same_name("Margaret", "Green", recorded_given="Margaret", recorded_family="Brown")
    # The two names are not run together: a first name moved into the last name is a difference.
    assert not same_name("Mary", "Ann Smith", recorded_given="Mary Ann", recorded_family="Smith")
