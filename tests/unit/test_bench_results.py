"""`python -m bench --only PART` keeps the other parts' last figures in results.json and
RESULTS.md instead of writing "not run" over them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import report


def _run(*, quick: bool, date: str, **parts: Any) -> dict[str, Any]:
    return {"quick": quick, "machine": {"date": date, "cpu": "Test CPU"}, "load_before": 1.5,
            "load_after": 2.5, "seconds": 30.0, "kiosk": {"status": "not run"},
            "chair": {"status": "not run"}, **parts}


def test_a_single_part_replaces_only_its_own_figures(tmp_path: Path):
    last = _run(quick=False, date="2026-11-23", rush=[{"database": "sqlite", "n": 1}],
                search=[{"database": "sqlite", "n": 2}], kiosk={"status": "measured", "n": 3})
    (tmp_path / "results.json").write_text(json.dumps(last))
    now = _run(quick=False, date="2026-11-26", reports=[{"database": "sqlite", "n": 4}])
    merged = report.merged_with_last(now, "reports", out_dir=tmp_path)
    assert merged["rush"] == last["rush"] and merged["search"] == last["search"]
    assert merged["kiosk"] == {"status": "measured", "n": 3}  # not the "not run" of this run
    assert merged["reports"] == [{"database": "sqlite", "n": 4}]
    assert merged["machine"]["date"] == "2026-11-23"  # the full run's header stays
    assert merged["runs"]["reports (sqlite)"]["date"] == "2026-11-26"
    again = report.merged_with_last(_run(quick=False, date="2026-11-27", hl7=[{"n": 5}]), "hl7",
                                    out_dir=_written(tmp_path, merged))
    assert set(again["runs"]) == {"reports (sqlite)", "hl7"} and again["reports"] == merged["reports"]


def test_a_part_run_on_one_database_keeps_the_other_databases_figures(tmp_path: Path):
    last = _run(quick=False, date="d", reports=[{"database": "sqlite", "n": 1}, {"database": "postgresql", "n": 2}])
    (tmp_path / "results.json").write_text(json.dumps(last))
    now = _run(quick=False, date="e", reports=[{"database": "sqlite", "n": 3}])
    merged = report.merged_with_last(now, "reports", out_dir=tmp_path)
    assert merged["reports"] == [{"database": "postgresql", "n": 2}, {"database": "sqlite", "n": 3}]
    assert list(merged["runs"]) == ["reports (sqlite)"]  # when PostgreSQL's were measured is not known here


def test_a_quick_part_is_not_merged_into_full_figures(tmp_path: Path):
    (tmp_path / "results.json").write_text(json.dumps(_run(quick=False, date="d", rush=[{"n": 1}])))
    quick = _run(quick=True, date="e", reports=[{"n": 2}])
    assert report.merged_with_last(quick, "reports", out_dir=tmp_path) == quick


def _written(folder: Path, results: dict[str, Any]) -> Path:
    (folder / "results.json").write_text(json.dumps(results))
    return folder
