"""Is this site ready to serve? The database answers and its schema is at the newest migration,
the scheduler (when one is expected) ran a job recently, and no message is stuck in the outbox.
Cheap enough to be asked every few seconds: three small queries, no patient data."""

from __future__ import annotations

import ast
import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from booking_web.migrate import MIGRATIONS, alembic_config
from shared.config import Settings
from shared.models import OutboxMessage, OutboxStatus, SchedulerJob


@dataclass(frozen=True)
class Check:
    """One readiness check: passed or not, and why in a few words."""

    name: str
    ok: bool
    detail: str


@functools.cache
def migration_head() -> str:
    """The newest migration in this release (read from the scripts once a process): the one
    revision that no other revision names as its down_revision."""
    # Read with ast, not Alembic's ScriptDirectory: importing Alembic (with Mako and Pygments)
    # and every migration script costs a web worker about 8 MiB, and the health check asks
    # /readyz often enough to bring it into every worker. Anything but one plain chain
    # (a branch, a merge) is left to Alembic. tests/unit/test_lazy_imports.py checks both agree.
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = _revision_names(path)
        if found is None:
            return _alembic_head()
        revision, down = found
        revisions.add(revision)
        parents.update(down)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else _alembic_head()


def _revision_names(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """(revision, down revisions) as a migration script assigns them, or None when they are not
    plain literals."""
    values: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                return None
    revision, down = values.get("revision"), values.get("down_revision")
    if not isinstance(revision, str) or "down_revision" not in values:
        return None
    if down is None or isinstance(down, str):
        return revision, (down,) if down else ()
    if isinstance(down, tuple) and all(isinstance(d, str) for d in down):
        return revision, down
    return None


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def heartbeat_limit(settings: Settings) -> dt.timedelta:
    """How old the scheduler's last job run may be: three missed ticks, plus a minute."""
    return dt.timedelta(seconds=3 * max(settings.scheduler_interval_seconds, 1) + 60)


def check_readiness(*, engine: Engine, settings: Settings, now: dt.datetime) -> list[Check]:
    """Every readiness check, in order; the others wait until the database answers."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except SQLAlchemyError:
                version = None
    except SQLAlchemyError as exc:
        return [Check("database", False, f"database not reachable ({type(exc).__name__})")]
    head = migration_head()
    checks = [
        Check("database", True, "answered"),
        Check("migrations", version == head,
              f"at {version}" if version == head
              else f"at {version or 'nothing'}, this release needs {head} (run phlebo init-db)"),
    ]
    with Session(engine) as session:
        checks.append(_scheduler(session, settings, now))
        checks.append(_outbox(session, settings, now))
    return checks


def _scheduler(session: Session, settings: Settings, now: dt.datetime) -> Check:
    finished, started = session.exec(select(func.max(SchedulerJob.last_finished_at),
                                            func.max(SchedulerJob.last_started_at))).one()
    beats = [_aware(t) for t in (finished, started) if t is not None]
    if not beats:
        if settings.expect_scheduler:
            return Check("scheduler", False, "no scheduler has run a job yet")
        return Check("scheduler", True, "not expected (PHLEBO_EXPECT_SCHEDULER is off)")
    age = now - max(beats)
    fresh = age <= heartbeat_limit(settings)
    detail = f"last job run {int(age.total_seconds())} s ago"
    if not settings.expect_scheduler:
        return Check("scheduler", True, detail + " (not expected)")
    return Check("scheduler", fresh, detail if fresh else detail + ": the scheduler has stopped")


def _outbox(session: Session, settings: Settings, now: dt.datetime) -> Check:
    limit = dt.timedelta(minutes=settings.outbox_stuck_minutes)
    oldest_due = session.exec(
        select(func.min(OutboxMessage.next_try_at)).where(
            col(OutboxMessage.status) == OutboxStatus.PENDING,
            col(OutboxMessage.next_try_at) <= now,
        )
    ).one()
    if oldest_due is None:
        return Check("outbox", True, "no message waiting to be sent")
    late = now - _aware(oldest_due)
    minutes = int(late.total_seconds() // 60)
    if late > limit:
        return Check("outbox", False, f"a message has been due for {minutes} min and not sent")
    return Check("outbox", True, f"oldest message due {minutes} min ago")


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)
