"""The server's print queue: print jobs the server sends itself (labels at the chair, staff
reprints) wait in print_job with a `next_try_at`, and `phlebo print-worker` sends them, so a web
request never waits for a printer.

Exactly once on paper, or marked REPRINT:
- a worker claims a job by a conditional UPDATE of its lease (two workers never hold one job;
  a dead worker's job is taken over when its lease ends);
- before a label's bytes go to the printer its outcome is journalled as unconfirmed and
  committed, so a worker that dies mid-job leaves that label unconfirmed, not pending: the next
  try prints it marked REPRINT, never a second unmarked copy;
- a job the printer did not finish (paper out, head open, ...) is tried again every
  `retry` seconds; each try prints only what is outstanding: not-sent labels as they are,
  unconfirmed ones marked REPRINT (a ZPL printer was told to drop what it held).
The chair's printer state is kept for the today page ("Chair 2 printer: paper out")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from booking_web.metrics import events
from booking_web.services.print_jobs import (
    job_rows,
    label_size,
    outstanding_labels,
    record_outcomes,
)
from label_printer import LabelData
from label_printer.errors import LabelDataError, PrinterAddressError
from label_printer.outcome import LabelState
from shared.config import Settings
from shared.models import (
    Chair,
    JobSource,
    JobStatus,
    LabelOutcome,
    PrintJob,
    PrintJobLabel,
    SitePrinter,
)

if TYPE_CHECKING:
    from label_printer import LabelPrinter

LEASE = dt.timedelta(seconds=60)  # longer than any job takes; renewed before each label
MAX_AGE = dt.timedelta(hours=14)  # a job not printed by the end of the clinic day is left

OpenPrinter = Callable[[str, Settings], "LabelPrinter"]


def _open(uri: str, settings: Settings) -> LabelPrinter:
    # Here, not at the top: the web workers import this module (reprints) but never print;
    # only `phlebo print-worker` does, and it loads the printer languages once.
    from label_printer import open_printer

    return open_printer(uri, timeout=settings.print_timeout_seconds,
                        size=label_size(settings))


@dataclass(frozen=True)
class Sent:
    """One job tried: its status after, and what the printer said."""

    job_id: int
    status: str
    printer_state: str
    detail: str


def claim_job(*, session: Session, now: dt.datetime) -> PrintJob | None:
    """Take the job due longest, if any, for `lease` (a conditional UPDATE: one worker wins)."""
    due = session.exec(
        select(PrintJob.id)
        .where(col(PrintJob.next_try_at).is_not(None), col(PrintJob.next_try_at) <= now,
               col(PrintJob.created_at) >= now - MAX_AGE,
               or_(col(PrintJob.lease_until).is_(None), col(PrintJob.lease_until) < now))
        .order_by(col(PrintJob.next_try_at), col(PrintJob.id))
        .limit(5)
    ).all()
    session.rollback()  # end the read: the claim is its own short transaction
    for job_id in due:
        taken = session.exec(  # type: ignore[call-overload]
            update(PrintJob)
            .where(col(PrintJob.id) == job_id, col(PrintJob.next_try_at).is_not(None),
                   or_(col(PrintJob.lease_until).is_(None), col(PrintJob.lease_until) < now))
            .values(lease_until=now + LEASE, tries=PrintJob.tries + 1)
        )
        session.commit()
        if taken.rowcount == 1:
            return session.get(PrintJob, job_id)
    return None


def printer_for(session: Session, job: PrintJob) -> tuple[str, Chair | None]:
    """The address a job prints to: its chair's printer, else the site's reprint printer."""
    chair = session.get(Chair, job.chair_id) if job.chair_id else None
    if chair is not None:
        return chair.printer_uri, chair
    site_printer = session.get(SitePrinter, job.site_id)
    return (site_printer.uri if site_printer else ""), None


class _Journal:
    """The job's labels in the database as they go (a label_printer JobObserver): a label is
    unconfirmed and committed before its first byte leaves, so a worker that dies mid-job leaves
    it unconfirmed (it reprints marked REPRINT), never pending; one the printer confirmed is
    committed with the next label's mark, or with the job's outcome."""

    def __init__(self, session: Session, job: PrintJob, rows: dict[str, PrintJobLabel],
                 clock: Callable[[], dt.datetime]):
        self.session, self.job, self.rows, self.clock = session, job, rows, clock

    def sending(self, label: LabelData) -> None:
        """Before the label's first byte: it may be on paper from now on."""
        row = self.rows[label.specimen_id]
        row.outcome = LabelOutcome.UNCONFIRMED
        self.session.add(row)
        self.job.lease_until = self.clock() + LEASE
        self.session.add(self.job)
        self.session.commit()

    def settled(self, label: LabelData, state: LabelState) -> None:
        """Confirmed, or left unconfirmed."""
        if state == "confirmed":
            row = self.rows[label.specimen_id]
            row.outcome = LabelOutcome.CONFIRMED
            self.session.add(row)


