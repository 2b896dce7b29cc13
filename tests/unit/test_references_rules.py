import datetime as dt
import math

from booking_web.messages import words
from shared import references
from shared.errors import problem
from shared.rules import TypeRule, age_on, age_problem, mask_name, restricts_slots, slot_allowed_for_type
from shared.timeutil import local_to_utc, to_local


def test_reference_has_at_least_40_bits_and_no_ambiguous_characters():
    assert references.LENGTH * math.log2(len(references.ALPHABET)) >= 40
    assert not set("01OILU") & set(references.ALPHABET)
    refs = {references.new_reference() for _ in range(2000)}
    assert len(refs) == 2000
    assert all(references.looks_like_reference(r) for r in refs)


def test_reference_typed_with_dashes_spaces_and_lower_case_is_found():
    ref = references.new_reference()
    typed = references.format_reference(ref).lower().replace("-", " ")
    assert references.normalise_reference(typed) == ref


def test_age_on_birthday_boundaries():
    assert age_on(dt.date(2010, 11, 24), dt.date(2026, 11, 23)) == 15
    assert age_on(dt.date(2010, 11, 23), dt.date(2026, 11, 23)) == 16


ADULT = TypeRule("adult", "Adult blood test", 16, None, False, None)
CHILD = TypeRule("child", "Child blood test", None, 16, True, None)
FASTING = TypeRule("fasting", "Fasting blood test", 16, None, False, dt.time(10, 30))


def test_age_rules_say_what_to_do_instead():
    too_young = age_problem(ADULT, dt.date(2015, 1, 1), dt.date(2026, 11, 23))
    too_old = age_problem(CHILD, dt.date(1990, 1, 1), dt.date(2026, 11, 23))
    assert too_young == problem("age_too_young", type_name="Adult blood test", min_age=16)
    assert too_old == problem("age_too_old", type_name="Child blood test", max_age=16)
    assert "choose 'Child blood test'" in words(too_young)
    assert "Choose 'Adult blood test'" in words(too_old)
    assert age_problem(ADULT, dt.date(1990, 1, 1), dt.date(2026, 11, 23)) is None


def test_fasting_must_start_before_1030_local_in_summer_and_winter():
    for day in (dt.date(2026, 7, 1), dt.date(2026, 12, 1)):
        assert slot_allowed_for_type(FASTING, local_to_utc(day, dt.time(10, 20)), False)
        assert not slot_allowed_for_type(FASTING, local_to_utc(day, dt.time(10, 30)), False)


def test_child_only_at_paediatric_sites():
    when = local_to_utc(dt.date(2026, 12, 1), dt.time(9, 0))
    assert not slot_allowed_for_type(CHILD, when, False)
    assert slot_allowed_for_type(CHILD, when, True)


def test_dst_wall_clock_round_trip_on_both_clock_change_sundays():
    for day in (dt.date(2026, 3, 29), dt.date(2026, 10, 25)):
        for hour in (7, 9, 12, 16):
            instant = local_to_utc(day, dt.time(hour, 0))
            assert to_local(instant).hour == hour
    assert local_to_utc(dt.date(2026, 3, 29), dt.time(9)) == dt.datetime(2026, 3, 29, 8, tzinfo=dt.UTC)
    assert local_to_utc(dt.date(2026, 10, 25), dt.time(9)) == dt.datetime(2026, 10, 25, 9, tzinfo=dt.UTC)


def test_mask_name_shows_initials_only():
    assert mask_name("Jane", "Smith") == "J*** S****"
    assert mask_name("Al", "O") == "A*** O***"


def test_a_type_that_restricts_no_slot_allows_every_slot():
    """restricts_slots lets a listing skip the per-slot check: only where that check cannot refuse."""
    day = dt.date(2026, 10, 25)  # the clocks go back: wall times repeat
    starts = [local_to_utc(day, dt.time(h, m)) + dt.timedelta(hours=extra)
              for h in range(24) for m in (0, 30) for extra in (0, 1)]
    assert [restricts_slots(r) for r in (ADULT, CHILD, FASTING)] == [False, True, True]
    assert all(slot_allowed_for_type(ADULT, s, paediatric) for s in starts for paediatric in (False, True))
    assert not all(slot_allowed_for_type(CHILD, s, False) for s in starts)
    assert not all(slot_allowed_for_type(FASTING, s, True) for s in starts)
