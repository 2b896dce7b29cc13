"""`phlebo print-worker`: sends the server's queued print jobs (labels at the chair, staff
reprints) to their printers, in its own process, so no web request waits for a printer. Run one or more: a job is
claimed by one worker at a time (booking_web/services/print_queue.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable, Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session

from booking_web.services.print_queue import run_due_jobs
from shared.config import Settings
from shared.db import make_engine
from shared.timeutil import utcnow

log = logging.getLogger(__name__)


class PrintWorker:
    """A loop that sends due print jobs every `interval` seconds until stopped."""

    def __init__(self, *, engine: Engine, settings: Settings, interval: float = 0.5,
                 clock: Callable[[], dt.datetime] = utcnow):
        self.engine = engine
        self.settings = settings
        self.interval = interval
        self.clock = clock
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Send every job due now; how many were tried."""
        with Session(self.engine, expire_on_commit=False) as session:
            sent = run_due_jobs(session=session, clock=self.clock, settings=self.settings)
        for job in sent:
            log.info("print job %s: %s (printer %s: %s)", job.job_id, job.status,
                     job.printer_state, job.detail)
        return len(sent)

    def run(self) -> None:
        """Until stop(): a failure (database down) is logged and tried again next time."""
        while not self.stopping.is_set():
            try:
                self.run_once()
            except Exception:  # the worker must outlive one bad round
                log.exception("print worker round failed")
            self.stopping.wait(self.interval)

    def start(self) -> PrintWorker:
        """Run in a background thread (the demo, tests)."""
        self._thread = threading.Thread(target=self.run, name="print-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the current round."""
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


def main(argv: Sequence[str] | None = None) -> int:
    """`phlebo print-worker [--once] [--interval S]`."""
    parser = argparse.ArgumentParser(prog="phlebo print-worker", description=__doc__)
    parser.add_argument("--once", action="store_true", help="send what is due now, then stop")
    parser.add_argument("--interval", type=float, default=0.5,
                        help="seconds between looks at the queue (default 0.5)")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    worker = PrintWorker(engine=engine, settings=settings, interval=max(args.interval, 0.05))
    try:
        if args.once:
            print(f"Sent {worker.run_once()} print job(s).")
            return 0
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: worker.stopping.set())
        print("print-worker running", flush=True)
        worker.run()
        return 0
    finally:
        engine.dispose()
