"""Kiosk settings from PHLEBO_* environment variables, built at bootstrap (never at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kiosk_app.metrics import parse_address


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    if raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, not {raw!r}") from exc
    if value <= 0:
        raise ValueError(f"{name} must be more than 0, not {raw!r}")
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class KioskConfig:
    """Everything the kiosk can be told; defaults run against the local demo server."""

    server_url: str = "http://127.0.0.1:5000"
    kiosk_key: str = ""
    printer_uri: str = ""
    idle_seconds: float = 45.0
    dev: bool = False  # windowed, closable; never on a patient-facing kiosk
    http_timeout: float = 5.0
    checkin_tries: int = 3
    printer_timeout: float = 3.0
    scan_max_gap_ms: float = 50.0  # wedge scanners type a key every few ms; people need 100+
    scan_min_length: int = 8
    outbox_path: Path = Path("instance/kiosk-print-reports.json")
    journal_path: Path = Path("instance/kiosk-print-journal.jsonl")
    label_width_mm: float = 50.0  # the label stock in the kiosk's printer
    label_height_mm: float = 25.0
    metrics_address: tuple[str, int] | None = ("127.0.0.1", 9101)  # the kiosk's /metrics

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> KioskConfig:
        """Read PHLEBO_SERVER_URL, PHLEBO_KIOSK_KEY, PHLEBO_PRINTER, PHLEBO_KIOSK_* ."""
        env = os.environ if env is None else env
        instance = Path(env.get("PHLEBO_INSTANCE_DIR", "instance"))
        values: dict[str, object] = dict(
            server_url=env.get("PHLEBO_SERVER_URL", "").strip() or cls.server_url,
            kiosk_key=env.get("PHLEBO_KIOSK_KEY", "").strip(),
            printer_uri=env.get("PHLEBO_PRINTER", "").strip(),
            idle_seconds=_number(env, "PHLEBO_KIOSK_IDLE_SECONDS", cls.idle_seconds),
            dev=_flag(env, "PHLEBO_KIOSK_DEV"),
            scan_max_gap_ms=_number(env, "PHLEBO_KIOSK_SCAN_GAP_MS", cls.scan_max_gap_ms),
            scan_min_length=int(_number(env, "PHLEBO_KIOSK_SCAN_MIN_LENGTH", cls.scan_min_length)),
            outbox_path=Path(env.get("PHLEBO_KIOSK_OUTBOX", "")
                             or instance / "kiosk-print-reports.json"),
            journal_path=Path(env.get("PHLEBO_KIOSK_JOURNAL", "")
                              or instance / "kiosk-print-journal.jsonl"),
            label_width_mm=_number(env, "PHLEBO_LABEL_WIDTH_MM", cls.label_width_mm),
            label_height_mm=_number(env, "PHLEBO_LABEL_HEIGHT_MM", cls.label_height_mm),
            metrics_address=parse_address(env.get("PHLEBO_KIOSK_METRICS", "127.0.0.1:9101")),
        )
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
