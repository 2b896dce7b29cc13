"""A booking whose answer was lost, sent again with its Idempotency-Key, is made once and
announced once: against gunicorn on SQLite and PostgreSQL, with the web worker killed (SIGKILL)
just before its COMMIT, inside it (PostgreSQL, waiting for a standby), just after it, and at
random moments from outside."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from booking_web.notify import NotifySender, send_due_messages
from shared.db import make_engine
from shared.models import Appointment, OutboxMessage, Patient
from shared.nhs_number import make_test_number
from tests.conftest import NOW
from tests.faults.conftest import Live
from tests.factories import make_clinic, make_partner_key, slots_of
from tests.integration.notify_stub import API_KEY, notify_stub
from tests.live_server import arm_fault, fresh_database, live_server
from tests.pg_cluster import private_postgres

PATH = "/api/v1/appointments"
DAY = dt.date(2026, 11, 25)


def post_until_answered(live: Live, idem: str, body: dict, *, client: httpx.Client | None = None,
                        seconds: float = 60) -> tuple[httpx.Response, int]:
    """POST as a careful partner does: when the answer is lost (the connection dropped), send the
    same request again with the same Idempotency-Key until an answer comes. Returns the answer
    and how many tries it took."""
    deadline = time.monotonic() + seconds
    tries = 0
    with httpx.Client(base_url=live.url, timeout=15) if client is None else _borrowed(client) as http:
        while True:
            tries += 1
            try:
                answer = http.post(PATH, json=body, headers={"Authorization": f"Bearer {live.partner_key}",
                                                             "Idempotency-Key": idem})
            except httpx.TransportError:
                assert time.monotonic() < deadline, "no answer in time"
                time.sleep(0.05)
                continue
            return answer, tries


@contextmanager
def _borrowed(client: httpx.Client) -> Iterator[httpx.Client]:
    yield client


def patient(n: int) -> dict[str, str]:
    return {"nhs_number": make_test_number(93000 + 10 * n), "given_name": "Tomasz", "family_name": "Nowak",
            "date_of_birth": "1966-10-02", "mobile": f"07700 900 {n:03d}"}


def bookings_of(live: Live, n: int) -> list[Appointment]:
    with live.session() as session:
        return list(session.exec(select(Appointment).join(Patient, Patient.id == Appointment.patient_id)
                                 .where(Patient.nhs_number == make_test_number(93000 + 10 * n))))


def messages_of(live: Live, appointment_id: int) -> int:
    with live.session() as session:
        return len(session.exec(select(OutboxMessage.id).where(OutboxMessage.appointment_id == appointment_id)).all())


def sms_sent(live: Live) -> list[str]:
    """Send what the outbox holds through the real Notify client to a stub: the numbers texted."""
    with notify_stub() as stub:
        sender = NotifySender(api_key=API_KEY, base_url=stub.url, template_ids={"booked_sms": "tmpl-booked-sms"},
                              service_url="https://phlebo.example")
        send_due_messages(engine=live.engine, settings=live.settings, sender=sender, now=NOW)
        return [body["phone_number"] for body in stub.bodies("/sms")]


@pytest.mark.parametrize(("n", "point"), [(1, "before_commit"), (2, "after_commit")])
def test_a_worker_killed_at_its_commit_then_a_resend_books_once_and_texts_once(live, n, point):
    arm_fault(live.switch, point, PATH)
    answer, tries = post_until_answered(live, str(uuid.uuid4()), booking(live, n))
    assert not live.switch.exists(), "the worker was never killed"
    assert tries >= 2  # the first answer died with the worker
    assert answer.status_code == 201, answer.text
    # Killed after its COMMIT: the booking was made, and the resend gets the stored answer.
    # Killed before it: nothing was made, and the resend books for the first time.
    assert answer.headers.get("Idempotent-Replayed") == ("true" if point == "after_commit" else None)
    [appt] = bookings_of(live, n)
    assert appt.reference == answer.json()["reference"]
    assert messages_of(live, appt.id) == 1  # type: ignore[arg-type]
    assert sms_sent(live) == [f"07700900{n:03d}"]


def test_workers_killed_at_random_moments_never_book_twice(live):
    """Bookings sent while a killer SIGKILLs the web worker at a random moment within about one
    booking's time after the request goes out (before, during or after its transaction), until
    five of them lost their worker mid-request (at most 40): each is booked exactly once."""
    rng = random.Random(17)
    killed = 0
    patients: list[int] = []
    with httpx.Client(base_url=live.url, timeout=15) as http:
        took = []
        for n in range(30, 33):  # how long a booking takes here, now (machines differ)
            started = time.monotonic()
            post_until_answered(live, f"warm-{n}", booking(live, n), client=http)
            took.append(time.monotonic() - started)
        window = sorted(took)[1] * 1.2
        for n in range(40, 80):
            if killed >= 5:
                break
            patients.append(n)
            workers = live.server.worker_pids()
            delay = rng.uniform(0, window)

            def kill(pids: list[int] = workers, wait: float = delay) -> None:
                time.sleep(wait)
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

            killer = threading.Thread(target=kill)
            killer.start()
            answer, tries = post_until_answered(live, f"order-{n}", booking(live, n), client=http)
            killer.join()
            killed += tries > 1
            assert answer.status_code == 201, answer.text
            [appt] = bookings_of(live, n)
            assert appt.reference == answer.json()["reference"]
            assert messages_of(live, appt.id) == 1  # type: ignore[arg-type]
            _wait_for_a_worker(live)
    assert killed >= 5, f"the killer got there first only {killed} times: the test proved little"
    assert sorted(sms_sent(live)) == sorted(f"07700900{n:03d}" for n in [*range(30, 33), *patients])


def booking(live: Live, n: int) -> dict:
    return {"slot_id": live.slot_ids[n % len(live.slot_ids)], "appointment_type": "adult", "patient": patient(n)}


def _wait_for_a_worker(live: Live, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not live.server.worker_pids():
        assert time.monotonic() < deadline, "gunicorn did not replace its worker"
        time.sleep(0.02)


def test_a_worker_killed_inside_its_commit_then_a_resend_books_once(tmp_path):
    """PostgreSQL, deterministically inside COMMIT: with a synchronous standby required that does
    not exist, a COMMIT is written locally and then waits for the standby; the worker is killed
    while it waits (its client never hears), the wait is lifted (the COMMIT completes), and the
    partner sends the request again with its key: the first answer, one booking, one message."""
    with private_postgres() as pg, fresh_database("postgresql", tmp_path, pg.url) as engine:
        with Session(engine, expire_on_commit=False) as session:
            slots = [s.id for s in slots_of(session, make_clinic(session, day=DAY, start=dt.time(9),
                                                                 end=dt.time(10)))]
            key = make_partner_key(session)
        admin = make_engine(pg.url).execution_options(isolation_level="AUTOCOMMIT")
        url = engine.url.render_as_string(hide_password=False)
        body = {"slot_id": slots[0], "appointment_type": "adult", "patient": patient(90)}
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "inside-commit-1"}
        with live_server(url, tmp_path / "server", clock=NOW) as server:
            with admin.connect() as conn:
                conn.execute(text("ALTER SYSTEM SET synchronous_standby_names = 'nobody'"))
                conn.execute(text("SELECT pg_reload_conf()"))
            lost: list[BaseException] = []

            def first_try() -> None:
                try:
                    httpx.post(server.base_url + PATH, json=body, headers=headers, timeout=60)
                except httpx.TransportError as exc:
                    lost.append(exc)

            sender = threading.Thread(target=first_try)
            sender.start()
            deadline = time.monotonic() + 60
            with admin.connect() as conn:
                while not conn.execute(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")).scalar():
                    assert time.monotonic() < deadline, "no COMMIT ever waited"
                    time.sleep(0.02)
            for pid in server.worker_pids():  # killed inside its COMMIT
                os.kill(pid, signal.SIGKILL)
            sender.join(timeout=60)
            assert lost, "the first answer should have died with the worker"
            with admin.connect() as conn:  # the standby requirement goes: the COMMIT completes
                conn.execute(text("ALTER SYSTEM RESET synchronous_standby_names"))
                conn.execute(text("SELECT pg_reload_conf()"))
            _wait_for_a_worker_of(server)
            again = httpx.post(server.base_url + PATH, json=body, headers=headers, timeout=60)
        admin.dispose()
        assert again.status_code == 201, again.text
        assert again.headers.get("Idempotent-Replayed") == "true"  # it had committed
        with Session(engine) as session:
            [appt] = session.exec(select(Appointment)).all()
            assert appt.reference == again.json()["reference"]
            assert len(session.exec(select(OutboxMessage)).all()) == 1


def _wait_for_a_worker_of(server, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not server.worker_pids():
        assert time.monotonic() < deadline, "gunicorn did not replace its worker"
        time.sleep(0.02)
