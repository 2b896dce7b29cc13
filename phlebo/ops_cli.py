"""The operator's commands: `phlebo check-config`, `health`, `backup` and `restore`."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shared.config import ConfigProblem, Settings
from shared.timeutil import utcnow


def cmd_web(args: argparse.Namespace) -> int:
    """Become gunicorn serving the site with the shipped settings (phlebo.gunicorn_conf)."""
    if args.bind:
        os.environ["PHLEBO_BIND"] = args.bind
    if args.workers:
        os.environ["PHLEBO_WORKERS"] = str(args.workers)
    argv = [sys.executable, "-m", "gunicorn", "-c", "python:phlebo.gunicorn_conf",
            "booking_web:create_app()"]
    os.execv(sys.executable, argv)  # signals go straight to gunicorn (containers, systemd)


def cmd_check_config(args: argparse.Namespace) -> int:
    """Check every setting; print each problem in plain words. Exit 1 on any problem."""
    found: list[ConfigProblem] = []
    if args.kiosk:
        from kiosk_app.config_check import check_kiosk_settings

        if urlsplit(os.environ.get("PHLEBO_PRINTER", "")).scheme == "sim":
            import hardware_sim  # noqa: F401  (registers sim://, the demo's printer)
        found += check_kiosk_settings()
    else:
        from booking_web.config_check import check_server_settings

        found += check_server_settings()
    for problem in found:
        print(problem)
    problems = sum(not p.warning for p in found)
    warnings = len(found) - problems
    what = "kiosk" if args.kiosk else "site and scheduler"
    if problems:
        print(f"The {what} settings have {problems} problem(s) and {warnings} warning(s): "
              "fix the problems before starting.")
        return 1
    print(f"The {what} settings are good" + (f" ({warnings} warning(s))." if warnings else "."))
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when ready: GET a /readyz URL, or run the same checks on the database."""
    if args.url:
        try:
            with urllib.request.urlopen(args.url, timeout=args.timeout) as answer:  # noqa: S310
                print(answer.read().decode())
                return 0
        except urllib.error.HTTPError as exc:
            print(exc.read().decode() or exc)
        except (urllib.error.URLError, OSError) as exc:
            print(f"{args.url} did not answer: {exc}")
        return 1
    from booking_web.services.readiness import check_readiness
    from shared.db import make_engine

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        checks = check_readiness(engine=engine, settings=settings, now=utcnow())
    finally:
        engine.dispose()
    body: dict[str, Any] = {"status": "ready" if all(c.ok for c in checks) else "not ready",
                            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}}
    print(json.dumps(body))
    return 0 if body["status"] == "ready" else 1


def cmd_backup(args: argparse.Namespace) -> int:
    """Copy the SQLite database to a new file while the site runs."""
    from phlebo.backup import BackupError, backup_sqlite

    try:
        snap = backup_sqlite(Settings.from_env().database_url, Path(args.file))
    except BackupError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    print(f"Backed up to {snap.path}: {snap.size / 1e6:.1f} MB, {snap.appointments} bookings, "
          f"schema {snap.schema}, integrity ok.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace the SQLite database with a backup (the site and scheduler stopped)."""
    from phlebo.backup import BackupError, restore_sqlite

    if not args.yes:
        print("A restore takes the database back to the backup's time. Stop the site and the "
              "scheduler, then run again with --yes.", file=sys.stderr)
        return 2
    try:
        snap, kept = restore_sqlite(Settings.from_env().database_url, Path(args.file),
                                    now=utcnow())
    except BackupError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if kept:
        print(f"The database as it was is kept in {kept}.")
    print(f"Restored {snap.appointments} bookings (schema {snap.schema}) into {snap.path}. "
          "Run `phlebo init-db` if this release is newer than the backup, then start the site.")
    return 0


def add_commands(sub: Any) -> None:
    """Add the operator's subcommands to the `phlebo` parser."""
    p = sub.add_parser("web", help="run the site with gunicorn (production)")
    p.add_argument("--bind", help="address:port (PHLEBO_BIND, default 127.0.0.1:8000)")
    p.add_argument("--workers", type=int, help="sync workers (PHLEBO_WORKERS, default cores + 1)")
    p.set_defaults(func=lambda args, _settings: cmd_web(args), needs_settings=False)
    p = sub.add_parser("check-config", help="check every setting and say what is wrong")
    p.add_argument("--kiosk", action="store_true", help="check a kiosk machine's settings")
    p.set_defaults(func=lambda args, _settings: cmd_check_config(args), needs_settings=False)
    p = sub.add_parser("health", help="exit 0 when the site is ready (for container health checks)")
    p.add_argument("--url", help="a /readyz address to ask; without it, check the database here")
    p.add_argument("--timeout", type=float, default=5.0)
    p.set_defaults(func=lambda args, _settings: cmd_health(args), needs_settings=False)
    p = sub.add_parser("backup", help="copy the SQLite database to FILE while the site runs")
    p.add_argument("file")
    p.set_defaults(func=lambda args, _settings: cmd_backup(args), needs_settings=False)
    p = sub.add_parser("restore", help="replace the SQLite database with the backup in FILE")
    p.add_argument("file")
    p.add_argument("--yes", action="store_true", help="yes, the site and scheduler are stopped")
    p.set_defaults(func=lambda args, _settings: cmd_restore(args), needs_settings=False)
