"""`phlebo backup` / `phlebo restore` for SQLite, through SQLite's online backup API: the copy is
one consistent snapshot even while the site and scheduler keep writing (WAL readers block no
writer), and a restore writes through SQLite too, so the live file's WAL stays coherent.
PostgreSQL is backed up with pg_dump (see the README)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why in plain words."""


@dataclass(frozen=True)
class Snapshot:
    """What a backup file holds."""

    path: Path
    size: int
    schema: str
    appointments: int


def sqlite_path(url: str) -> Path:
    """The database file of a SQLite URL; BackupError for PostgreSQL (use pg_dump)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError(
            "phlebo backup and restore are for SQLite. For PostgreSQL use pg_dump, e.g.\n"
            "  pg_dump --format=custom --file=phlebo-$(date +%F).dump 'postgresql://USER@HOST/DB'"
            "\nand pg_restore --clean --if-exists --dbname='postgresql://USER@HOST/DB' FILE "
            "(README: Backups).")
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("The database is in memory: there is nothing on disk to back up.")
    return Path(parsed.database)


def _connect(path: Path, *, must_exist: bool = True) -> sqlite3.Connection:
    if must_exist and not path.is_file():
        raise BackupError(f"{path} does not exist.")
    conn = sqlite3.connect(f"file:{path}?mode={'rw' if must_exist else 'rwc'}", uri=True,
                           timeout=30)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def inspect(path: Path) -> Snapshot:
    """Check a database file (integrity, a Phlebo schema) and say what it holds."""
    conn = _connect(path)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"{path} is damaged: {'; '.join(problems[:3])}")
        try:
            schema = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            appointments = conn.execute("SELECT count(*) FROM appointment").fetchone()[0]
        except (sqlite3.DatabaseError, TypeError) as exc:
            raise BackupError(f"{path} is not a Phlebo database ({exc}).") from exc
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc}).") from exc
    finally:
        conn.close()
    return Snapshot(path, path.stat().st_size, str(schema), int(appointments))


def backup_sqlite(url: str, target: Path) -> Snapshot:
    """Copy the live database to `target` (a new file) as one consistent snapshot."""
    source = sqlite_path(url)
    if target.exists():
        raise BackupError(f"{target} already exists; give a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src, dst = _connect(source), _connect(partial, must_exist=False)
    try:
        # All pages in one step: under one read transaction, so one point in time.
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()
    os.chmod(partial, 0o600)  # patient data
    snapshot = inspect(partial)
    partial.replace(target)
    return Snapshot(target, snapshot.size, snapshot.schema, snapshot.appointments)


def restore_sqlite(url: str, backup: Path, *, now: dt.datetime) -> tuple[Snapshot, Path | None]:
    """Replace the database's contents with a backup's. The database as it was is first saved
    beside it (`<name>.before-restore-<time>`), which is returned. Stop the site and the
    scheduler first: a restore takes the database back in time."""
    inspect(backup)  # refuse a damaged or foreign file before touching anything
    target = sqlite_path(url)
    kept: Path | None = None
    if target.exists():
        kept = target.with_name(f"{target.name}.before-restore-{now:%Y%m%dT%H%M%SZ}")
        backup_sqlite(url, kept)
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = _connect(backup), _connect(target, must_exist=False)
    try:
        src.backup(dst, pages=-1)
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()
    return inspect(target), kept
