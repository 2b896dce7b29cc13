"""When the database cannot be reached or written, gunicorn answers 503 with Retry-After (the API's
JSON error shape; a kind page for people), never 500, and serves again once it is back: a
PostgreSQL of the test's own stopped under the site and restarted mid-rush, and a SQLite file
on a full disk (a small tmpfs) or, where mounting is not allowed, a read-only one."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event, exc, text
from sqlmodel import Session, select

from shared.db import make_engine
from shared.models import Appointment
from shared.nhs_number import make_test_number
from tests.conftest import NOW
from tests.factories import make_clinic, make_partner_key, slots_of
from tests.live_server import fresh_database, live_server
from tests.pg_cluster import private_postgres

DAY = dt.date(2026, 11, 25)


def booking(slot_id: int, n: int) -> dict:
    return {"slot_id": slot_id, "appointment_type": "adult", "patient": {
        "nhs_number": make_test_number(61000 + 10 * n), "given_name": "Grace", "family_name": "Adeyemi",
        "date_of_birth": "1949-12-01", "mobile": "07700 900 777"}}


def seed(engine) -> tuple[str, list[int]]:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        # A long day: a quiet machine filled a 9-12 clinic (900 chairs) during the restart rush,
        # and a full slot's 409 is not what the test is about
        clinic = make_clinic(session, day=DAY, start=dt.time(7), end=dt.time(21), chairs=50)
        return make_partner_key(session), [s.id for s in slots_of(session, clinic)]


@contextlib.contextmanager
def serving(engine, tmp_path: Path) -> Iterator[tuple[httpx.Client, dict[str, str], list[int]]]:  # type: ignore[no-untyped-def]
    """gunicorn on this database with a clinic and a partner key, and one booking made through it
    while all is well: a client, its Authorization header, and the clinic's slot ids."""
    key, slots = seed(engine)
    auth = {"Authorization": f"Bearer {key}"}
    url = engine.url.render_as_string(hide_password=False)
    with live_server(url, tmp_path / "server", clock=NOW) as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as http:
        assert http.post("/api/v1/appointments", json=booking(slots[0], 1), headers=auth).status_code == 201
        yield http, auth, slots


def assert_unavailable_json(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text[:300]
    assert answer.headers["Retry-After"] == "30"
    body = answer.json()
    assert body["error"] == "unavailable" and "Try again in a minute" in body["message"]
    assert body["fields"] == {}


def assert_kind_page(answer: httpx.Response) -> None:
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "30"
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in answer.text
    assert "Try again in a minute." in answer.text and "You will not be booked twice." in answer.text


def look_up_a_booking(http: httpx.Client) -> httpx.Response:
    """A patient sends 'Find your booking' (the form itself needs no database)."""
    form = http.get("/manage")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    return http.post("/manage", data={"csrf_token": token, "reference": "ABC-DEF-GHJ", "dob-day": "1",
                                      "dob-month": "12", "dob-year": "1949"})


def test_postgresql_stopped_under_the_site_answers_503_then_serves_again(tmp_path):
    with private_postgres() as pg, fresh_database("postgresql", tmp_path, pg.url) as engine:
        with serving(engine, tmp_path) as (http, auth, slots):
            engine.dispose()
            pg.stop("fast")
            assert_unavailable_json(http.post("/api/v1/appointments", json=booking(slots[1], 2), headers=auth))
            assert_unavailable_json(http.get("/api/v1/sites", headers=auth))
            assert_kind_page(http.get("/book/type"))
            assert_kind_page(look_up_a_booking(http))
            pg.start()
            again = http.post("/api/v1/appointments", json=booking(slots[1], 2), headers=auth)
            assert again.status_code == 201, again.text
            assert http.get("/book/type").status_code == 200
        with Session(engine) as session:
            assert len(session.exec(select(Appointment)).all()) == 2


def test_a_postgresql_restart_mid_rush_answers_503_never_500_and_loses_nothing(tmp_path):
    """Six partners book as fast as they can while PostgreSQL restarts; each sends a request again
    (same Idempotency-Key) after a 503 or a lost answer. Every answer is 201 or 503, and every
    request ends as exactly one booking."""
    with private_postgres() as pg, fresh_database("postgresql", tmp_path, pg.url) as engine:
        key, slots = seed(engine)
        url = engine.url.render_as_string(hide_password=False)
        statuses: Counter[int] = Counter()
        lock = threading.Lock()
        stop = threading.Event()
        made: list[str] = []

        def partner(p: int) -> None:
            n = 0
            with httpx.Client(base_url=server.base_url, timeout=30,
                              headers={"Authorization": f"Bearer {key}"}) as http:
                while not stop.is_set():
                    n += 1
                    idem = f"p{p}-{n}"
                    for _ in range(200):
                        try:
                            answer = http.post("/api/v1/appointments", headers={"Idempotency-Key": idem},
                                               json=booking(slots[(p * 7 + n) % len(slots)], p * 1000 + n))
                        except httpx.TransportError:
                            time.sleep(0.05)
                            continue
                        with lock:
                            statuses[answer.status_code] += 1
                        if answer.status_code == 201:
                            with lock:
                                made.append(answer.json()["reference"])
                            break
                        assert answer.status_code == 503, answer.text[:300]
                        time.sleep(0.05)

        with live_server(url, tmp_path / "server", clock=NOW, workers=3) as server:
            threads = [threading.Thread(target=partner, args=(p,)) for p in range(6)]
            for t in threads:
                t.start()
            time.sleep(1.5)
            engine.dispose()
            pg.stop("fast")
            time.sleep(1.0)
            pg.start()
            time.sleep(1.5)
            stop.set()
            for t in threads:
                t.join(timeout=120)
            assert not any(t.is_alive() for t in threads)
        assert set(statuses) <= {201, 503}, statuses
        assert statuses[503] > 0, f"the restart was never seen: {statuses}"
        with Session(engine) as session:
            stored = sorted(a.reference for a in session.exec(select(Appointment)))
        assert stored == sorted(made) and len(set(made)) == len(made)


@contextlib.contextmanager
def small_disk(size_kib: int = 2048) -> Iterator[Path | None]:
    """A tmpfs of its own (None where this process may not mount one)."""
    folder = Path(tempfile.mkdtemp(prefix="phlebo-small-disk."))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(folder)],
                             capture_output=True).returncode == 0 if os.geteuid() == 0 else False
    try:
        yield folder if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        with contextlib.suppress(OSError):
            folder.rmdir()


