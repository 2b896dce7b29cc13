"""kill -9 the scheduler, again and again, while it sends the outbox through the real Notify
client to a stub that records every POST: every message reaches Notify exactly once, and none
waits for a lease to run out. Real `phlebo scheduler` processes, both engines.

The stub takes each message and answers 80 ms later, so a kill lands sometimes before a POST
and sometimes after Notify took a message but before the scheduler heard (and wrote it down):
the two cases that sent SMS twice (or held them for 10 minutes) before."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

from sqlmodel import Session, select

from booking_web.notify.texts import TEMPLATES
from booking_web.services import booking
from shared.models import OutboxMessage, OutboxStatus
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, slots_of
from tests.integration.notify_stub import API_KEY, NotifyStub, notify_stub

DAY = dt.date(2026, 11, 25)
MESSAGES = 24
LEASE_SECONDS = 3600  # far longer than the test: a message waiting for a lease could not make it
ROOT = Path(__file__).resolve().parents[2]


def scheduler(engine, workdir: Path, stub: NotifyStub) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    """`phlebo scheduler --once --job send_outbox` in a process (and session) of its own."""
    env = {
        **os.environ,
        "PHLEBO_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "PHLEBO_INSTANCE_DIR": str(workdir),
        "PHLEBO_SECRET_KEY": "outbox-crash-test",
        "PHLEBO_NOTIFY_API_KEY": API_KEY,
        "PHLEBO_NOTIFY_BASE_URL": stub.url,
        "PHLEBO_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        **{f"PHLEBO_NOTIFY_TEMPLATE_{t.upper()}_{c.upper()}": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{t}-{c}"))
           for t in TEMPLATES for c in ("sms", "email")},  # the scheduler checks each is set, as a UUID
    }
    with open(workdir / "scheduler.log", "ab") as log:  # the child keeps its own copy of the file
        return subprocess.Popen([sys.executable, "-m", "phlebo", "scheduler", "--once", "--job", "send_outbox"],
                                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for_a_post(stub: NotifyStub, before: int, process: subprocess.Popen[bytes], seconds: float = 90) -> bool:
    """True once the stub has a POST it did not have before; False if the process ended first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with stub.lock:
            if len(stub.requests) > before:
                return True
        if process.poll() is not None:
            return False
        time.sleep(0.005)
    raise AssertionError("the scheduler sent nothing for 90 s")


def test_a_scheduler_killed_at_random_points_sends_every_message_exactly_once(engine, session, settings, tmp_path):
    slots = slots_of(session, make_clinic(session, day=DAY, chairs=3))
    for n in range(MESSAGES):
        booking.book_appointment(session=session, slot_id=slots[n // 3].id, type_code="adult",
                                 patient=make_patient(n, mobile=f"07700900{n:03d}"), now=NOW, settings=settings)
    references = {m.dedup_key for m in session.exec(select(OutboxMessage))}
    assert len(references) == MESSAGES
    rng = random.Random(4242)
    started = time.monotonic()
    kills = starts = 0
    orphans: list[tuple[float, set[str]]] = []
    with notify_stub() as stub:
        stub.answer_delay = 0.08
        while True:  # kill after each run's first POST, at random, until Notify has them all
            with stub.lock:
                before = len(stub.requests)
                done = {r["body"]["reference"] for r in stub.requests if r["ok"]}
            if done == references:
                break
            starts += 1
            assert starts < 60, "the scheduler kept ending without being killed"
            process = scheduler(engine, tmp_path, stub)
            if wait_for_a_post(stub, before, process):
                time.sleep(rng.uniform(0, 0.2))  # before a POST, or after Notify took it: at random
                os.killpg(process.pid, signal.SIGKILL)
                kills += 1
                killed_at = time.monotonic()
                with Session(engine) as look:  # what the dead one was holding
                    held = set(look.exec(select(OutboxMessage.dedup_key).where(
                        OutboxMessage.status == OutboxStatus.SENDING)).all())
                orphans.append((killed_at, held))
            assert process.wait(timeout=60) in (0, -signal.SIGKILL), (tmp_path / "scheduler.log").read_text()[-3000:]
        # Then one that is left alone finishes what is left.
        finisher = scheduler(engine, tmp_path, stub)
        assert finisher.wait(timeout=120) == 0, (tmp_path / "scheduler.log").read_text()[-3000:]
        elapsed = time.monotonic() - started
        posts = [r for r in stub.requests if r["ok"]]
        lookups = list(stub.lookups)
    sent = Counter(r["body"]["reference"] for r in posts)
    assert set(sent) == references and set(sent.values()) == {1}, sent.most_common(3)  # each exactly once
    session.expire_all()
    stored = {m.dedup_key: m for m in session.exec(select(OutboxMessage))}
    assert {m.status for m in stored.values()} == {OutboxStatus.SENT}
    assert {r["body"]["reference"]: r["id"] for r in posts} == {k: m.provider_id for k, m in stored.items()}
    # Both kinds of death happened: messages Notify had taken were found, not sent again, and
    # messages taken over before they went were sent.
    assert kills >= 6, kills
    assert sum(lk["found"] for lk in lookups) >= 1, lookups
    assert sum(not lk["found"] for lk in lookups) >= 1, lookups
    # None waited for a lease: what a dead scheduler held was taken over by the next one at once
    # (its lease here is an hour; the whole run took minutes at most), and each message it had
    # not yet sent went out within seconds of the kill: the next processes' start-up time.
    assert elapsed < LEASE_SECONDS
    post_at = {r["body"]["reference"]: r["at"] for r in posts}
    waits = [post_at[ref] - killed_at for killed_at, held in orphans for ref in held if post_at[ref] > killed_at]
    assert waits, "no kill left a message unsent: the test proved little"
    assert max(waits) < 120, sorted(waits)[-5:]
