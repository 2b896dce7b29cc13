"""Profiles for when a target is missed: py-spy on the gunicorn workers, pyinstrument in-process."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

_LINE_NO = re.compile(r":\d+\)$")


def py_spy_path() -> str | None:
    """The py-spy executable beside this Python, or on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start_py_spy(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """Sample pid and its child processes for `seconds` into a collapsed-stack file; None without py-spy."""
    exe = py_spy_path()
    if exe is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--duration",
            str(max(1, int(seconds))),
            "--rate",
            "200",
            "--format",
            "raw",
            "--nonblocking",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _frame(raw: str) -> str:
    """'book_appointment (booking_web/services/booking.py:180)' -> without the line number and venv prefix."""
    raw = _LINE_NO.sub(")", raw.strip())
    return re.sub(r"\(.*?site-packages/", "(", raw)


def summarize(path: Path, *, top: int = 25) -> dict[str, list[tuple[str, float]]]:
    """Inclusive and self shares (% of samples) of the busiest functions in a py-spy raw file."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    if not path.exists():
        return {"inclusive": [], "self": []}
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [
            _frame(f)
            for f in stack.split(";")
            if "(" in f and not f.startswith(("process ", "thread "))
        ]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(top)]

    return {"samples": [("total", float(total))], "inclusive": share(inclusive), "self": share(own)}
