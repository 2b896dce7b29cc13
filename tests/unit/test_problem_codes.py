"""Every refusal is a code with values, and every code has words at each edge: the site's
catalogue (booking_web/messages, which the pages, the API and the command line use) and, for
what the kiosk API can answer, the kiosk's (kiosk_app/messages.py). Read from the source, so a
refusal no test reaches is checked too (tests/conftest.py checks the ones the tests raise)."""

from __future__ import annotations

import ast
import string
from dataclasses import dataclass
from pathlib import Path

import pytest

from booking_web.messages import MESSAGES
from kiosk_app.messages import PROBLEM_CODES
from shared.wording import Choice, Words, templates

ROOT = Path(__file__).resolve().parents[2]
# Where refusals are raised: the domain, the services and the site's own views and API.
SOURCES = [p for d in ("shared", "booking_web") for p in sorted((ROOT / d).rglob("*.py"))
           if "migrations" not in p.parts and "messages" not in p.parts]
SITE_VALUES = {"booking_line"}  # filled in by the site, not the problem


def _error_classes() -> dict[str, str]:
    """BookingError and every class that derives from it, by name, each with its broad kind
    (its own `code = "..."`, or its base's; "" when the problem's code is the kind)."""
    kinds = {"BookingError": ""}
    classes = [node for p in SOURCES for node in ast.walk(ast.parse(p.read_text()))
               if isinstance(node, ast.ClassDef)]
    while True:
        more = {}
        for node in classes:
            base = next((b.id for b in node.bases if isinstance(b, ast.Name) and b.id in kinds), None)
            if base is None or node.name in kinds:
                continue
            own = [stmt.value.value for stmt in node.body
                   if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
                   and any(isinstance(t, ast.Name) and t.id == "code" for t in stmt.targets)]
            more[node.name] = own[0] if own else kinds[base]
        if not more:
            return kinds
        kinds |= more


# The broad kind of each refusal class (the API's `error` unless the raise names its own code).
KINDS = _error_classes()
ERRORS = set(KINDS)


@dataclass(frozen=True)
class Raised:
    """One place that names a problem: the class (or problem()), its code and value names."""

    where: str
    kind: str
    code: str | None  # None: the problem is made elsewhere (a variable or a call)
    params: frozenset[str]
    machine_code: str | None  # code= when given
    words_built: bool  # an f-string or a sum of strings where a code should be


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _problem_makers(tree: ast.Module, path: Path) -> set[str]:
    """problem() and Problem(), where this file has them from shared.errors."""
    if path == ROOT / "shared" / "errors.py":
        return {"problem", "Problem"}
    return {alias.asname or alias.name for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "shared.errors"
            for alias in node.names if alias.name in ("problem", "Problem")}


def _raised(path: Path) -> list[Raised]:
    found = []
    tree = ast.parse(path.read_text())
    makers = _problem_makers(tree, path)
    # super().__init__("code", ...) in a refusal class of its own (BookingOverlaps) raises as it.
    supers = {id(call): cls.name for cls in ast.walk(tree)
              if isinstance(cls, ast.ClassDef) and cls.name in ERRORS
              for call in ast.walk(cls) if isinstance(call, ast.Call)
              and isinstance(call.func, ast.Attribute) and call.func.attr == "__init__"
              and isinstance(call.func.value, ast.Call) and _name(call.func.value.func) == "super"}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        kind = supers.get(id(node)) or _name(node.func)
        if kind not in ERRORS | makers or not node.args:
            continue
        first = node.args[0]
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        code_kw = keywords.get("code") if kind in ERRORS else None
        found.append(Raised(
            where=f"{path.relative_to(ROOT)}:{node.lineno}",
            kind=kind,
            code=first.value if isinstance(first, ast.Constant) and isinstance(first.value, str)
            else None,
            params=frozenset(keywords) - ({"fields", "code"} if kind in ERRORS else set()),
            machine_code=code_kw.value if isinstance(code_kw, ast.Constant) else None,
            words_built=isinstance(first, ast.JoinedStr | ast.BinOp)
            or (isinstance(first, ast.Constant) and " " in str(first.value)),
        ))
    return found


RAISED = [r for path in SOURCES for r in _raised(path)]


def _placeholders(words: Words) -> set[str]:
    """Every value a catalogue entry's templates (and choices) use."""
    names = set()
    if isinstance(words, Choice) and words.pick is None:
        names.add(words.param)
    if isinstance(words, Choice):
        for variant in words.variants.values():
            names |= _placeholders(variant)
        return names
    for template in templates(words):
        names |= {field.split(".")[0].split("[")[0]
                  for _, field, _, _ in string.Formatter().parse(template) if field}
    return names


def test_the_source_is_read():
    assert len(RAISED) > 150 and "RuleViolation" in ERRORS and "CheckinRefused" in ERRORS


def test_no_refusal_writes_its_words():
    built = [r.where for r in RAISED if r.words_built]
    assert built == [], "a refusal names a code (words are chosen at the edge): " + ", ".join(built)


def test_every_code_has_the_sites_words():
    missing = sorted({f"{r.code} ({r.where})" for r in RAISED if r.code and r.code not in MESSAGES})
    assert missing == []


def test_every_raise_gives_the_values_its_words_use():
    short = []
    for r in RAISED:
        if r.code in MESSAGES:
            needed = _placeholders(MESSAGES[r.code]) - SITE_VALUES
            if needed - r.params:
                short.append(f"{r.where} {r.code}: {sorted(needed - r.params)}")
    assert short == []


def test_every_word_in_the_catalogue_is_for_a_code_that_is_used():
    used = {r.code for r in RAISED}
    assert sorted(set(MESSAGES) - used) == []


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_choices_cover_what_they_choose_between(code):
    entry = MESSAGES[code]
    if isinstance(entry, Choice):
        assert entry.variants and all(templates(v) for v in entry.variants.values())


# What the kiosk API can answer: the refusals of check-in and what it calls, the print
# reports, the kiosk's own endpoints and keys.
KIOSK_SOURCES = ("booking_web/services/checkin.py", "booking_web/services/qr.py",
                 "booking_web/services/kiosk_reports.py", "booking_web/services/print_jobs.py",
                 "booking_web/services/ratelimit.py", "booking_web/services/accounts.py",
                 "booking_web/services/idempotency.py", "booking_web/api/__init__.py",
                 "booking_web/api/kiosk.py", "shared/validation.py", "shared/db.py")


def test_every_code_the_kiosk_can_be_answered_has_the_kiosks_words():
    answers = {"not_found"}  # find_appointment, for an unknown reference or date of birth
    for r in RAISED:
        if r.where.split(":")[0] in KIOSK_SOURCES and r.kind in ERRORS:
            answers.add(r.machine_code or KINDS[r.kind] or r.code or "?")
    assert "?" not in answers
    assert sorted(answers - set(PROBLEM_CODES)) == []
