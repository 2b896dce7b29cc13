"""What the figures were measured on: CPU, memory, OS, versions, load."""

from __future__ import annotations

import datetime as dt
import os
import platform
import sqlite3
from importlib import metadata

from sqlalchemy import create_engine, text

PACKAGES = (
    "flask",
    "gunicorn",
    "sqlalchemy",
    "sqlmodel",
    "psycopg",
    "httpx",
    "alembic",
    "py-spy",
    "pyinstrument",
)


def load_average() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _os_name() -> str:
    try:
        with open("/etc/os-release") as fh:
            fields = dict(line.rstrip("\n").split("=", 1) for line in fh if "=" in line)
        return f"{fields.get('PRETTY_NAME', '').strip(chr(34))} (kernel {platform.release()})"
    except OSError:
        return platform.platform()


def _versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "-"
    return found


def postgres_version(server_url: str | None) -> str:
    """The server's version string, or '-' without a server."""
    if not server_url:
        return "-"
    engine = create_engine(server_url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


def describe(server_url: str | None) -> dict[str, object]:
    """The machine and software the run used."""
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": _os_name(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version(server_url),
        "packages": _versions(),
    }
