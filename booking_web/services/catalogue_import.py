"""A laboratory's own test catalogue from a CSV file (`phlebo import-catalogue`): every line is
checked first, each problem named by its line, and the file is imported whole or not at all."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from sqlmodel import Session

from booking_web.services.catalogue import catalogue_settings, entry_problems
from booking_web.services.staff_audit import Actor, changes, record, settings_of
from shared.errors import Problem, ValidationFailed, problem
from shared.models import LabTest
from shared.tubes import STAGE_NAMES, DrawStage

COLUMNS = ("code", "name", "container", "draw stage", "transfusion", "shares tube")
_YES, _NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}
# A field's problem on the form, said about a line of a file.
_IN_FILE = {"code": problem("file_test_code"), "name": problem("file_test_name"),
            "container": problem("file_test_container")}
_STAGES = {s.value: s for s in DrawStage} | {name.lower(): s for s, name in STAGE_NAMES.items()}


@dataclass(frozen=True)
class CatalogueEntry:
    """One test as read from a line of the file."""

    code: str
    name: str
    container: str
    stage: DrawStage
    transfusion: bool
    shares_tube: bool


@dataclass
class ImportResult:
    """What an import did, by test code."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many tests the file held."""
        return len(self.added) + len(self.changed) + len(self.unchanged)


def _column(name: str) -> str:
    return re.sub(r"[\s_-]+", " ", name.strip().lower())


def _yes_no(raw: str, column: str, problems: list[Problem]) -> bool:
    value = raw.strip().lower()
    if value in _YES:
        return True
    if value not in _NO:
        problems.append(problem("file_not_yes_no", column=column, value=raw.strip()))
    return False


def read_catalogue(data: bytes) -> list[CatalogueEntry]:
    """The tests in a catalogue file. ValidationFailed (fields: line number -> what is wrong on it)
    when the file, its header or any of its lines is wrong."""
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError:
        raise ValidationFailed("file_not_utf8") from None
    rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
            if any(cell.strip() for cell in row)]
    if not rows:
        raise ValidationFailed("file_empty", columns=COLUMNS)
    header_line, header = rows[0]
    names = [_column(cell) for cell in header]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [cell.strip() for cell, name in zip(header, names, strict=True) if name not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        details = tuple(part for part in (
            problem("file_columns_missing", columns=tuple(missing)) if missing else None,
            problem("file_columns_unknown", columns=tuple(unknown)) if unknown else None,
            problem("file_column_twice") if len(set(names)) != len(names) and not unknown else None)
            if part)
        raise ValidationFailed("file_header_wrong", fields={str(header_line): problem(
            "file_header_columns", line=header_line, columns=COLUMNS, details=details)})
    if len(rows) == 1:
        raise ValidationFailed("file_no_tests")
    where = {name: names.index(name) for name in COLUMNS}
    entries: list[CatalogueEntry] = []
    errors: dict[str, Problem] = {}
    first_line: dict[str, int] = {}
    for n, row in rows[1:]:
        code = row[where["code"]].strip().upper() if len(row) > where["code"] else ""
        if len(row) != len(names):
            errors[str(n)] = problem("file_line", line=n, code=code, problems=(problem(
                "file_values_count", count=len(row), needed=len(names), columns=COLUMNS),))
            continue
        cell = {name: row[where[name]].strip() for name in COLUMNS}
        stage = _STAGES.get(cell["draw stage"].lower())
        problems = [_IN_FILE[name] for name in entry_problems(
            code=code, name=cell["name"], container=cell["container"],
            stage=stage.value if stage else DrawStage.EDTA.value)]
        if code and code in first_line:
            problems.append(problem("file_code_repeated", code=code, line=first_line[code]))
        first_line.setdefault(code, n)
        if stage is None:
            problems.append(problem("file_stage_unknown", value=cell["draw stage"],
                                    stages=tuple(s.value for s in DrawStage)))
        transfusion = _yes_no(cell["transfusion"], "transfusion", problems)
        shares_tube = _yes_no(cell["shares tube"], "shares tube", problems)
        if problems:
            errors[str(n)] = problem("file_line", line=n, code=code, problems=tuple(problems))
        elif stage is not None:
            entries.append(CatalogueEntry(code, cell["name"], cell["container"], stage, transfusion,
                                          shares_tube))
    if errors:
        raise ValidationFailed("file_lines_invalid", fields=errors, count=len(errors))
    return entries


def import_catalogue(*, session: Session, data: bytes, actor: Actor, now: dt.datetime) -> ImportResult:
    """Add or update every test in a catalogue file, all in one transaction, or none when any
    line is wrong (ValidationFailed, see read_catalogue); commits. Tests already in the
    catalogue but not in the file are kept as they are; every test in the file is active.
    Audited: the import, and each test added or changed (before and after)."""
    entries = read_catalogue(data)
    result = ImportResult()
    for entry in entries:
        row = session.get(LabTest, entry.code)
        values = (entry.name, entry.container, entry.stage.value, entry.transfusion, entry.shares_tube, True)
        before = catalogue_settings(row) if row is not None else None
        if row is None:
            row = LabTest(code=entry.code, name="", container="", stage=entry.stage.value)
            result.added.append(entry.code)
        elif (row.name, row.container, row.stage, row.transfusion, row.shares_tube, row.active) == values:
            result.unchanged.append(entry.code)
            continue
        else:
            result.changed.append(entry.code)
        (row.name, row.container, row.stage, row.transfusion, row.shares_tube, row.active) = values
        session.add(row)
        after = catalogue_settings(row)
        said = settings_of(after) if before is None else changes(before, after)
        record(session, actor=actor, action="test_add" if before is None else "test_change", now=now,
               detail=f"{entry.code} (from a file): {said}")
    record(session, actor=actor, action="catalogue_import", now=now,
           detail=f"{result.total} tests: {len(result.added)} new, {len(result.changed)} changed, "
           f"{len(result.unchanged)} unchanged")
    session.commit()
    return result
