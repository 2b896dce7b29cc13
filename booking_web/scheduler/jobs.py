"""The scheduled jobs, each run under its advisory lock with its own session and the clock."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from booking_web.notify import Sender, make_sender, queue_reminders, send_due_messages
from booking_web.reports.settle import settle_reports
from booking_web.scheduler.housekeeping import mark_no_shows
from booking_web.scheduler.locks import job_lock
from booking_web.scheduler.runs import record_job_run
from booking_web.services.idempotency import purge_expired_keys
from booking_web.services.nhs_login import tidy_nhs_login
from booking_web.services.request_followup import follow_up_requests
from booking_web.waitlist.offers import offer_free_chairs
from shared.config import Settings
from shared.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    """What every job needs: the database, settings, how to send, and the clock."""

    engine: Engine
    settings: Settings
    sender: Sender | None = None
    clock: Callable[[], dt.datetime] = field(default=utcnow)

    def __post_init__(self) -> None:
        if self.sender is None:
            self.sender = make_sender(self.settings)


def _send_outbox(ctx: JobContext, now: dt.datetime) -> object:
    assert ctx.sender is not None
    # run_job holds the job's lock: rows a dead scheduler left 'sending' are taken over at once.
    return send_due_messages(engine=ctx.engine, settings=ctx.settings, sender=ctx.sender, now=now,
                             exclusive=True, clock=ctx.clock)


def _queue_reminders(ctx: JobContext, now: dt.datetime) -> object:
    with Session(ctx.engine, expire_on_commit=False) as session:
        return queue_reminders(session=session, settings=ctx.settings, now=now)


def _mark_no_shows(ctx: JobContext, now: dt.datetime) -> object:
    with Session(ctx.engine, expire_on_commit=False) as session:
        return mark_no_shows(session=session, now=now)


def _tidy_nhs_login(ctx: JobContext, now: dt.datetime) -> object:
    with Session(ctx.engine, expire_on_commit=False) as session:
        return tidy_nhs_login(session=session, now=now)


def _settle_reports(ctx: JobContext, now: dt.datetime) -> object:
    with Session(ctx.engine, expire_on_commit=False) as session:
        return settle_reports(session=session, now=now)


def _forget_old_keys(ctx: JobContext, now: dt.datetime) -> object:
    with Session(ctx.engine, expire_on_commit=False) as session:
        return purge_expired_keys(session=session, now=now)


def _request_follow_up(ctx: JobContext, now: dt.datetime) -> object:
    with Session(ctx.engine, expire_on_commit=False) as session:
        return follow_up_requests(session=session, settings=ctx.settings, now=now)


def _waitlist_offers(ctx: JobContext, now: dt.datetime) -> object:
    with Session(ctx.engine, expire_on_commit=False) as session:
        return offer_free_chairs(session=session, settings=ctx.settings, now=now)


# In the order one tick should run them: queue first, then send what was queued.
JOBS: dict[str, Callable[[JobContext, dt.datetime], object]] = {
    "mark_no_shows": _mark_no_shows,  # first: a missed booking's request is open again
    "request_follow_up": _request_follow_up,
    "queue_reminders": _queue_reminders,
    "waitlist_offers": _waitlist_offers,
    "send_outbox": _send_outbox,
    "tidy_nhs_login": _tidy_nhs_login,
    "settle_reports": _settle_reports,  # nothing to do on most runs: one small read
    "forget_old_keys": _forget_old_keys,  # idempotency keys past their 24 hours
}

SKIPPED = object()  # what run_job returns when another scheduler holds the job's lock


def run_job(ctx: JobContext, name: str) -> object:
    """Run one job now if no other scheduler is running it; its result, or SKIPPED. Each run
    is recorded (record_job_run), a failed one too, before its error is raised again."""
    with job_lock(ctx.engine, name) as mine:
        if not mine:
            log.debug("job %s is running elsewhere; skipped", name)
            return SKIPPED
        started = ctx.clock()
        try:
            result = JOBS[name](ctx, started)
        except Exception as exc:
            record_job_run(engine=ctx.engine, name=name, started=started, finished=ctx.clock(),
                           error=exc)
            raise
        record_job_run(engine=ctx.engine, name=name, started=started, finished=ctx.clock())
        log.debug("job %s: %s", name, result)
        return result


def run_scheduled(ctx: JobContext, name: str) -> None:
    """run_job for the scheduler thread: an error is logged, and the next run tries again."""
    try:
        run_job(ctx, name)
    except Exception:
        log.exception("job %s failed; it will run again at its next time", name)
