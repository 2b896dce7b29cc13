"""Who may import whom (STYLE.md), checked by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = {"shared", "booking_web", "kiosk_app", "label_printer", "hardware_sim", "phlebo", "bench", "tests"}

# package -> packages of ours it must never import
FORBIDDEN = {
    "shared": OURS - {"shared"},
    "label_printer": OURS - {"shared", "label_printer"},
    "kiosk_app": {"booking_web", "hardware_sim", "phlebo", "bench", "tests"},
    "booking_web": {"kiosk_app", "hardware_sim", "phlebo", "bench", "tests"},
    "hardware_sim": {"booking_web", "kiosk_app", "phlebo", "bench", "tests"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_respect_the_layers(package):
    assert modules(package), f"{package} has no modules"
    bad = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(package)
        for name in imports_of(path)
        if name.split(".")[0] in FORBIDDEN[package]
    ]
    assert bad == []


def test_kiosk_never_opens_a_database_and_only_api_client_speaks_http():
    bad = []
    for path in modules("kiosk_app"):
        for name in imports_of(path):
            top = name.split(".")[0]
            if top in {"sqlmodel", "sqlalchemy", "psycopg", "sqlite3"}:
                bad.append(f"{path.name} imports {name}")
            if top in {"httpx", "requests", "urllib3", "http"} and path.name != "api_client.py":
                bad.append(f"{path.name} imports {name}")
    assert bad == []


def test_label_printer_has_no_flask_qt_or_database():
    bad = [f"{p.name}: {n}" for p in modules("label_printer") for n in imports_of(p)
           if n.split(".")[0] in {"flask", "PySide6", "sqlmodel", "sqlalchemy"}]
    assert bad == []


def test_the_print_loop_knows_no_printer_language_and_no_transport():
    """backends/job.py drives any Language over any Transport: it imports neither ESC/POS (nor
    python-escpos) nor a concrete transport."""
    job = ROOT / "label_printer" / "backends" / "job.py"
    bad = [name for name in imports_of(job)
           if "escpos" in name or name.startswith("label_printer.backends.")
           or name == "label_printer.languages"]
    assert bad == []
    assert "label_printer.languages.base" in imports_of(job)


def test_only_the_print_worker_sends_to_printers_from_the_server():
    # A web request never waits for a printer (issue 14): chair labels and staff reprints are
    # queued, and only the print queue (run by `phlebo print-worker`) talks to a printer.
    allowed = ROOT / "booking_web" / "services" / "print_queue.py"
    bad = []
    for path in modules("booking_web"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"print_labels", "check_status", "status"}
                    and path != allowed):
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}()")
    assert bad == []
