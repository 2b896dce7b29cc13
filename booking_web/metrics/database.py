"""Figures read from the database when Prometheus scrapes: the outbox and the scheduler.

These are facts about shared state, not about one process, so every worker would report the
same value: reading them once per scrape (in the worker that serves it) is both right and cheap
(two small queries, on the outbox's (status, next_try_at) index and a table of a few rows)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from shared.models import OutboxMessage, OutboxStatus, SchedulerJob

log = logging.getLogger(__name__)

OUTBOX_STATES = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED)


class DatabaseCollector(Collector):
    """Outbox and scheduler figures for one scrape; `phlebo_database_up` 0 when unreachable."""

    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime]):
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        """Read the figures now."""
        up = GaugeMetricFamily("phlebo_database_up", "1 when the database answered this scrape")
        try:
            with Session(self.engine) as session:
                outbox = list(_outbox(session, self.clock()))
                scheduler = list(_scheduler(session, self.clock()))
        except SQLAlchemyError as exc:
            log.warning("metrics: database not reachable (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from outbox
        yield from scheduler


def _outbox(session: Session, now: dt.datetime) -> Iterator[GaugeMetricFamily]:
    rows = session.exec(
        select(OutboxMessage.status, func.count(), func.min(OutboxMessage.created_at))
        .where(col(OutboxMessage.status).in_(OUTBOX_STATES))
        .group_by(OutboxMessage.status)
    ).all()
    found = {status: (count, oldest) for status, count, oldest in rows}
    messages = GaugeMetricFamily("phlebo_outbox_messages",
                                 "Messages to patients waiting, being sent, or given up",
                                 labels=["status"])
    for status in OUTBOX_STATES:
        messages.add_metric([status.value], found.get(status.value, (0, None))[0])
    yield messages
    oldest = found.get(OutboxStatus.PENDING.value, (0, None))[1]
    age = GaugeMetricFamily("phlebo_outbox_oldest_pending_age_seconds",
                            "Age of the oldest message not yet sent (0 when none)")
    age.add_metric([], max((now - _aware(oldest)).total_seconds(), 0.0) if oldest else 0.0)
    yield age


def _scheduler(
    session: Session, now: dt.datetime
) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
    jobs = session.exec(select(SchedulerJob).order_by(SchedulerJob.name)).all()
    runs = CounterMetricFamily("phlebo_scheduler_job_runs", "Scheduled job runs (all schedulers)",
                               labels=["job"])
    failures = CounterMetricFamily("phlebo_scheduler_job_failures",
                                   "Scheduled job runs that failed", labels=["job"])
    success = GaugeMetricFamily("phlebo_scheduler_job_last_success_timestamp_seconds",
                                "When each job last ran without error (Unix time)",
                                labels=["job"])
    for job in jobs:
        runs.add_metric([job.name], job.runs)
        failures.add_metric([job.name], job.failures)
        if job.last_success_at is not None:
            success.add_metric([job.name], _aware(job.last_success_at).timestamp())
    yield runs
    yield failures
    yield success
    beats = [_aware(t) for j in jobs for t in (j.last_started_at, j.last_finished_at) if t]
    if beats:
        heartbeat = GaugeMetricFamily("phlebo_scheduler_heartbeat_age_seconds",
                                      "Seconds since a scheduler last started or ended a job")
        heartbeat.add_metric([], max((now - max(beats)).total_seconds(), 0.0))
        yield heartbeat


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)
