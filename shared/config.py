"""Settings from PHLEBO_* environment variables, with defaults that run the demo."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shared.locales import N_, SHIPPED


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from exc


def _mm(env: dict[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number of millimetres, not {raw!r}") from exc
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low:g} to {high:g} (millimetres), not {raw!r}")
    return value


def _flag(env: dict[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{name} must be yes or no (1/0, true/false), not {raw!r}")


_OFFSET = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_offsets(raw: str) -> tuple[dt.timedelta, ...]:
    """'48h,2h' (or '2d', '90m') as timedeltas, largest first."""
    offsets = []
    for part in raw.split(","):
        match = _OFFSET.match(part)
        if not match or int(match.group(1)) == 0:
            raise ValueError(f"PHLEBO_REMINDER_OFFSETS: {part.strip()!r} is not like 48h or 90m")
        offsets.append(dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}))
    return tuple(sorted(set(offsets), reverse=True))


def parse_specimen_range(raw: str) -> tuple[int, int]:
    """'700000000-799999999' as (first, last) 9-digit serials; '' is the whole range."""
    if not raw.strip():
        return (1, 999_999_999)
    match = re.fullmatch(r"\s*(\d{1,9})\s*-\s*(\d{1,9})\s*", raw)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise ValueError(f"PHLEBO_SPECIMEN_RANGE must be FIRST-LAST, 9-digit serials like "
                         f"700000000-799999999, not {raw!r}")
    return int(match.group(1)), int(match.group(2))


def _notify_templates(env: dict[str, str]) -> dict[str, str]:
    """PHLEBO_NOTIFY_TEMPLATE_<TEMPLATE>_<CHANNEL>=<uuid> as {'booked_sms': uuid, ...}."""
    prefix = "PHLEBO_NOTIFY_TEMPLATE_"
    return {k[len(prefix):].lower(): v for k, v in env.items() if k.startswith(prefix) and v}


def _in_each_language(env: dict[str, str], prefix: str) -> dict[str, str]:
    """<PREFIX><LANG>=text for each shipped language (PHLEBO_BOOKING_PHONE_HOURS_CY) as {'cy': text}."""
    return {code: env[prefix + code.upper()].strip() for code in SHIPPED
            if env.get(prefix + code.upper(), "").strip()}


# The demo's booking line: an Ofcom drama number (01632 960000-960999), never a real line.
DEMO_BOOKING_PHONE = "01632 960 000"
DEMO_BOOKING_PHONE_HOURS = N_("Monday to Friday, 8am to 6pm")  # translated where shown


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
    print_timeout_seconds: int = 3  # the print worker: a printer's short status timeout
    print_retry_seconds: int = 2  # the print worker: how soon a held job is tried again
    # A kiosk print job with no report after this long is shown to staff label by label.
    print_report_timeout_seconds: int = 60
    public_url: str = "http://127.0.0.1:5000"  # the address patients use: every link they are sent
    booking_phone: str = DEMO_BOOKING_PHONE  # the number patients call to book or get help
    booking_phone_hours: str = DEMO_BOOKING_PHONE_HOURS  # when that line is answered
    # The hours in each patient language, as the service writes them ('cy': ...): without one, the
    # catalogue's translation of the English hours, else the English hours (marked as English).
    booking_phone_hours_in: dict[str, str] = field(default_factory=dict)
    notify_api_key: str = ""
    outbox_dir: Path = field(default_factory=lambda: Path("instance/outbox"))
    proxy_hops: int = 0
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    notify_templates: dict[str, str] = field(default_factory=dict)  # 'booked_sms': template id
    reminder_offsets: tuple[dt.timedelta, ...] = (dt.timedelta(hours=48), dt.timedelta(hours=2))
    outbox_max_attempts: int = 8
    outbox_retry_seconds: int = 60  # first retry; doubles each attempt (capped at 6 hours)
    outbox_lease_seconds: int = 30  # a sender's hold on the messages it is sending, renewed as it goes
    scheduler_interval_seconds: int = 60
    waitlist_offer_minutes: int = 120
    waitlist_offer_fanout: int = 1  # open offers per free chair (1: first come, first offered)
    label_width_mm: float = 50.0  # the label stock the printers hold
    label_height_mm: float = 25.0
    metrics_token: str = ""  # bearer token for /metrics; empty: only from this machine
    expect_scheduler: bool = False  # /readyz then needs a recent scheduler heartbeat
    outbox_stuck_minutes: int = 15  # /readyz: a message due this long and not tried is stuck
    # NHS login (OpenID Connect): off unless all three are set (check-config says which is missing).
    nhslogin_issuer: str = ""  # like https://auth.login.nhs.uk
    nhslogin_client_id: str = ""
    nhslogin_private_key_file: Path | None = None  # our RSA key for private_key_jwt (PEM)
    # HL7 v2 over MLLP, host:port each: the laboratory (collections) and the requesters' order
    # comms (status); empty: those messages wait in the outbox marked failed with the reason.
    # The specimen numbers agreed with the laboratory: 9-digit serials FIRST..LAST (each printed
    # with its Damm check digit, 10 digits, Code 128 set C); the default is the whole range.
    specimen_range: tuple[int, int] = (1, 999_999_999)
    lims_mllp: str = ""
    order_status_mllp: str = ""
    hl7_timeout_seconds: float = 10.0

    @property
    def nhslogin_enabled(self) -> bool:
        """True when NHS login is set up: patients are offered 'Continue with NHS login'."""
        return bool(self.nhslogin_issuer and self.nhslogin_client_id
                    and self.nhslogin_private_key_file)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from the environment (PHLEBO_ prefix); keyword overrides win."""
        env = dict(os.environ if env is None else env)
        instance = Path(env.get("PHLEBO_INSTANCE_DIR", "instance")).resolve()
        environment = env.get("PHLEBO_ENV", "development")
        secret = str(overrides.get("secret_key") or env.get("PHLEBO_SECRET_KEY", ""))
        if not secret:
            if environment == "production":
                raise ValueError("PHLEBO_SECRET_KEY must be set in production")
            secret = _dev_secret(Path(str(overrides.get("instance_dir", instance))))
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
            print_report_timeout_seconds=max(
                1, _int(env, "PHLEBO_PRINT_REPORT_TIMEOUT_SECONDS", 60)),
            identity_labels=_int(env, "PHLEBO_IDENTITY_LABELS", 2),
            print_timeout_seconds=_int(env, "PHLEBO_PRINT_TIMEOUT_SECONDS", 3),
            print_retry_seconds=_int(env, "PHLEBO_PRINT_RETRY_SECONDS", 2),
            # Production has no default: check-config stops the site and scheduler without it.
            public_url=(env.get("PHLEBO_PUBLIC_URL", "").strip().rstrip("/")
                        or ("" if environment == "production" else "http://127.0.0.1:5000")),
            # Production has no demo number either: check-config wants the real one.
            booking_phone=(env.get("PHLEBO_BOOKING_PHONE", "").strip()
                           or ("" if environment == "production" else DEMO_BOOKING_PHONE)),
            booking_phone_hours=(env.get("PHLEBO_BOOKING_PHONE_HOURS", "").strip()
                                 or ("" if environment == "production" else DEMO_BOOKING_PHONE_HOURS)),
            booking_phone_hours_in=_in_each_language(env, "PHLEBO_BOOKING_PHONE_HOURS_"),
            notify_api_key=env.get("PHLEBO_NOTIFY_API_KEY", ""),
            proxy_hops=_int(env, "PHLEBO_PROXY_HOPS", 0),
            outbox_dir=Path(env.get("PHLEBO_OUTBOX_DIR", str(instance / "outbox"))),
            notify_base_url=env.get("PHLEBO_NOTIFY_BASE_URL") or "https://api.notifications.service.gov.uk",
            notify_templates=_notify_templates(env),
            reminder_offsets=parse_offsets(env.get("PHLEBO_REMINDER_OFFSETS") or "48h,2h"),
            outbox_max_attempts=_int(env, "PHLEBO_OUTBOX_MAX_ATTEMPTS", 8),
            outbox_retry_seconds=_int(env, "PHLEBO_OUTBOX_RETRY_SECONDS", 60),
            outbox_lease_seconds=_int(env, "PHLEBO_OUTBOX_LEASE_SECONDS", 30),
            scheduler_interval_seconds=_int(env, "PHLEBO_SCHEDULER_INTERVAL_SECONDS", 60),
            waitlist_offer_minutes=_int(env, "PHLEBO_WAITLIST_OFFER_MINUTES", 120),
            waitlist_offer_fanout=_int(env, "PHLEBO_WAITLIST_OFFER_FANOUT", 1),
            # The smallest stock the label layout fits (label_printer.layout.MIN_*_MM).
            label_width_mm=_mm(env, "PHLEBO_LABEL_WIDTH_MM", 50.0, 48, 120),
            label_height_mm=_mm(env, "PHLEBO_LABEL_HEIGHT_MM", 25.0, 24, 100),
            metrics_token=env.get("PHLEBO_METRICS_TOKEN", "").strip(),
            expect_scheduler=_flag(env, "PHLEBO_EXPECT_SCHEDULER"),
            outbox_stuck_minutes=_int(env, "PHLEBO_OUTBOX_STUCK_MINUTES", 15),
            nhslogin_issuer=env.get("PHLEBO_NHSLOGIN_ISSUER", "").strip(),
            nhslogin_client_id=env.get("PHLEBO_NHSLOGIN_CLIENT_ID", "").strip(),
            specimen_range=parse_specimen_range(env.get("PHLEBO_SPECIMEN_RANGE", "")),
            lims_mllp=env.get("PHLEBO_LIMS_MLLP", "").strip(),
            order_status_mllp=env.get("PHLEBO_ORDER_STATUS_MLLP", "").strip(),
            hl7_timeout_seconds=float(_int(env, "PHLEBO_HL7_TIMEOUT_SECONDS", 10)),
            nhslogin_private_key_file=(Path(key_file) if (
                key_file := env.get("PHLEBO_NHSLOGIN_PRIVATE_KEY_FILE", "").strip()) else None),
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


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a setting (`phlebo check-config`); a warning does not stop a start."""

    setting: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{'Warning' if self.warning else 'Problem'}: {self.setting} {self.message}"


# The label stock the layout fits, in millimetres (label_printer.layout.MIN_*_MM up to the
# widest label printers); read by Settings and the kiosk, checked by check-config.
LABEL_STOCK_MM: dict[str, tuple[float, float]] = {
    "PHLEBO_LABEL_WIDTH_MM": (48.0, 120.0),
    "PHLEBO_LABEL_HEIGHT_MM": (24.0, 100.0),
}


def number_problems(
    env: Mapping[str, str], ranges: Mapping[str, tuple[float, float]], *, unit: str = ""
) -> Iterator[ConfigProblem]:
    """Each setting of `ranges` that is set but is not a number from its low to its high."""
    of, suffix = (f" of {unit}", f" {unit}") if unit else ("", "")
    for name, (low, high) in ranges.items():
        raw = env.get(name, "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            yield ConfigProblem(name, f"must be a number{of}, not {raw!r}.")
            continue
        if not low <= value <= high:
            yield ConfigProblem(name, f"is {raw}{suffix}; it must be from {low:g} to "
                                f"{high:g}{suffix}.")
