"""Tube planning: order of draw, shared tubes, transfusion tests never labelled automatically."""

from __future__ import annotations

from booking_web.services.catalogue import DEMO_CATALOGUE
from shared.tubes import DrawStage, TestSpec, plan_tubes

BY_CODE = {spec.code: spec for spec in DEMO_CATALOGUE}


def plan(*codes: str):  # type: ignore[no-untyped-def]
    return plan_tubes(BY_CODE[c] for c in codes)


def test_six_tests_make_four_labels_in_order_of_draw_and_a_hand_label_warning():
    result = plan("FBC", "UE", "LFT", "GLU", "INR", "GS")
    assert [(t.container, t.tests) for t in result.tubes] == [
        ("Sodium citrate", ("INR",)),
        ("Serum gel (SST)", ("UE", "LFT")),
        ("EDTA", ("FBC",)),
        ("Fluoride oxalate", ("GLU",)),
    ]
    assert result.hand_label == ("Group and save",)


def test_tests_in_one_container_share_a_tube():
    result = plan("HBA1C", "TSH", "FBC", "UE")
    assert [t.tests for t in result.tubes] == [("TSH", "UE"), ("HBA1C", "FBC")]


def test_a_test_marked_not_sharing_gets_its_own_tube_after_the_shared_one():
    own = TestSpec("ESR", "ESR", "EDTA", DrawStage.EDTA, shares_tube=False)
    result = plan_tubes([own, BY_CODE["FBC"], BY_CODE["HBA1C"]])
    assert [t.tests for t in result.tubes] == [("FBC", "HBA1C"), ("ESR",)]


def test_transfusion_only_gives_no_tubes():
    result = plan("GS")
    assert result.tubes == () and result.hand_label == ("Group and save",)


def test_a_test_asked_for_twice_counts_once():
    assert [t.tests for t in plan("FBC", "FBC").tubes] == [("FBC",)]


def test_every_stage_in_gp41_order():
    specs = [TestSpec(s.value, s.value, s.value, s) for s in reversed(DrawStage)]
    assert [t.stage for t in plan_tubes(specs).tubes] == [
        DrawStage.BLOOD_CULTURE,
        DrawStage.CITRATE,
        DrawStage.SERUM_PLAIN,
        DrawStage.SERUM_GEL,
        DrawStage.HEPARIN,
        DrawStage.EDTA,
        DrawStage.FLUORIDE_OXALATE,
    ]
