"""`phlebo check-config` on good and broken settings, and the site and scheduler refusing to
start on a problem (each run as the real command, in a process of its own)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from booking_web.config_check import check_server_settings
from booking_web.notify.texts import TEMPLATES
from kiosk_app.config_check import check_kiosk_settings

NOTIFY_KEY = ("phlebo_live-7b8a5c2e-1f0d-4c3b-9a8e-2d6f1e0c9b7a-"
              "3c9d2e1f-8a7b-4c6d-9e0f-1a2b3c4d5e6f")
PAIRS = [(t.upper(), c) for t in TEMPLATES for c in ("SMS", "EMAIL")]
TEMPLATE_IDS = {f"PHLEBO_NOTIFY_TEMPLATE_{t}_{c}": f"f33517ff-2a88-4f6e-b855-c550268ce0{n:02d}"
                for n, (t, c) in enumerate(PAIRS)}


def production(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A complete, good production configuration."""
    return {
        "PHLEBO_ENV": "production",
        "PHLEBO_SECRET_KEY": "kX9f2Qm7Zr4Lw8Vt1Yb6Nc3Hd5Js0Pa_Ge-Uo",
        "PHLEBO_DATABASE_URL": "postgresql+psycopg://phlebo@db.internal/phlebo",
        "PHLEBO_INSTANCE_DIR": str(tmp_path / "instance"),
        "PHLEBO_SERVER_URL": "https://phlebo.example.nhs.uk",
        "PHLEBO_PUBLIC_URL": "https://bloodtests.example.nhs.uk",
        "PHLEBO_BOOKING_PHONE": "01632 960 000",
        "PHLEBO_BOOKING_PHONE_HOURS": "Monday to Friday, 8am to 6pm",
        "PHLEBO_NOTIFY_API_KEY": NOTIFY_KEY,
        **TEMPLATE_IDS,
        "PHLEBO_REMINDER_OFFSETS": "48h,2h",
        "PHLEBO_METRICS_TOKEN": "m3trics-t0ken-0123456789",
        "PHLEBO_EXPECT_SCHEDULER": "yes",
        "PHLEBO_LOG_FORMAT": "json",
        **extra,
    }


