"""`phlebo import-catalogue FILE.csv` (issue 11 item 16): a laboratory loads its own test
catalogue (code, name, container, draw stage, transfusion, shares tube). Every bad line is named
with what is wrong, and nothing is imported when any line is bad. Through the real command on
SQLite and PostgreSQL, then the catalogue is used: a request with its codes plans its tubes."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue, specs_for
from shared.models import LabTest, StaffAudit
from shared.tubes import plan_tubes
from tests.integration.test_cli import run

GOOD = """code,name,container,draw stage,transfusion,shares tube
FBC,Full blood count,EDTA (lavender),EDTA,no,yes
CRP,C-reactive protein,Serum gel (gold),serum_gel,no,yes
ESR,Erythrocyte sedimentation rate,EDTA (lavender),edta,no,no
XM,Crossmatch,EDTA (pink),EDTA,yes,no
COAG,Clotting screen,Sodium citrate (light blue),Citrate,No,Yes
"""


def _csv(tmp_path: Path, text: str, *, encoding: str = "utf-8") -> str:
    path = tmp_path / "catalogue.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def _catalogue(session) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return {t.code: (t.name, t.container, t.stage, t.transfusion, t.shares_tube, t.active)
            for t in session.exec(select(LabTest))}


def _audit(session) -> list[StaffAudit]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.exec(select(StaffAudit).order_by(StaffAudit.id)))  # type: ignore[arg-type]


def test_a_laboratory_loads_its_own_catalogue(monkeypatch, capsys, tmp_path, engine, session):
    seed_catalogue(session=session)  # the demo's, which the laboratory's file partly replaces
    code, out = run(monkeypatch, capsys, tmp_path, engine, "import-catalogue", _csv(tmp_path, GOOD))
    assert code == 0, out.err
    assert "Imported 5 tests: 4 new, 1 changed, 0 unchanged." in out.out
    assert "kept" in out.out  # the tests not in the file stay as they were
    tests = _catalogue(session)
    assert tests["FBC"] == ("Full blood count", "EDTA (lavender)", "edta", False, True, True)
    assert tests["CRP"] == ("C-reactive protein", "Serum gel (gold)", "serum_gel", False, True, True)
    assert tests["XM"][3:5] == (True, False) and tests["COAG"][2] == "citrate"
    assert "GS" in tests  # from the demo catalogue, not in the file: kept
    # The tubes for a request use the laboratory's words, in order of draw, XM by hand.
    plan = plan_tubes(specs_for(session=session, codes=["FBC", "CRP", "ESR", "XM", "COAG"]))
    assert [(t.container, t.tests) for t in plan.tubes] == [
        ("Sodium citrate (light blue)", ("COAG",)), ("Serum gel (gold)", ("CRP",)),
        ("EDTA (lavender)", ("FBC",)), ("EDTA (lavender)", ("ESR",))]
    assert plan.hand_label == ("Crossmatch",)
    # Audited as whoever ran the command: each test added or changed (before and after), then the
    # import.
    rows = _audit(session)
    assert all(r.username.endswith("(phlebo import-catalogue)") and r.staff_user_id is None for r in rows)
    assert [(r.action, r.detail.split(":")[0]) for r in rows] == [
        ("test_change", "FBC (from a file)"), ("test_add", "CRP (from a file)"), ("test_add", "ESR (from a file)"),
        ("test_add", "XM (from a file)"), ("test_add", "COAG (from a file)"),
        ("catalogue_import", "5 tests")]
    assert rows[0].detail == 'FBC (from a file): tube "EDTA" to "EDTA (lavender)"'
    assert rows[-1].detail == "5 tests: 4 new, 1 changed, 0 unchanged"
    # The same file again changes nothing (and says so once).
    code, out = run(monkeypatch, capsys, tmp_path, engine, "import-catalogue", _csv(tmp_path, GOOD))
    assert code == 0 and "Imported 5 tests: 0 new, 0 changed, 5 unchanged." in out.out
    assert [(r.action, r.detail) for r in _audit(session)[len(rows):]] == [
        ("catalogue_import", "5 tests: 0 new, 0 changed, 5 unchanged")]


def test_every_bad_line_is_named_and_nothing_is_imported(monkeypatch, capsys, tmp_path, engine, session):
    seed_catalogue(session=session)
    before = _catalogue(session)
    bad = GOOD + "\n".join([
        "FB C,Spaces in the code,EDTA,EDTA,no,yes",
        "U&E,,EDTA,EDTA,no,yes",
        "LFT,Liver function,Serum gel,purple top,no,yes",
        "TSH,Thyroid,Serum gel,serum_gel,perhaps,yes",
        "CRP,C-reactive protein again,Serum gel,serum_gel,no,yes",
        "GLU,Glucose,Fluoride oxalate,fluoride_oxalate,no",
        "HBA1C,HbA1c,EDTA,EDTA,no,yes,extra",
        "VITD,Vitamin D," + "x" * 41 + ",serum_gel,no,yes",
    ]) + "\n"
    code, out = run(monkeypatch, capsys, tmp_path, engine, "import-catalogue", _csv(tmp_path, bad))
    assert code == 2
    lines = out.err.splitlines()
    assert lines[0] == "Nothing was imported: 8 lines of the file have problems."
    expected = [
        "Line 7 (FB C): code: a code is up to 12 letters or numbers, with no spaces",
        "Line 8 (U&E): code: a code is up to 12 letters or numbers, with no spaces; "
        "name: give the test's name (up to 80 characters)",
        "Line 9 (LFT): draw stage: 'purple top' is not one of: blood_culture, citrate, serum_plain, "
        "serum_gel, heparin, edta, fluoride_oxalate (or their names, like Serum gel)",
        "Line 10 (TSH): transfusion: 'perhaps' is not yes or no",
        "Line 11 (CRP): code: CRP is also on line 3",
        "Line 12 (GLU): has 5 values; each line needs 6 (code, name, container, draw stage, "
        "transfusion, shares tube)",
        "Line 13 (HBA1C): has 7 values; each line needs 6 (code, name, container, draw stage, "
        "transfusion, shares tube)",
        "Line 14 (VITD): container: give the tube type or additive as text (up to 40 characters)",
    ]
    assert lines[1:] == ["  " + e for e in expected], lines
    assert _catalogue(session) == before
    assert _audit(session) == []  # refused: nothing recorded


def test_a_file_that_is_not_the_catalogue_is_refused(monkeypatch, capsys, tmp_path, engine, session):
    for text, message in (
        ("", "The file is empty"),
        ("code,name,tube\nFBC,Full blood count,EDTA\n",
         "Line 1: the columns must be code, name, container, draw stage, transfusion, shares tube "
         "(missing: container, draw stage, transfusion, shares tube; not known: tube)"),
        ("code,name,container,draw stage,transfusion,shares tube\n", "The file has no tests"),
    ):
        code, out = run(monkeypatch, capsys, tmp_path, engine, "import-catalogue", _csv(tmp_path, text))
        assert code == 2 and message in out.err, (text, out.err)
    latin = GOOD.replace("Full blood count", "Hämatologie")
    code, out = run(monkeypatch, capsys, tmp_path, engine, "import-catalogue", _csv(tmp_path, latin, encoding="cp1252"))
    assert code == 2 and "not UTF-8 text" in out.err
    code, out = run(monkeypatch, capsys, tmp_path, engine, "import-catalogue", str(tmp_path / "missing.csv"))
    assert code == 2 and "cannot be read" in out.err
    assert _catalogue(session) == {}


def test_a_spreadsheet_export_with_a_byte_order_mark_and_windows_line_ends(monkeypatch, capsys, tmp_path, engine,
                                                                          session):
    excel = "\ufeff" + GOOD.replace("\n", "\r\n")
    code, out = run(monkeypatch, capsys, tmp_path, engine, "import-catalogue", _csv(tmp_path, excel))
    assert code == 0, out.err
    assert set(_catalogue(session)) == {"FBC", "CRP", "ESR", "XM", "COAG"}
