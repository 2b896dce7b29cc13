"""What the running system reports about itself: the scheduler's job runs (its heartbeat)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel


class SchedulerJob(SQLModel, table=True):
    """One row a scheduled job: how often it ran and failed, and when. Kept in the database
    because the scheduler is a process (or host) of its own: the web site reads it for
    /readyz (heartbeat) and /metrics (runs and failures, counted across every scheduler)."""

    __tablename__ = "scheduler_job"

    name: str = Field(primary_key=True, max_length=40)
    runs: int = 0
    failures: int = 0
    last_started_at: dt.datetime | None = None
    last_finished_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None
    last_error: str = Field(default="", max_length=200)  # the exception's type only: no data
