"""Hook for part 3 (kiosk check-in rush) and the kiosk half of part 4 (kiosk memory): waiting for
kiosk_app to be finished. When it is, fill in run_kiosk() and it appears in the table and files.

Plan: start gunicorn as bench.rush does, seed a clinic day with booked appointments, then run N
kiosk processes (kiosk_app's bootstrap, QT_QPA_PLATFORM=offscreen, sim:// printer from hardware_sim)
that check in by reference; record check-ins/s, p50/p95/p99 and the kiosk's VmHWM (/proc/<pid>/status)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def run_kiosk(*, quick: bool, workdir: Path, server_url: str | None) -> dict[str, Any]:
    """Not measured yet: the kiosk is not finished."""
    return {
        "status": "pending",
        "why": "kiosk_app is not finished; parts 3 and the kiosk half of 4 wait for it",
    }