def fill(disk: Path) -> Path:
    """Write a file until the disk has no room left; returns it (delete it to make room)."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as out:  # unbuffered: nothing left to flush at the end
        chunk = b"\0" * 4096
        while True:
            try:
                out.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
    return filler


def test_sqlite_that_cannot_be_written_answers_503_then_serves_again(tmp_path):
    with small_disk() as disk:
        folder = disk or tmp_path
        with fresh_database("sqlite", folder, None) as engine:
            url = engine.url.render_as_string(hide_password=False)
            with serving(engine, tmp_path) as (http, auth, slots):
                with engine.connect() as conn:  # the write-ahead log to zero bytes: a write must grow it
                    conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                engine.dispose()
                if disk is not None:
                    blocker = fill(disk)
                else:  # no tmpfs here: take write permission away instead (this process is not root)
                    for path in folder.glob("live.db*"):
                        path.chmod(0o444)
                    folder.chmod(0o555)
                assert_unavailable_json(http.post("/api/v1/appointments", json=booking(slots[1], 2), headers=auth))
                assert_kind_page(look_up_a_booking(http))  # it counts the lookup: a write
                if disk is not None:
                    blocker.unlink()
                else:
                    folder.chmod(0o755)
                    for path in folder.glob("live.db*"):
                        path.chmod(0o644)
                again = http.post("/api/v1/appointments", json=booking(slots[1], 2), headers=auth)
                assert again.status_code == 201, again.text
            check = make_engine(url)
            with Session(check) as session:
                assert len(session.exec(select(Appointment)).all()) == 2
            check.dispose()


def test_the_kind_page_is_what_people_see_when_the_database_is_away(client, app):
    """Without a server to stop: the engine refuses every statement as a lost server would."""
    def away(*_args: object) -> None:
        raise exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    engine = app.extensions["phlebo"].engine
    event.listen(engine, "before_cursor_execute", away)
    try:
        page = client.get("/book/type")
        api = client.get("/api/v1/sites", headers={"Authorization": "Bearer x"})
    finally:
        event.remove(engine, "before_cursor_execute", away)
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert b"Sorry, there is a problem with the service" in page.data
    assert api.status_code == 503 and api.json["error"] == "unavailable"
