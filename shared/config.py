"""Settings from PHLEBO_* environment variables, with defaults that run the demo."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Everything configurable, read once at start-up (never at import time)."""

    database_url: str
    instance_dir: Path
    secret_key: str
    environment: str = "development"
    booking_horizon_days: int = 42
    min_notice_minutes: int = 120
    max_active_bookings: int = 3
    lookup_limit_per_minute: int = 10
    booking_limit_per_hour: int = 20
    checkin_early_minutes: int = 60
    checkin_late_minutes: int = 15
    reprint_cap: int = 2
    identity_labels: int = 2
    server_url: str = "http://127.0.0.1:5000"
    kiosk_key: str = ""
    printer_uri: str = ""
    notify_api_key: str = ""
    outbox_dir: Path = field(default_factory=lambda: Path("instance/outbox"))
    timezone: str = "Europe/London"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from the environment (PHLEBO_ prefix); keyword overrides win."""
        env = dict(os.environ if env is None else env)
        instance = Path(env.get("PHLEBO_INSTANCE_DIR", "instance")).resolve()
        environment = env.get("PHLEBO_ENV", "development")
        secret = env.get("PHLEBO_SECRET_KEY", "")
        if not secret:
            if environment == "production":
                raise ValueError("PHLEBO_SECRET_KEY must be set in production")
            secret = _dev_secret(instance)
        values: dict[str, object] = dict(
            database_url=env.get("PHLEBO_DATABASE_URL") or f"sqlite:///{instance / 'phlebo.db'}",
            instance_dir=instance,
            secret_key=secret,
            environment=environment,
            booking_horizon_days=_int(env, "PHLEBO_BOOKING_HORIZON_DAYS", 42),
            min_notice_minutes=_int(env, "PHLEBO_MIN_NOTICE_MINUTES", 120),
            max_active_bookings=_int(env, "PHLEBO_MAX_ACTIVE_BOOKINGS", 3),
            lookup_limit_per_minute=_int(env, "PHLEBO_LOOKUP_LIMIT_PER_MINUTE", 10),
            booking_limit_per_hour=_int(env, "PHLEBO_BOOKING_LIMIT_PER_HOUR", 20),
            checkin_early_minutes=_int(env, "PHLEBO_CHECKIN_EARLY_MINUTES", 60),
            checkin_late_minutes=_int(env, "PHLEBO_CHECKIN_LATE_MINUTES", 15),
            reprint_cap=_int(env, "PHLEBO_REPRINT_CAP", 2),
            identity_labels=_int(env, "PHLEBO_IDENTITY_LABELS", 2),
            server_url=env.get("PHLEBO_SERVER_URL", "http://127.0.0.1:5000"),
            kiosk_key=env.get("PHLEBO_KIOSK_KEY", ""),
            printer_uri=env.get("PHLEBO_PRINTER", ""),
            notify_api_key=env.get("PHLEBO_NOTIFY_API_KEY", ""),
            outbox_dir=Path(env.get("PHLEBO_OUTBOX_DIR", str(instance / "outbox"))),
        )
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def _dev_secret(instance: Path) -> str:
    """A per-instance random secret kept on disk, so development sessions survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()