def send_job(*, session: Session, job: PrintJob, clock: Callable[[], dt.datetime],
             settings: Settings, open_printer: OpenPrinter = _open) -> Sent:
    """Print what a claimed job still has outstanding and record each label's outcome; commits.
    Printed: the job leaves the queue; otherwise it is tried again after `retry` seconds."""
    assert job.id is not None
    labels = outstanding_labels(session, job)  # unconfirmed ones come back marked REPRINT
    rows = {s.specimen_id or "": row for row, s in job_rows(session, job.id)}
    session.commit()  # keeps the REPRINT marks
    uri, chair = printer_for(session, job)

    journal = _Journal(session, job, rows, clock)
    try:
        if not uri:
            raise PrinterAddressError("No label printer is set up for this job.")
        outcome = open_printer(uri, settings).print_labels(labels, observer=journal)
        states = {r.label.specimen_id: r.state for r in outcome.results}
        printer_state, detail = outcome.status.state, outcome.detail
        said = outcome.status.detail  # what the printer itself said, for the today page
    except (PrinterAddressError, LabelDataError, OSError) as exc:
        states, printer_state, detail = {}, "unknown", f"Could not print: {exc}"
        said = detail
    now = clock()
    record_outcomes(session, job, states, printer_status=printer_state, detail=detail, now=now)
    # Counted from this try's own results: the journal has already marked earlier labels.
    printed = sum(state == LabelOutcome.CONFIRMED for state in states.values())
    failed = len(states) - printed
    done = job.status == JobStatus.PRINTED
    job.lease_until = None
    job.next_try_at = None if done else now + dt.timedelta(
        seconds=settings.print_retry_seconds)
    if not done and job.status == JobStatus.FAILED:
        job.status = JobStatus.PENDING  # still queued: nothing printed yet
    if not done and job.source == JobSource.STAFF:
        job.detail = said[:500]  # the reprint's page shows what its printer said
    session.add(job)
    if chair is not None:
        chair.printer_state = printer_state
        chair.printer_detail = ("ready" if done else said)[:300]
        chair.printer_checked_at = now
        session.add(chair)
    session.commit()
    events.labels_reported(source=cast(events.LabelSource, str(job.source)), printed=printed, failed=failed)
    return Sent(job.id, job.status, printer_state, chair.printer_detail if chair else detail)


def run_due_jobs(*, session: Session, clock: Callable[[], dt.datetime], settings: Settings,
                 open_printer: OpenPrinter = _open, limit: int = 100) -> list[Sent]:
    """Claim and send every job that is due (at most `limit`); what was sent, in order."""
    sent: list[Sent] = []
    while len(sent) < limit:
        job = claim_job(session=session, now=clock())
        if job is None:
            break
        sent.append(send_job(session=session, job=job, clock=clock, settings=settings,
                             open_printer=open_printer))
    return sent


def labels_waiting(session: Session, job_id: int) -> int:
    """How many of a job's labels no printer has confirmed."""
    return len(session.exec(select(PrintJobLabel).where(
        PrintJobLabel.job_id == job_id, PrintJobLabel.outcome != LabelOutcome.CONFIRMED)).all())
