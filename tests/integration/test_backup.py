"""`phlebo backup` while four writers book as fast as they can, then `phlebo restore`: every
booking committed before the backup began is in it, nothing is in it that was never committed,
and the copy is consistent (each slot's booked count matches its bookings), on SQLite. Also
the refusals: a PostgreSQL URL (pg_dump is the way), an existing file, a restore without --yes."""

from __future__ import annotations

import dataclasses
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from booking_web.services.booking import book_appointment
from phlebo.backup import backup_sqlite
from shared.config import Settings
from shared.db import make_engine, session_scope
from shared.errors import SlotFull
from shared.timeutil import utcnow
from tests.factories import make_patient
from tests.integration.live_site import make_world

WRITERS = 4
PER_WRITER = 250  # bounds the run whatever happens


def phlebo(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `phlebo` command on this database."""
    return subprocess.run([sys.executable, "-m", "phlebo", *args], capture_output=True, text=True,
                          timeout=180, env={**os.environ, "PHLEBO_DATABASE_URL": url,
                                            "PHLEBO_LOG_FORMAT": "text"})


def contents(path: Path) -> tuple[set[str], list[tuple[int, int, int]]]:
    """The references in a database file, and each slot's (id, booked, bookings) counts."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        refs = {r for (r,) in conn.execute("SELECT reference FROM appointment")}
        slots = list(conn.execute(
            "SELECT s.id, s.booked, (SELECT count(*) FROM appointment a WHERE a.slot_id = s.id "
            "AND a.status = 'booked') FROM slot s ORDER BY s.id"))
    finally:
        conn.close()
    return refs, slots


def test_backup_during_writes_then_restore_finds_every_committed_booking(tmp_path):
    world = make_world(tmp_path / "live.db", chairs=50)
    engine = make_engine(world.url)
    settings = dataclasses.replace(
        Settings.from_env({}, database_url=world.url, instance_dir=tmp_path / "instance",
                          secret_key="test-secret"), min_notice_minutes=0)
    committed: list[str] = []
    lock, stop = threading.Lock(), threading.Event()
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        rng = random.Random(w)
        try:
            with session_scope(engine) as session:
                for n in range(PER_WRITER):
                    if stop.is_set():
                        return
                    try:
                        appt = book_appointment(
                            session=session, slot_id=rng.choice(world.slot_ids), type_code="adult",
                            patient=make_patient(w * PER_WRITER + n), now=utcnow(),
                            settings=settings).appointment
                    except SlotFull:
                        continue
                    with lock:  # book_appointment has returned: the booking is committed
                        committed.append(appt.reference)
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    snapshots: list[tuple[Path, set[str], int]] = []
    try:
        for n in range(3):  # three backups, each while the writers write
            deadline = time.monotonic() + 60
            while len(committed) < 40 * (n + 1) and time.monotonic() < deadline and not errors:
                time.sleep(0.02)
            with lock:
                before = set(committed)
            backup = tmp_path / "backups" / f"phlebo-{n}.db"
            backup_sqlite(world.url, backup)  # what `phlebo backup` runs
            with lock:
                snapshots.append((backup, before, len(committed) - len(before)))
        cli_backup = tmp_path / "backups" / "phlebo.db"
        result = phlebo(world.url, "backup", str(cli_backup))  # and the command itself
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors
    everything = set(committed)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Backed up to {cli_backup}: ")
    assert "integrity ok" in result.stdout
    assert f"{len(contents(cli_backup)[0])} bookings" in result.stdout
    for backup, before, _during in snapshots:
        saved, slots = contents(backup)
        assert before <= saved  # every booking committed before the backup began
        assert saved <= everything  # and nothing that was never committed
        assert all(booked == bookings for _id, booked, bookings in slots)  # one point in time
        assert oct(backup.stat().st_mode & 0o777) == "0o600"  # it holds patient data
    assert sum(during for _b, _before, during in snapshots) > 0, "no writes during the backups"
    backup, before, _during = snapshots[-1]
    saved, slots = contents(backup)

    # Restore into a new database, then over the live one (the writers have stopped).
    fresh = tmp_path / "restored" / "phlebo.db"
    restored = phlebo(f"sqlite:///{fresh}", "restore", str(backup), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert contents(fresh) == (saved, slots)
    engine.dispose()
    over = phlebo(world.url, "restore", str(backup), "--yes")
    assert over.returncode == 0, over.stderr
    kept = next((tmp_path).glob("live.db.before-restore-*"))
    assert f"The database as it was is kept in {kept}." in over.stdout
    assert contents(tmp_path / "live.db") == (saved, slots)
    assert contents(kept)[0] == everything  # what the restore replaced is not lost
    # The restored live database is in WAL again and takes bookings.
    conn = sqlite3.connect(tmp_path / "live.db")
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()
    engine = make_engine(world.url)
    with session_scope(engine) as session:
        book_appointment(session=session, slot_id=world.slot_ids[0], type_code="adult",
                         patient=make_patient(99_000), now=utcnow(), settings=settings)
    engine.dispose()


def test_refusals_say_what_to_do(tmp_path):
    pg = phlebo("postgresql+psycopg://phlebo@db.internal/phlebo", "backup", str(tmp_path / "x"))
    assert pg.returncode == 2 and "pg_dump --format=custom" in pg.stderr
    world = make_world(tmp_path / "live.db")
    taken = tmp_path / "taken.db"
    taken.write_text("")
    exists = phlebo(world.url, "backup", str(taken))
    assert exists.returncode == 2 and "already exists; give a new file name" in exists.stderr
    unsure = phlebo(world.url, "restore", str(taken))
    assert unsure.returncode == 2 and "Stop the site and the scheduler" in unsure.stderr
    junk = phlebo(world.url, "restore", str(taken), "--yes")
    assert junk.returncode == 2 and "is not a Phlebo database" in junk.stderr
    assert not list(tmp_path.glob("live.db.before-restore-*"))  # refused before touching it
