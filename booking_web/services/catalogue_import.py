"""A laboratory's own test catalogue from a CSV file (`phlebo import-catalogue`): every line is
checked first, each problem named by its line, and the file is imported whole or not at all."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from sqlmodel import Session

from booking_web.services.catalogue import entry_problems
from shared.errors import ValidationFailed
from shared.models import LabTest
from shared.tubes import STAGE_NAMES, DrawStage

COLUMNS = ("code", "name", "container", "draw stage", "transfusion", "shares tube")
_YES, _NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}
# The form's wording, said about a line of a file.
_WORDS = {
    "code": "a code is up to 12 letters or numbers, with no spaces",
    "name": "give the test's name (up to 80 characters)",
    "container": "give the tube type or additive as text (up to 40 characters)",
}
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


def _yes_no(raw: str, label: str, problems: list[str]) -> bool:
    value = raw.strip().lower()
    if value in _YES:
        return True
    if value not in _NO:
        problems.append(f"{label}: {raw.strip()!r} is not yes or no")
    return False


def read_catalogue(data: bytes) -> list[CatalogueEntry]:
    """The tests in a catalogue file. ValidationFailed (fields: 'Line N' -> what is wrong on it)
    when the file, its header or any of its lines is wrong."""
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError:
        raise ValidationFailed("The file is not UTF-8 text: save it from the spreadsheet as "
                               "'CSV UTF-8'.") from None
    rows = [(n, row) for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
            if any(cell.strip() for cell in row)]
    if not rows:
        raise ValidationFailed("The file is empty: its first line names the columns: "
                               + ", ".join(COLUMNS) + ".")
    header_line, header = rows[0]
    names = [_column(cell) for cell in header]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [cell.strip() for cell, name in zip(header, names, strict=True) if name not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        detail = "; ".join(part for part in (
            "missing: " + ", ".join(missing) if missing else "",
            "not known: " + ", ".join(unknown) if unknown else "",
            "a column named twice" if len(set(names)) != len(names) and not unknown else "") if part)
        raise ValidationFailed("The file's first line is not the catalogue's columns", fields={
            f"Line {header_line}": f"the columns must be {', '.join(COLUMNS)} ({detail})"})
    if len(rows) == 1:
        raise ValidationFailed("The file has no tests: one line per test after the column names.")
    where = {name: names.index(name) for name in COLUMNS}
    entries: list[CatalogueEntry] = []
    errors: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for n, row in rows[1:]:
        code = row[where["code"]].strip().upper() if len(row) > where["code"] else ""
        label = f"Line {n}" + (f" ({code})" if code else "")
        if len(row) != len(names):
            errors[label] = (f"has {len(row)} values; each line needs {len(names)} "
                             f"({', '.join(COLUMNS)})")
            continue
        cell = {name: row[where[name]].strip() for name in COLUMNS}
        stage = _STAGES.get(cell["draw stage"].lower())
        problems = [f"{name}: {_WORDS[name]}" for name, _ in entry_problems(
            code=code, name=cell["name"], container=cell["container"],
            stage=stage.value if stage else DrawStage.EDTA.value).items()]
        if code and code in first_line:
            problems.append(f"code: {code} is also on line {first_line[code]}")
        first_line.setdefault(code, n)
        if stage is None:
            problems.append(f"draw stage: {cell['draw stage']!r} is not one of: "
                            + ", ".join(s.value for s in DrawStage) + " (or their names, like Serum gel)")
        transfusion = _yes_no(cell["transfusion"], "transfusion", problems)
        shares_tube = _yes_no(cell["shares tube"], "shares tube", problems)
        if problems:
            errors[label] = "; ".join(problems)
        elif stage is not None:
            entries.append(CatalogueEntry(code, cell["name"], cell["container"], stage, transfusion,
                                          shares_tube))
    if errors:
        raise ValidationFailed(f"{len(errors)} lines of the file have problems.", fields=errors)
    return entries


def import_catalogue(*, session: Session, data: bytes) -> ImportResult:
    """Add or update every test in a catalogue file, all in one transaction, or none when any
    line is wrong (ValidationFailed, see read_catalogue); commits. Tests already in the
    catalogue but not in the file are kept as they are; every test in the file is active."""
    entries = read_catalogue(data)
    result = ImportResult()
    for entry in entries:
        row = session.get(LabTest, entry.code)
        values = (entry.name, entry.container, entry.stage.value, entry.transfusion, entry.shares_tube, True)
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
    session.commit()
    return result
