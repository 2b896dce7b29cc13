"""Run one flow command (blocking) and turn what happened into the flow's next event.

Every failure becomes a `Failed` event here, so the screens have one way to show errors.
Used inside a worker by the window, and directly by the headless check-in."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kiosk_app.api_client import ApiError, KioskApi
from kiosk_app.config import KioskConfig
from kiosk_app.flow import (
    CheckedIn,
    CheckIn,
    Command,
    Event,
    Failed,
    Identified,
    Identify,
    NotMeReported,
    PrintFinished,
    PrintLabels,
    ReportNotMe,
    WalkIn,
)
from kiosk_app.journal import PrintJournal
from kiosk_app.metrics import KioskMetrics
from kiosk_app.printing import PrinterFactory, not_printed, print_labels, printer_factory
from label_printer import LabelSize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Services:
    """What commands need: the server and a way to open the label printer."""

    api: KioskApi
    printer: PrinterFactory
    metrics: KioskMetrics = field(default_factory=KioskMetrics)
    journal: PrintJournal | None = None  # what was sent to the printer, kept across a crash


def build_services(config: KioskConfig) -> Services:
    """The API client and printer factory from config."""
    api = KioskApi(config.server_url, config.kiosk_key, timeout=config.http_timeout,
                   checkin_tries=config.checkin_tries, outbox_path=config.outbox_path)
    size = LabelSize(config.label_width_mm, config.label_height_mm)
    return Services(api=api, printer=printer_factory(config.printer_uri,
                                                     timeout=config.printer_timeout, size=size),
                    journal=PrintJournal(config.journal_path))


def execute(command: Command, services: Services) -> Event:
    """Run `command` to completion; never raises for expected trouble."""
    if isinstance(command, ReportNotMe):
        return _report_not_me(command, services)
    try:
        if isinstance(command, Identify):
            return Identified(services.api.identify(date_of_birth=command.date_of_birth,
                                                    qr=command.qr, reference=command.reference))
        if isinstance(command, CheckIn):
            return CheckedIn(services.api.checkin(reference=command.reference,
                                                  date_of_birth=command.date_of_birth,
                                                  request_id=command.request_id))
        if isinstance(command, WalkIn):
            return CheckedIn(services.api.walk_in(
                date_of_birth=command.date_of_birth, request_id=command.request_id,
                nhs_number=command.nhs_number, given_name=command.given_name,
                family_name=command.family_name, postcode=command.postcode))
        if isinstance(command, PrintLabels):
            return _print(command, services)
    except ApiError as exc:
        log.info("kiosk call refused: %s %s", exc.code, exc.message)
        return Failed(exc.code, exc.message, exc.extra)
    raise TypeError(f"Unknown command {command!r}")


def _report_not_me(command: ReportNotMe, services: Services) -> NotMeReported:
    """Best effort, and never a Failed event: by the time it answers, the kiosk may be serving
    the next patient, and the patient who said "not me" has been sent to reception."""
    try:
        services.api.report_not_me(reference=command.reference,
                                   date_of_birth=command.date_of_birth)
    except Exception as exc:  # noqa: BLE001 (any failure: log it, show nothing)
        log.error("could not report 'not me' to the server: %r", exc)
        return NotMeReported(sent=False)
    return NotMeReported()


def _print(command: PrintLabels, services: Services) -> PrintFinished:
    journal = services.journal if command.job_id is not None else None
    if journal is not None:
        ids = command.unreadable or tuple(label.specimen_id for label in command.labels)
        journal.begin(command.job_id, ids)  # type: ignore[arg-type]
    if command.unreadable:
        log.error("labels not printed: %s", command.unreadable_detail)
        report = not_printed(command.unreadable, command.unreadable_detail)
    else:
        observer = journal.observer(command.job_id) if journal is not None else None  # type: ignore[arg-type]
        report = print_labels(command.labels, services.printer, observer=observer)
    services.metrics.record_print(report.body)
    if command.job_id is not None:
        _report(services, command.job_id, report.body)
    return PrintFinished(ok=report.ok, detail=str(report.body["detail"]))


def _report(services: Services, job_id: int, body: dict[str, object]) -> None:
    """Send a job's report (the outbox keeps it if the server cannot take it now), then mark it
    reported in the journal. The patient is checked in whatever happens here."""
    try:
        services.api.report_print(job_id, body)
    except ApiError as exc:  # refused for good: sending it again would not help
        log.error("print report for job %s refused: %s", job_id, exc.message)
    if services.journal is not None:
        services.journal.reported(job_id)


def report_unfinished(services: Services) -> int:
    """After a restart: report each job the journal began and never reported (what it knows of
    each label: printed, not printed, or may have printed). Returns how many."""
    if services.journal is None:
        return 0
    pending = services.journal.unreported()
    for job_id, body in pending:
        log.warning("print job %s was not reported before the kiosk stopped: %s", job_id,
                    body["detail"])
        _report(services, job_id, body)
    services.journal.forget_reported()
    return len(pending)


def failure_event(exc: BaseException) -> Failed:
    """An unexpected exception from a worker, as the generic problem event."""
    log.error("kiosk worker failed", exc_info=exc)
    return Failed("error", "Something went wrong.")
