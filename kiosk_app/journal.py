"""The print journal: what the kiosk meant to print and what became of each label, on disk
before the bytes go to the printer, so a kiosk that dies mid-job can say after a restart which
labels printed, which did not, and which may have (unknown).

One JSON object a line, appended, flushed and fsynced:
    {"job": 12, "event": "job", "labels": ["0000000013", "0000000021"]}
    {"job": 12, "event": "sending", "label": "0000000013"}
    {"job": 12, "event": "settled", "label": "0000000013", "state": "confirmed"}
    {"job": 12, "event": "reported"}
A line torn by a crash mid-write is ignored (it can only be the last one). Once every job in
it is reported the file is emptied."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from label_printer import LabelData
from label_printer.outcome import LabelState

log = logging.getLogger(__name__)


class PrintJournal:
    """The journal file; one kiosk process writes it (a lock keeps its threads in order)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    # -- writing ---------------------------------------------------------------------------
    def begin(self, job_id: int, specimen_ids: Sequence[str]) -> None:
        """A print job is about to start: its labels, in print order."""
        self._append({"job": job_id, "event": "job", "labels": list(specimen_ids)})

    def observer(self, job_id: int) -> JobRecorder:
        """A label_printer JobObserver that writes this job's labels as they go."""
        return JobRecorder(self, job_id)

    def reported(self, job_id: int) -> None:
        """The server has the job's report (or the report outbox does): nothing left to tell."""
        self._append({"job": job_id, "event": "reported"})

    # -- reading ---------------------------------------------------------------------------
    def unreported(self) -> list[tuple[int, dict[str, Any]]]:
        """Each job begun and not reported, with the report it makes: a label settled keeps its
        state, a label being sent when the kiosk stopped is unconfirmed (it may be on paper),
        and a label never sent is not_sent."""
        jobs: dict[int, dict[str, Any]] = {}
        for record in self._records():
            job = record.get("job")
            if not isinstance(job, int):
                continue
            event = record.get("event")
            if event == "job":
                jobs[job] = {"labels": [str(x) for x in record.get("labels", [])], "states": {}}
            elif event == "reported":
                jobs.pop(job, None)
            elif job in jobs and event == "sending":
                jobs[job]["states"].setdefault(str(record.get("label")), "unconfirmed")
            elif job in jobs and event == "settled":
                jobs[job]["states"][str(record.get("label"))] = str(record.get("state"))
        return [(job, _report(data["labels"], data["states"])) for job, data in jobs.items()]

    def forget_reported(self) -> None:
        """Empty the file when every job in it is reported (it only grows until then)."""
        with self._lock:
            if self.path.exists() and not self._any_unreported():
                self.path.write_text("")

    def _any_unreported(self) -> bool:
        ids = set()
        for record in self._records():
            if record.get("event") == "job":
                ids.add(record.get("job"))
            elif record.get("event") == "reported":
                ids.discard(record.get("job"))
        return bool(ids)

    def _records(self) -> list[dict[str, Any]]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        records = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                log.warning("print journal %s: a torn line is skipped", self.path)
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def _append(self, record: dict[str, Any]) -> None:
        data = (json.dumps(record) + "\n").encode()
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)  # on disk before the label's bytes leave for the printer
            finally:
                os.close(fd)


class JobRecorder:
    """Writes one job's `sending` and `settled` events (a label_printer JobObserver)."""

    def __init__(self, journal: PrintJournal, job_id: int):
        self._journal, self._job = journal, job_id

    def sending(self, label: LabelData) -> None:
        """Before the label's first byte."""
        self._journal._append({"job": self._job, "event": "sending",
                               "label": label.specimen_id})

    def settled(self, label: LabelData, state: LabelState) -> None:
        """Confirmed, or left unconfirmed."""
        self._journal._append({"job": self._job, "event": "settled",
                               "label": label.specimen_id, "state": state})


def _report(labels: list[str], states: dict[str, str]) -> dict[str, Any]:
    results = [{"specimen_id": sid, "outcome": states.get(sid, "not_sent")} for sid in labels]
    done = sum(r["outcome"] == "confirmed" for r in results)
    unsure = sum(r["outcome"] == "unconfirmed" for r in results)
    detail = (f"The kiosk stopped before it reported this job: {done} of {len(results)} labels "
              "printed")
    if unsure:
        detail += f"; {unsure} may have printed (check the printer before reprinting)"
    return {"results": results, "printer_status": "unknown", "detail": detail + "."}
