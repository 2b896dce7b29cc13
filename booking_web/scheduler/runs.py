"""Each job run is written down (one row a job), so the web site can tell that a scheduler is
alive (/readyz) and count runs and failures across every scheduler (/metrics)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from shared.db import insert_on_conflict
from shared.models import SchedulerJob

_RECORD_RUN = insert_on_conflict(
    SchedulerJob.__table__,  # type: ignore[attr-defined]
    ("name", "runs", "failures", "last_started_at", "last_finished_at", "last_success_at",
     "last_error"),
    conflict="name",
    update={
        "runs": "scheduler_job.runs + 1",
        "failures": "scheduler_job.failures + excluded.failures",
        "last_started_at": "excluded.last_started_at",
        "last_finished_at": "excluded.last_finished_at",
        "last_success_at": "COALESCE(excluded.last_success_at, scheduler_job.last_success_at)",
        "last_error": "excluded.last_error",
    },
    returning=("name",),
)


def record_job_run(
    *, engine: Engine, name: str, started: dt.datetime, finished: dt.datetime,
    error: BaseException | None = None,
) -> None:
    """Count one run of a job (a failure when `error` is given) in its own transaction. Only the
    error's type is kept: its message could quote what the job was working on."""
    with engine.begin() as conn:
        conn.execute(_RECORD_RUN, {
            "name": name, "runs": 1, "failures": 0 if error is None else 1,
            "last_started_at": started, "last_finished_at": finished,
            "last_success_at": finished if error is None else None,
            "last_error": "" if error is None else type(error).__name__[:200],
        })