def phlebo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `phlebo` command with exactly these settings (and a PATH)."""
    return subprocess.run(
        [sys.executable, "-m", "phlebo", *args], capture_output=True, text=True, timeout=120,
        env={"PATH": os.environ["PATH"], "PHLEBO_LOG_FORMAT": "text", **env},
    )


def test_good_production_settings_pass(tmp_path):
    assert check_server_settings(production(tmp_path)) == []
    result = phlebo(production(tmp_path), "check-config")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "The site and scheduler settings are good."


def test_the_demo_defaults_pass_with_no_settings_at_all(tmp_path):
    assert check_server_settings({"PHLEBO_INSTANCE_DIR": str(tmp_path)}) == []


def test_every_broken_setting_is_named_in_plain_words(tmp_path):
    env = production(
        tmp_path,
        PHLEBO_SECRET_KEY="short",
        PHLEBO_DATABASE_URL="postgresql://phlebo@db/phlebo",
        PHLEBO_BOOKING_HORIZON_DAYS="six weeks",
        PHLEBO_MAX_ACTIVE_BOOKINGS="0",
        PHLEBO_SERVER_URL="http://phlebo.example.nhs.uk",
        PHLEBO_NOTIFY_BASE_URL="ftp://notify",
        PHLEBO_NOTIFY_API_KEY="not-a-key",
        PHLEBO_NOTIFY_TEMPLATE_BOOKED_SMS="template-1",
        PHLEBO_NOTIFY_TEMPLATE_BOOKED_PIGEON="f33517ff-2a88-4f6e-b855-c550268ce08a",
        PHLEBO_NOTIFY_TEMPLATE_REMINDER_EMAIL="",
        PHLEBO_REMINDER_OFFSETS="48h,soon",
        PHLEBO_EXPECT_SCHEDULER="perhaps",
        PHLEBO_LOG_FORMAT="xml",
        PHLEBO_METRICS_TOKEN="abc",
        PHLEBO_POSTCODE_FILE=str(tmp_path / "missing.csv"),
        PHLEBO_BOOKNG_HORIZON_DAYS="42",
        PHLEBO_LABEL_WIDTH_MM="2 inches",
        PHLEBO_LABEL_HEIGHT_MM="12",
    )
    result = phlebo(env, "check-config")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    expected = [
        "Problem: PHLEBO_SECRET_KEY is 5 characters long; use at least 32 random characters",
        "Problem: PHLEBO_DATABASE_URL names the psycopg2 driver, which Phlebo does not ship; "
        "start it with postgresql+psycopg://.",
        "Problem: PHLEBO_BOOKING_HORIZON_DAYS must be a whole number, not 'six weeks'.",
        "Problem: PHLEBO_MAX_ACTIVE_BOOKINGS is 0; it must be from 1 to 50.",
        "Problem: PHLEBO_LABEL_WIDTH_MM must be a number of mm, not '2 inches'.",
        "Problem: PHLEBO_LABEL_HEIGHT_MM is 12 mm; it must be from 24 to 100 mm.",
        "Problem: PHLEBO_EXPECT_SCHEDULER must be yes or no (1/0, true/false), not 'perhaps'.",
        "Problem: PHLEBO_SERVER_URL is 'http://phlebo.example.nhs.uk': use https://",
        "Problem: PHLEBO_NOTIFY_BASE_URL is 'ftp://notify', not a web address",
        "Problem: PHLEBO_NOTIFY_API_KEY is not a GOV.UK Notify API key",
        "Problem: PHLEBO_NOTIFY_TEMPLATE_BOOKED_PIGEON is not a template Phlebo sends.",
        "Problem: PHLEBO_NOTIFY_TEMPLATE_BOOKED_SMS is 'template-1'; a Notify template id is a",
        "Problem: PHLEBO_NOTIFY_TEMPLATE_REMINDER_EMAIL is not set, so that message cannot be sent",
        "Problem: PHLEBO_REMINDER_OFFSETS 'soon' is not like 48h or 90m",
        f"Problem: PHLEBO_POSTCODE_FILE {tmp_path / 'missing.csv'} cannot be read.",
        "Problem: PHLEBO_METRICS_TOKEN is 3 characters; use at least 16 random characters.",
        "Problem: PHLEBO_LOG_FORMAT is 'xml'; use auto (JSON unless a terminal), json or text.",
        "Warning: PHLEBO_BOOKNG_HORIZON_DAYS is not a setting Phlebo reads (a typo?)",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in lines), (start, lines)
    assert len(lines) == len(expected) + 1  # nothing else, and the summary line
    assert lines[-1] == ("The site and scheduler settings have 17 problem(s) and 1 warning(s): "
                         "fix the problems before starting.")


def test_time_zone_data_is_required(tmp_path, monkeypatch):
    from zoneinfo import ZoneInfoNotFoundError

    import booking_web.config_check as check

    def missing(_name: str) -> None:
        raise ZoneInfoNotFoundError("No time zone found with key Europe/London")

    monkeypatch.setattr(check, "ZoneInfo", missing)
    found = check.check_server_settings({"PHLEBO_INSTANCE_DIR": str(tmp_path)})
    assert [str(p) for p in found] == [
        "Problem: time zone Europe/London is not known on this machine, so clinic times cannot "
        "be shown. Install the time zone data (Debian: tzdata; or the tzdata Python package)."]


def test_an_instance_folder_that_cannot_be_made_and_an_in_memory_database(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")  # (tests run as root, who may write anywhere else)
    found = check_server_settings({"PHLEBO_INSTANCE_DIR": str(blocker / "instance"),
                                   "PHLEBO_DATABASE_URL": "sqlite://"})
    assert [str(p) for p in found] == [
        "Problem: PHLEBO_DATABASE_URL is an in-memory SQLite database: everything would be lost "
        "at every restart. Give a file path.",
        f"Problem: PHLEBO_INSTANCE_DIR is {blocker / 'instance'}, which cannot be created or "
        "written to by this user.",
        f"Problem: PHLEBO_OUTBOX_DIR is {blocker / 'instance' / 'outbox'}, which cannot be "
        "created or written to by this user.",
    ]


def test_the_scheduler_and_the_site_refuse_to_start_on_a_problem(tmp_path):
    env = {"PHLEBO_INSTANCE_DIR": str(tmp_path), "PHLEBO_OUTBOX_MAX_ATTEMPTS": "lots",
           "PHLEBO_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    scheduler = phlebo(env, "scheduler", "--once")
    assert scheduler.returncode == 2
    assert ("PHLEBO_OUTBOX_MAX_ATTEMPTS must be a whole number, not 'lots'."
            in scheduler.stderr), scheduler.stderr
    site = phlebo(env, "serve", "--port", "1")
    assert site.returncode == 2 and "PHLEBO_OUTBOX_MAX_ATTEMPTS" in site.stderr
    from booking_web import create_app
    from booking_web.config_check import ConfigError

    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        with pytest.raises(ConfigError, match="PHLEBO_OUTBOX_MAX_ATTEMPTS"):
            create_app()  # as gunicorn builds it


def test_kiosk_settings(tmp_path):
    good = {"PHLEBO_SERVER_URL": "https://phlebo.example.nhs.uk", "PHLEBO_KIOSK_KEY": "phk_x",
            "PHLEBO_PRINTER": "tcp://10.20.30.40:9100", "PHLEBO_KIOSK_METRICS": "127.0.0.1:9101",
            "PHLEBO_KIOSK_OUTBOX": str(tmp_path / "reports.json")}
    assert check_kiosk_settings(good) == []
    broken = {**good, "PHLEBO_PRINTER": "lpt1", "PHLEBO_KIOSK_KEY": "",
              "PHLEBO_KIOSK_IDLE_SECONDS": "5", "PHLEBO_KIOSK_METRICS": "9101",
              "PHLEBO_LABEL_WIDTH_MM": "30",
              "PHLEBO_KIOSK_DEV": "1", "PHLEBO_SERVER_URL": "http://phlebo.example.nhs.uk"}
    assert [str(p) for p in check_kiosk_settings(broken)] == [
        "Warning: PHLEBO_SERVER_URL uses http:// to another machine: patients' details would "
        "cross the network unencrypted. Use https://.",
        "Problem: PHLEBO_KIOSK_KEY is not set: make one with `phlebo create-kiosk NAME --site ID` "
        "on the server.",
        "Problem: PHLEBO_PRINTER Unknown printer address 'lpt1': use one of file://, tcp://, "
        "usb://.",
        "Problem: PHLEBO_KIOSK_IDLE_SECONDS is 5; it must be from 15 to 600.",
        "Problem: PHLEBO_LABEL_WIDTH_MM is 30 mm; it must be from 48 to 120 mm.",
        "Warning: PHLEBO_KIOSK_DEV is on: the window can be closed by anyone. Never on a kiosk "
        "patients use.",
        "Problem: PHLEBO_KIOSK_METRICS must be host:port (e.g. 127.0.0.1:9101) or off, not '9101'.",
    ]
    result = phlebo(broken, "check-config", "--kiosk")
    assert result.returncode == 1 and "5 problem(s) and 2 warning(s)" in result.stdout
