"""The scheduler: reminders, sending the outbox, DNA marking, test requests (invitations,
reminders, lapses) and waiting-list offers.
`phlebo scheduler` runs it in a process of its own (production); the demo starts it in-process
with start_background_scheduler(). Each job run is guarded by a PostgreSQL advisory lock, so
several schedulers on one database never run the same job at the same time."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from collections.abc import Callable, Sequence

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.engine import Engine

from booking_web.config_check import ConfigError, require_good_settings
from booking_web.notify import Sender
from booking_web.scheduler.jobs import JOBS, SKIPPED, JobContext, run_job, run_scheduled
from shared.config import Settings
from shared.db import make_engine
from shared.timeutil import utcnow

__all__ = [
    "JOBS",
    "SKIPPED",
    "JobContext",
    "add_jobs",
    "main",
    "run_job",
    "start_background_scheduler",
]

log = logging.getLogger(__name__)


def add_jobs(scheduler: BaseScheduler, ctx: JobContext) -> None:
    """Every job on an interval trigger, one instance at a time, missed runs coalesced."""
    every = max(ctx.settings.scheduler_interval_seconds, 1)
    for name in JOBS:
        scheduler.add_job(
            run_scheduled,
            "interval",
            args=(ctx, name),
            id=name,
            name=name,
            seconds=every,
            max_instances=1,
            coalesce=True,
            next_run_time=dt.datetime.now(dt.UTC),
        )


def start_background_scheduler(
    settings: Settings,
    engine: Engine,
    *,
    sender: Sender | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
) -> BackgroundScheduler:
    """Start the jobs on a background thread of this process (the demo); .shutdown() stops it."""
    scheduler = BackgroundScheduler(timezone=dt.UTC, daemon=True)
    add_jobs(scheduler, JobContext(engine=engine, settings=settings, sender=sender, clock=clock))
    scheduler.start()
    return scheduler


def main(argv: Sequence[str] | None = None) -> int:
    """`phlebo scheduler [--once] [--job NAME]`: run the jobs until stopped, or once each."""
    parser = argparse.ArgumentParser(
        prog="phlebo scheduler",
        description="Run reminders, outbox sending, DNA marking and waiting-list offers",
    )
    parser.add_argument(
        "--once", action="store_true", help="run each job once and exit (e.g. from cron)"
    )
    parser.add_argument(
        "--job", action="append", choices=sorted(JOBS), help="only this job (repeatable)"
    )
    args = parser.parse_args(list(argv or []))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        for warning in require_good_settings():
            log.warning("%s", warning)
    except ConfigError as exc:
        print(f"Scheduler not started: {exc}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        return _run(
            JobContext(engine=engine, settings=settings), args.job or list(JOBS), once=args.once
        )
    finally:
        engine.dispose()


def _run(ctx: JobContext, names: list[str], *, once: bool) -> int:
    if once:
        for name in names:
            result = run_job(ctx, name)
            print(f"{name}: {'running elsewhere, skipped' if result is SKIPPED else result}")
        return 0
    scheduler = BlockingScheduler(timezone=dt.UTC)
    add_jobs(scheduler, ctx)
    for name in JOBS:
        if name not in names:
            scheduler.remove_job(name)
    log.info(
        "scheduler started: %s every %ss", ", ".join(names), ctx.settings.scheduler_interval_seconds
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0
