"""Pure tube planning: which tubes a set of tests needs, in the CLSI GP41 order of draw.

Tests that use the same container share one tube unless the catalogue says a test needs a tube
of its own. Transfusion tests (group and save, crossmatch) never get an automatic label: they
are listed to be hand-labelled at the chair (DOMAIN section 5), unless labels print at the
chair beside the identified patient with the laboratory's approval: then each gets a tube of
its own, marked as a transfusion sample."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class DrawStage(StrEnum):
    """Where a container comes in the order of draw (CLSI GP41)."""

    BLOOD_CULTURE = "blood_culture"
    CITRATE = "citrate"
    SERUM_PLAIN = "serum_plain"
    SERUM_GEL = "serum_gel"
    HEPARIN = "heparin"
    EDTA = "edta"
    FLUORIDE_OXALATE = "fluoride_oxalate"


DRAW_ORDER: tuple[DrawStage, ...] = tuple(DrawStage)

STAGE_NAMES = {
    DrawStage.BLOOD_CULTURE: "Blood culture",
    DrawStage.CITRATE: "Citrate",
    DrawStage.SERUM_PLAIN: "Serum (plain)",
    DrawStage.SERUM_GEL: "Serum gel",
    DrawStage.HEPARIN: "Heparin",
    DrawStage.EDTA: "EDTA",
    DrawStage.FLUORIDE_OXALATE: "Fluoride oxalate",
}

IDENTITY_CONTAINER = "Patient ID"


@dataclass(frozen=True)
class TestSpec:
    """What tube planning needs to know about one catalogue test."""

    __test__ = False  # not a pytest test class

    code: str
    name: str
    container: str  # tube type / additive in text, as printed on the label
    stage: DrawStage
    transfusion: bool = False
    shares_tube: bool = True


@dataclass(frozen=True)
class Tube:
    """One tube to label: its container and the test codes it is for."""

    container: str
    stage: DrawStage
    tests: tuple[str, ...]
    transfusion: bool = False


@dataclass(frozen=True)
class TubePlan:
    """Tubes in order of draw, and the tests to hand-label at the chair (by name)."""

    tubes: tuple[Tube, ...]
    hand_label: tuple[str, ...]


def plan_tubes(tests: Iterable[TestSpec], *, label_transfusion: bool = False) -> TubePlan:
    """The tubes for these tests in order of draw; a test asked for twice counts once.
    Transfusion tests are hand-labelled, or with `label_transfusion` get tubes of their own."""
    seen: set[str] = set()
    shared: dict[tuple[DrawStage, str], list[str]] = {}
    own: list[tuple[DrawStage, str, str, bool]] = []
    hand: list[str] = []
    for test in tests:
        if test.code in seen:
            continue
        seen.add(test.code)
        if test.transfusion and not label_transfusion:
            hand.append(test.name)
        elif test.transfusion:
            own.append((test.stage, test.container, test.code, True))
        elif test.shares_tube:
            shared.setdefault((test.stage, test.container), []).append(test.code)
        else:
            own.append((test.stage, test.container, test.code, False))
    tubes = [Tube(container, stage, tuple(codes)) for (stage, container), codes in shared.items()]
    tubes += [Tube(container, stage, (code,), transfusion)
              for stage, container, code, transfusion in own]
    # A stable sort keeps request order among tubes of the same stage.
    tubes.sort(key=lambda tube: DRAW_ORDER.index(tube.stage))
    return TubePlan(tuple(tubes), tuple(hand))
