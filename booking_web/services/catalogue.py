"""The test catalogue: seeded with common tests, edited by admins, read by tube planning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, select

from booking_web.services.staff_audit import Actor, changes, record, settings_of
from shared.errors import Problem, ValidationFailed, problem
from shared.models import LabTest
from shared.tubes import STAGE_NAMES, DrawStage, TestSpec
from shared.validation import one_line_problem

# Container names are text on the label: tube colours differ between suppliers (DOMAIN 5).
DEMO_CATALOGUE: tuple[TestSpec, ...] = (
    TestSpec("FBC", "Full blood count", "EDTA", DrawStage.EDTA),
    TestSpec("HBA1C", "HbA1c (diabetes)", "EDTA", DrawStage.EDTA),
    TestSpec("UE", "Urea and electrolytes", "Serum gel (SST)", DrawStage.SERUM_GEL),
    TestSpec("LFT", "Liver function tests", "Serum gel (SST)", DrawStage.SERUM_GEL),
    TestSpec("TSH", "Thyroid function (TSH)", "Serum gel (SST)", DrawStage.SERUM_GEL),
    TestSpec("GLU", "Glucose (fasting)", "Fluoride oxalate", DrawStage.FLUORIDE_OXALATE),
    TestSpec("INR", "INR (clotting)", "Sodium citrate", DrawStage.CITRATE),
    TestSpec(
        "GS",
        "Group and save",
        "EDTA (transfusion)",
        DrawStage.EDTA,
        transfusion=True,
        shares_tube=False,
    ),
)


# Tests the patient fasts for (admins change this per test on the catalogue page).
DEMO_FASTING = frozenset({"GLU"})


def seed_catalogue(*, session: Session) -> int:
    """Add the demo tests that are missing (admins' edits are kept); commits. Returns how many
    were added."""
    added = 0
    for spec in DEMO_CATALOGUE:
        if session.get(LabTest, spec.code) is None:
            session.add(
                LabTest(
                    code=spec.code,
                    name=spec.name,
                    container=spec.container,
                    stage=spec.stage,
                    transfusion=spec.transfusion,
                    shares_tube=spec.shares_tube,
                    fasting=spec.code in DEMO_FASTING,
                )
            )
            added += 1
    session.commit()
    return added


def list_tests(*, session: Session, include_inactive: bool = True) -> list[LabTest]:
    """Catalogue tests in order of draw, then by code."""
    query = select(LabTest) if include_inactive else select(LabTest).where(LabTest.active)
    order = {stage.value: i for i, stage in enumerate(DrawStage)}
    return sorted(session.exec(query), key=lambda t: (order.get(t.stage, 99), t.code))


def search_tests(*, session: Session, query: str, keep: Sequence[str] = ()) -> list[LabTest]:
    """Active tests whose name or code contains every word of `query` (any case), and the ones
    in `keep` (already chosen) whatever the query; A to Z by name."""
    words = query.casefold().split()
    found = [t for t in list_tests(session=session, include_inactive=False)
             if t.code in keep or all(w in f"{t.code} {t.name}".casefold() for w in words)]
    return sorted(found, key=lambda t: t.name.casefold())


def active_codes(*, session: Session, codes: Sequence[str]) -> list[str]:
    """The codes that name active tests, in the order given, once each."""
    found = []
    for code in dict.fromkeys(codes):
        row = session.get(LabTest, code)
        if row is not None and row.active:
            found.append(code)
    return found


def names_of_tests(*, session: Session, codes: Sequence[str]) -> list[str]:
    """'Full blood count (FBC)' for each code, in the order given."""
    return [row.name if row.code in row.name.replace("(", " ").replace(")", " ").split() else f"{row.name} ({row.code})"
            for code in codes if (row := session.get(LabTest, code)) is not None]


def fasting_test_names(*, session: Session, codes: Sequence[str]) -> list[str]:
    """The names of the tests among `codes` that need the patient to fast."""
    return [row.name for code in codes if (row := session.get(LabTest, code)) is not None and row.fasting]


def spec_of(test: LabTest) -> TestSpec:
    """The tube-planning view of a catalogue row."""
    return TestSpec(
        test.code,
        test.name,
        test.container,
        DrawStage(test.stage),
        test.transfusion,
        test.shares_tube,
    )


def specs_for(*, session: Session, codes: Sequence[str]) -> list[TestSpec]:
    """Catalogue entries for these codes, in the order given; unknown codes are skipped."""
    specs = []
    for code in codes:
        row = session.get(LabTest, code)
        if row is not None:
            specs.append(spec_of(row))
    return specs


def entry_problems(*, code: str, name: str, container: str, stage: str) -> dict[str, Problem]:
    """What is wrong with a catalogue test's fields, by field ({} when nothing is). `code` is
    given as it will be stored: stripped and in capitals."""
    errors: dict[str, Problem] = {}
    if not code or len(code) > 12 or not code.replace("_", "").isalnum() or not code.isascii():
        errors["code"] = problem("test_code_invalid", longest=12)
    if not name.strip() or len(name.strip()) > 80:
        errors["name"] = problem("test_name_invalid", longest=80)
    elif wrong := one_line_problem(name.strip(), "test_name"):
        errors["name"] = wrong
    if not container.strip() or len(container.strip()) > 40:
        errors["container"] = problem("test_container_invalid", longest=40)
    elif wrong := one_line_problem(container.strip(), "tube_type"):
        errors["container"] = wrong  # it is printed on the tube's label
    if stage not in {s.value for s in DrawStage}:
        errors["stage"] = problem("test_stage_missing")
    return errors


def save_test(
    *,
    session: Session,
    code: str,
    name: str,
    container: str,
    stage: str,
    transfusion: bool,
    shares_tube: bool,
    active: bool = True,
    fasting: bool = False,
    actor: Actor,
    now: dt.datetime,
) -> LabTest:
    """Add or change a catalogue test; audited (before and after); commits. ValidationFailed
    names each bad field and changes nothing."""
    code = code.strip().upper()
    errors = entry_problems(code=code, name=name, container=container, stage=stage)
    if errors:
        raise ValidationFailed("test_invalid", fields=errors)
    existing = session.get(LabTest, code)
    before = catalogue_settings(existing) if existing is not None else None
    row = existing or LabTest(code=code, name="", container="", stage=stage)
    row.name, row.container, row.stage = name.strip(), container.strip(), stage
    row.transfusion, row.shares_tube, row.active = transfusion, shares_tube, active
    row.fasting = fasting
    session.add(row)
    after = catalogue_settings(row)
    record(session, actor=actor, action="test_add" if before is None else "test_change", now=now,
           detail=f"{code}: " + (settings_of(after) if before is None else changes(before, after)))
    session.commit()
    return row


def _stage_name(stage: str) -> str:
    return next((name for s, name in STAGE_NAMES.items() if s.value == stage), stage)


def catalogue_settings(row: LabTest) -> dict[str, object]:
    """A catalogue test's settings as the audit log names them."""
    return {"name": row.name, "tube": row.container, "order of draw": _stage_name(row.stage),
            "transfusion sample": row.transfusion, "shares a tube": row.shares_tube, "fasting": row.fasting,
            "in use": row.active}
