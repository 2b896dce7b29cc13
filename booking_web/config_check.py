"""`phlebo check-config` for the site and the scheduler: every PHLEBO_ setting they read,
checked on its own, with what is wrong said in plain words. The site and the scheduler run it
at start and refuse to start on a problem (a warning is printed and they carry on)."""

from __future__ import annotations

import csv
import os
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from booking_web.notify.texts import TEMPLATES
from shared.config import LABEL_STOCK_MM, number_problems, parse_offsets
from shared.config import ConfigProblem as Problem
from shared.locales import SHIPPED, translations

CHANNELS = ("sms", "email")
LOG_FORMATS = ("auto", "json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FLAGS = ("", "0", "1", "false", "true", "no", "yes", "off", "on")
TEMPLATE_PREFIX = "PHLEBO_NOTIFY_TEMPLATE_"
HOURS_PREFIX = "PHLEBO_BOOKING_PHONE_HOURS_"  # + CY, PL, AR: the hours in each language
MIN_SECRET = 32

# Whole-number settings: (lowest, highest) allowed; None is no upper limit.
NUMBERS: dict[str, tuple[int, int | None]] = {
    "PHLEBO_BOOKING_HORIZON_DAYS": (1, 366),
    "PHLEBO_MIN_NOTICE_MINUTES": (0, 7 * 24 * 60),
    "PHLEBO_MAX_ACTIVE_BOOKINGS": (1, 50),
    "PHLEBO_LOOKUP_LIMIT_PER_MINUTE": (1, None),
    "PHLEBO_BOOKING_LIMIT_PER_HOUR": (1, None),
    "PHLEBO_CHECKIN_EARLY_MINUTES": (0, 24 * 60),
    "PHLEBO_CHECKIN_LATE_MINUTES": (0, 24 * 60),
    "PHLEBO_REPRINT_CAP": (0, 20),
    "PHLEBO_IDENTITY_LABELS": (0, 10),
    "PHLEBO_PROXY_HOPS": (0, 5),
    "PHLEBO_OUTBOX_MAX_ATTEMPTS": (1, 100),
    "PHLEBO_OUTBOX_RETRY_SECONDS": (1, 6 * 3600),
    "PHLEBO_OUTBOX_LEASE_SECONDS": (5, 3600),
    "PHLEBO_SCHEDULER_INTERVAL_SECONDS": (1, 3600),
    "PHLEBO_WAITLIST_OFFER_MINUTES": (1, 7 * 24 * 60),
    "PHLEBO_WAITLIST_OFFER_FANOUT": (1, 50),
    "PHLEBO_OUTBOX_STUCK_MINUTES": (1, 24 * 60),
    "PHLEBO_HL7_TIMEOUT_SECONDS": (1, 300),
}

# Read by other parts (the kiosk, tests, gunicorn): known, so not reported as typos here.
OTHER_KNOWN = {
    "PHLEBO_KIOSK_KEY", "PHLEBO_PRINTER", "PHLEBO_KIOSK_IDLE_SECONDS", "PHLEBO_KIOSK_DEV",
    "PHLEBO_KIOSK_SCAN_GAP_MS", "PHLEBO_KIOSK_SCAN_MIN_LENGTH", "PHLEBO_KIOSK_OUTBOX",
    "PHLEBO_KIOSK_METRICS", "PHLEBO_TEST_POSTGRES_URL", "PHLEBO_BIND", "PHLEBO_WORKERS",
    "PHLEBO_TEST_CLOCK", "PHLEBO_TEST_FAULT",  # tests/live_server.py
}


class ConfigError(Exception):
    """Settings with problems: the process must not start."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("the settings have problems:\n" + "\n".join(map(str, problems)))


Check = Callable[[Mapping[str, str]], Iterator[Problem]]


def check_server_settings(env: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem with the site's and scheduler's settings (an empty list: all good)."""
    env = dict(os.environ if env is None else env)
    found: list[Problem] = []
    for check in CHECKS:
        found.extend(check(env))
    return found


def require_good_settings(env: Mapping[str, str] | None = None) -> list[Problem]:
    """Raise ConfigError when any setting has a problem; else the warnings."""
    found = check_server_settings(env)
    problems = [p for p in found if not p.warning]
    if problems:
        raise ConfigError(problems)
    return found


def _production(env: Mapping[str, str]) -> bool:
    return env.get("PHLEBO_ENV", "development") == "production"


def _environment(env: Mapping[str, str]) -> Iterator[Problem]:
    value = env.get("PHLEBO_ENV", "development")
    if value not in ("development", "production"):
        yield Problem("PHLEBO_ENV", f"is {value!r}; use production (or development on a "
                      "developer's machine).")


def _secret(env: Mapping[str, str]) -> Iterator[Problem]:
    secret = env.get("PHLEBO_SECRET_KEY", "")
    if not secret:
        if _production(env):
            yield Problem("PHLEBO_SECRET_KEY", "is not set. In production it must be a long "
                          f"random secret (at least {MIN_SECRET} characters), the same on every "
                          "web worker and scheduler: it signs sessions and kiosk QR codes.")
        return
    if len(secret) < MIN_SECRET:
        yield Problem("PHLEBO_SECRET_KEY", f"is {len(secret)} characters long; use at least "
                      f"{MIN_SECRET} random characters (e.g. from `python3 -c 'import secrets; "
                      "print(secrets.token_urlsafe(48))'`).", warning=not _production(env))
    elif len(set(secret)) < 8:
        yield Problem("PHLEBO_SECRET_KEY", "repeats a few characters: it is not random.",
                      warning=not _production(env))


def _database(env: Mapping[str, str]) -> Iterator[Problem]:
    raw = env.get("PHLEBO_DATABASE_URL", "")
    if not raw:
        return  # the SQLite file in the instance folder
    try:
        url = make_url(raw)
    except ArgumentError:
        yield Problem("PHLEBO_DATABASE_URL", "is not a database address; use "
                      "postgresql+psycopg://user@host/dbname or sqlite:////path/to/phlebo.db.")
        return
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "postgresql":
        if driver != "psycopg":
            yield Problem("PHLEBO_DATABASE_URL", f"names the {driver} driver, which Phlebo does "
                          "not ship; start it with postgresql+psycopg://.")
        if not url.host and "host" not in url.query:
            yield Problem("PHLEBO_DATABASE_URL", "names no database server (host).")
        if not url.database:
            yield Problem("PHLEBO_DATABASE_URL", "names no database.")
    elif backend == "sqlite":
        if not url.database or url.database == ":memory:":
            yield Problem("PHLEBO_DATABASE_URL", "is an in-memory SQLite database: everything "
                          "would be lost at every restart. Give a file path.")
        elif not _writable_dir(folder := Path(url.database).parent):
            yield Problem("PHLEBO_DATABASE_URL", f"puts the database in {folder}, which cannot "
                          "be created or written to.")
    else:
        yield Problem("PHLEBO_DATABASE_URL", f"uses {backend}; Phlebo runs on PostgreSQL or "
                      "SQLite only.")


def _numbers(env: Mapping[str, str]) -> Iterator[Problem]:
    for name, (low, high) in NUMBERS.items():
        raw = env.get(name, "").strip()
        if raw == "":
            continue
        if not re.fullmatch(r"-?\d+", raw):
            yield Problem(name, f"must be a whole number, not {raw!r}.")
            continue
        value = int(raw)
        if value < low or (high is not None and value > high):
            limit = f"from {low} to {high}" if high is not None else f"{low} or more"
            yield Problem(name, f"is {value}; it must be {limit}.")


def _millimetres(env: Mapping[str, str]) -> Iterator[Problem]:
    yield from number_problems(env, LABEL_STOCK_MM, unit="mm")


def _flags(env: Mapping[str, str]) -> Iterator[Problem]:
    for name in ("PHLEBO_EXPECT_SCHEDULER",):
        raw = env.get(name, "").strip().lower()
        if raw not in FLAGS:
            yield Problem(name, f"must be yes or no (1/0, true/false), not {raw!r}.")


def _http_url(name: str, raw: str, *, https: bool) -> Iterator[Problem]:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        yield Problem(name, f"is {raw!r}, not a web address like https://host.example.nhs.uk.")
    elif https and parts.scheme != "https":
        yield Problem(name, f"is {raw!r}: use https:// (patients' links and data travel over it).")
    elif parts.query or parts.fragment:
        yield Problem(name, "must not have a query string or #fragment.")


def _public_url(env: Mapping[str, str]) -> Iterator[Problem]:
    public = env.get("PHLEBO_PUBLIC_URL", "").strip()
    if not public:
        if _production(env):
            yield Problem("PHLEBO_PUBLIC_URL", "is not set. In production it must be the address "
                          "patients use for this site, like https://bloodtests.example.nhs.uk: "
                          "every link in texts, emails, letters, calendar files and waiting-list "
                          "offers starts with it. Set it on every web server and scheduler.")
        return
    local = urlsplit(public).hostname in ("127.0.0.1", "localhost", "::1")
    yield from _http_url("PHLEBO_PUBLIC_URL", public, https=_production(env) and not local)


def _booking_phone(env: Mapping[str, str]) -> Iterator[Problem]:
    phone = env.get("PHLEBO_BOOKING_PHONE", "").strip()
    if not phone:
        if _production(env):
            yield Problem("PHLEBO_BOOKING_PHONE", "is not set. In production it must be the number "
                          "patients call to book or get help, like 0113 496 0000: the site tells "
                          "them to call it when it cannot help them.")
        return
    digits = re.sub(r"[\s()-]", "", phone)
    if not re.fullmatch(r"(?:0|\+44)\d{9,10}", digits):
        yield Problem("PHLEBO_BOOKING_PHONE", f"is {phone!r}, not a UK phone number like "
                      "0113 496 0000.")
    hours = env.get("PHLEBO_BOOKING_PHONE_HOURS", "").strip()
    if len(hours) > 100:
        yield Problem("PHLEBO_BOOKING_PHONE_HOURS", "is longer than 100 characters; say when the "
                      "line is open in a few words, like: Monday to Friday, 8am to 6pm.")
    elif not hours and _production(env):
        yield Problem("PHLEBO_BOOKING_PHONE_HOURS", "is not set: the site gives the booking line's "
                      "number without saying when it is open (like: Monday to Friday, 8am to 6pm).",
                      warning=True)
    yield from _hours_in_each_language(env, hours)


def _hours_in_each_language(env: Mapping[str, str], hours: str) -> Iterator[Problem]:
    """Hours the catalogues cannot translate reach Welsh, Polish and Arabic readers in English
    (marked as English) unless the service writes them in each language."""
    untranslated = []
    for code in SHIPPED:
        name = HOURS_PREFIX + code.upper()
        own = env.get(name, "").strip()
        if len(own) > 100:
            yield Problem(name, "is longer than 100 characters; say when the line is open in a "
                          "few words.")
        if hours and not own and translations(code).ugettext(hours) == hours:
            untranslated.append(name)
    if untranslated:
        yield Problem("PHLEBO_BOOKING_PHONE_HOURS", f"({hours!r}) has no translation, so patients "
                      "reading the site in another language see it in English; set "
                      f"{', '.join(untranslated)} to the hours in each language.", warning=True)


def _urls(env: Mapping[str, str]) -> Iterator[Problem]:
    server = env.get("PHLEBO_SERVER_URL", "")
    if server:
        local = urlsplit(server).hostname in ("127.0.0.1", "localhost", "::1")
        yield from _http_url("PHLEBO_SERVER_URL", server, https=_production(env) and not local)
    notify = env.get("PHLEBO_NOTIFY_BASE_URL", "")
    if notify:
        yield from _http_url("PHLEBO_NOTIFY_BASE_URL", notify, https=_production(env))


def _is_uuid(raw: str) -> bool:
    try:
        return str(uuid.UUID(raw)) == raw.lower()
    except ValueError:
        return False


def _notify(env: Mapping[str, str]) -> Iterator[Problem]:
    key = env.get("PHLEBO_NOTIFY_API_KEY", "").strip()
    if key and not (len(key) >= 74 and _is_uuid(key[-73:-37]) and _is_uuid(key[-36:])
                    and key[-37] == "-"):
        yield Problem("PHLEBO_NOTIFY_API_KEY", "is not a GOV.UK Notify API key (a key name, "
                      "then your service id and the secret, both UUIDs, joined by hyphens). "
                      "Copy it again from Notify's API integration page.")
    if not key and _production(env):
        yield Problem("PHLEBO_NOTIFY_API_KEY", "is not set: messages to patients are written to "
                      "files in the outbox folder, not sent.", warning=True)
    wanted = {f"{t.upper()}_{c.upper()}" for t in TEMPLATES for c in CHANNELS}
    given = {k[len(TEMPLATE_PREFIX):]: v for k, v in env.items() if k.startswith(TEMPLATE_PREFIX)}
    for suffix, value in sorted(given.items()):
        name = TEMPLATE_PREFIX + suffix
        if suffix not in wanted:
            yield Problem(name, "is not a template Phlebo sends. Templates: "
                          f"{', '.join(t.upper() for t in TEMPLATES)}; channels: SMS, EMAIL "
                          "(e.g. PHLEBO_NOTIFY_TEMPLATE_BOOKED_SMS).")
        elif value and not _is_uuid(value.strip()):
            yield Problem(name, f"is {value!r}; a Notify template id is a UUID like "
                          "f33517ff-2a88-4f6e-b855-c550268ce08a (the template's page shows it).")
    if key:
        for suffix in sorted(wanted - {k for k, v in given.items() if v}):
            yield Problem(TEMPLATE_PREFIX + suffix, "is not set, so that message cannot be sent "
                          "through Notify (it fails and shows on the outbox page).")


NHSLOGIN = (
    "PHLEBO_NHSLOGIN_ISSUER", "PHLEBO_NHSLOGIN_CLIENT_ID", "PHLEBO_NHSLOGIN_PRIVATE_KEY_FILE",
)
MIN_RSA_BITS = 2048


def _nhs_login(env: Mapping[str, str]) -> Iterator[Problem]:
    given = {name: env.get(name, "").strip() for name in NHSLOGIN}
    if not any(given.values()):
        return  # NHS login is off: patients book and manage without it
    for name in NHSLOGIN:
        if not given[name]:
            yield Problem(name, "is not set, but the other NHS login settings are: set all three "
                          f"({', '.join(NHSLOGIN)}) to offer NHS login, or none to turn it off.")
    issuer = given["PHLEBO_NHSLOGIN_ISSUER"]
    if issuer:
        local = urlsplit(issuer).hostname in ("127.0.0.1", "localhost", "::1")
        yield from _http_url("PHLEBO_NHSLOGIN_ISSUER", issuer, https=not local)
    client_id = given["PHLEBO_NHSLOGIN_CLIENT_ID"]
    if client_id and (len(client_id) > 200 or not client_id.isprintable() or " " in client_id):
        yield Problem("PHLEBO_NHSLOGIN_CLIENT_ID", "is not a client id (up to 200 characters, no "
                      "spaces): copy the one NHS login gave this service.")
    if given["PHLEBO_NHSLOGIN_PRIVATE_KEY_FILE"]:
        yield from _private_key_file(Path(given["PHLEBO_NHSLOGIN_PRIVATE_KEY_FILE"]))


def _private_key_file(path: Path) -> Iterator[Problem]:
    """The key that signs our private_key_jwt assertions: a readable RSA private key in PEM."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    name = "PHLEBO_NHSLOGIN_PRIVATE_KEY_FILE"
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Problem(name, f"is {path}, which cannot be read ({exc.strerror or exc}).")
        return
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        yield Problem(name, f"is {path}, which is not an unencrypted private key in PEM form "
                      "(-----BEGIN PRIVATE KEY-----). Make one with `openssl genpkey -algorithm "
                      "RSA -pkeyopt rsa_keygen_bits:4096 -out nhslogin.pem` and give NHS login "
                      "its public half.")
        return
    if not isinstance(key, RSAPrivateKey):
        yield Problem(name, f"is {path}, which holds a key that is not RSA; NHS login wants "
                      "RS512 signatures, made with an RSA key.")
    elif key.key_size < MIN_RSA_BITS:
        yield Problem(name, f"holds a {key.key_size}-bit RSA key; use at least {MIN_RSA_BITS} "
                      "bits (4096 is better).")
    if path.stat().st_mode & 0o077:
        yield Problem(name, f"is {path}, which other users of this machine can read: "
                      f"`chmod 600 {path}`.", warning=True)


def _reminders(env: Mapping[str, str]) -> Iterator[Problem]:
    raw = env.get("PHLEBO_REMINDER_OFFSETS", "")
    if raw:
        try:
            parse_offsets(raw)
        except ValueError as exc:
            yield Problem("PHLEBO_REMINDER_OFFSETS", str(exc).split(": ", 1)[-1]
                          + " (a comma-separated list such as 48h,2h; units d, h, m).")


def _folders(env: Mapping[str, str]) -> Iterator[Problem]:
    instance = Path(env.get("PHLEBO_INSTANCE_DIR", "instance"))
    for name, folder in (("PHLEBO_INSTANCE_DIR", instance),
                         ("PHLEBO_OUTBOX_DIR", Path(env.get("PHLEBO_OUTBOX_DIR", "")
                                                    or instance / "outbox"))):
        if not _writable_dir(folder):
            yield Problem(name, f"is {folder}, which cannot be created or written to by this "
                          "user.")
    postcodes = env.get("PHLEBO_POSTCODE_FILE", "")
    if postcodes:
        yield from _postcode_file(Path(postcodes))


def _postcode_file(path: Path) -> Iterator[Problem]:
    try:
        with path.open(newline="") as fh:
            for n, row in enumerate(csv.reader(fh), start=1):
                if not row or not row[0] or row[0].startswith("#"):
                    continue
                if len(row) < 3:
                    yield Problem("PHLEBO_POSTCODE_FILE", f"line {n} is not OUTWARD,lat,lon.")
                    return
                float(row[1]), float(row[2])
    except OSError:
        yield Problem("PHLEBO_POSTCODE_FILE", f"{path} cannot be read.")
    except ValueError:
        yield Problem("PHLEBO_POSTCODE_FILE", f"line {n} has a latitude or longitude that is "
                      "not a number.")


def _writable_dir(folder: Path) -> bool:
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            return False
        probe = probe.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)


def _time_zone(_env: Mapping[str, str]) -> Iterator[Problem]:
    try:
        ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:
        yield Problem("time zone", "Europe/London is not known on this machine, so clinic "
                      "times cannot be shown. Install the time zone data (Debian: tzdata; "
                      "or the tzdata Python package).")


def _observability(env: Mapping[str, str]) -> Iterator[Problem]:
    token = env.get("PHLEBO_METRICS_TOKEN", "").strip()
    if token and len(token) < 16:
        yield Problem("PHLEBO_METRICS_TOKEN", f"is {len(token)} characters; use at least 16 "
                      "random characters.")
    fmt = env.get("PHLEBO_LOG_FORMAT", "").strip().lower()
    if fmt and fmt not in LOG_FORMATS:
        yield Problem("PHLEBO_LOG_FORMAT", f"is {fmt!r}; use auto (JSON unless a terminal), "
                      "json or text.")
    level = env.get("PHLEBO_LOG_LEVEL", "").strip().upper()
    if level and level not in LOG_LEVELS:
        yield Problem("PHLEBO_LOG_LEVEL", f"is {level!r}; use {', '.join(LOG_LEVELS)}.")


MLLP_ENDPOINTS = ("PHLEBO_LIMS_MLLP", "PHLEBO_ORDER_STATUS_MLLP")


def _mllp(env: Mapping[str, str]) -> Iterator[Problem]:
    from booking_web.hl7.sender import parse_endpoint
    from shared.config import parse_specimen_range

    try:
        parse_specimen_range(env.get("PHLEBO_SPECIMEN_RANGE", ""))
    except ValueError as exc:
        yield Problem("PHLEBO_SPECIMEN_RANGE", str(exc).removeprefix("PHLEBO_SPECIMEN_RANGE ") + ".")

    for name in MLLP_ENDPOINTS:
        raw = env.get(name, "").strip()
        if raw and parse_endpoint(raw) is None:
            yield Problem(name, f"must be host:port (like lims.example.nhs.uk:2575), not {raw!r}.")


def _unknown(env: Mapping[str, str]) -> Iterator[Problem]:
    known = set(NUMBERS) | set(LABEL_STOCK_MM) | OTHER_KNOWN | {
        "PHLEBO_ENV", "PHLEBO_SECRET_KEY", "PHLEBO_DATABASE_URL", "PHLEBO_INSTANCE_DIR",
        "PHLEBO_SERVER_URL", "PHLEBO_PUBLIC_URL", "PHLEBO_BOOKING_PHONE",
        "PHLEBO_BOOKING_PHONE_HOURS", "PHLEBO_NOTIFY_API_KEY", "PHLEBO_NOTIFY_BASE_URL",
        "PHLEBO_OUTBOX_DIR", "PHLEBO_REMINDER_OFFSETS", "PHLEBO_POSTCODE_FILE",
        "PHLEBO_METRICS_TOKEN", "PHLEBO_EXPECT_SCHEDULER", "PHLEBO_LOG_FORMAT",
        "PHLEBO_LOG_LEVEL", *NHSLOGIN, *MLLP_ENDPOINTS, "PHLEBO_SPECIMEN_RANGE",
        *(HOURS_PREFIX + code.upper() for code in SHIPPED),
    }
    for name in sorted(env):
        if name.startswith("PHLEBO_") and name not in known and not name.startswith(
                TEMPLATE_PREFIX):
            yield Problem(name, "is not a setting Phlebo reads (a typo?); it is ignored.",
                          warning=True)


CHECKS: tuple[Check, ...] = (
    _environment, _secret, _database, _numbers, _millimetres, _flags, _public_url, _booking_phone,
    _urls, _notify, _nhs_login, _mllp,
    _reminders,
    _folders,
    _time_zone, _observability, _unknown,
)
