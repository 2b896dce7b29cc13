"""The kiosk API: status, identify, check in, and print results. Kiosk keys only, each bound to
its site. The contract is written down in the kiosk helper's brief and tests/integration."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from flask import g, jsonify, request

from booking_web.api import (
    CODE_STATUS,
    answer,
    booking_error_response,
    bp,
    idempotent,
    json_body,
    json_params,
    keyed,
    require_key,
)
from booking_web.context import db, now, settings
from booking_web.services import checkin, kiosk_reports, print_jobs, walk_ins
from booking_web.services.idempotency import check_key
from booking_web.services.print_jobs import LabelReport
from label_printer import LabelData
from shared.errors import Problem, ValidationFailed, problem
from shared.models import KeyKind, Site
from shared.nhs_number import number_problem
from shared.timeutil import format_time, iso_local, london_today
from shared.validation import parse_iso_date

# Kiosk refusals are conflicts with the booking's state; a bad QR code is a bad request.
CODE_STATUS.update(
    {
        "invalid_qr": 400,
        "wrong_site": 409,
        "wrong_day": 409,
        "cancelled": 409,
        "already_checked_in": 409,
        "too_early": 409,
        "too_late": 409,
        "no_walk_ins": 409,
        "no_clinic": 409,
        "no_request": 409,
        "walk_ins_full": 409,
    }
)

KIOSK = KeyKind.KIOSK


@bp.errorhandler(checkin.CheckinRefused)
def _refused(error: checkin.CheckinRefused):  # type: ignore[no-untyped-def]
    """A check-in refusal also gives its values beside the code (queue_number, starts_at,
    site_name, site_address, checkin_opens_at), for the kiosk's own words."""
    db().rollback()
    return booking_error_response(error, **json_params(error.params))


def label_json(label: LabelData) -> dict[str, object]:
    """A label as the kiosk API sends it."""
    data = dataclasses.asdict(label)
    data["date_of_birth"] = label.date_of_birth.isoformat()
    data["tests"] = list(label.tests)
    data["sequence"] = list(label.sequence) if label.sequence else None
    data["collected_at"] = label.collected_at.isoformat() if label.collected_at else None
    return data


def _site_id() -> int:
    return int(g.api_key.site_id)


def _dob(data: dict[str, Any]) -> dt.date:
    value, wrong = parse_iso_date(data.get("date_of_birth"), today=london_today(now()))
    if wrong:
        raise ValidationFailed(wrong, fields={"date_of_birth": wrong})
    assert value is not None
    return value


def _print_report(data: dict[str, Any]) -> tuple[list[LabelReport], str, str]:
    """A print report body as (results, printer status, detail); wrong JSON types are refused
    here, all fields at once, and the values are checked by the service."""
    fields: dict[str, Problem] = {}
    results: list[LabelReport] = []
    raw = data.get("results")
    if not isinstance(raw, list):
        fields["results"] = problem("results_list")
    else:
        for i, item in enumerate(raw):
            sid = item.get("specimen_id") if isinstance(item, dict) else None
            outcome = item.get("outcome") if isinstance(item, dict) else None
            if not isinstance(sid, str):
                fields[f"results[{i}].specimen_id"] = problem("specimen_id_text")
            elif not isinstance(outcome, str):
                fields[f"results[{i}].outcome"] = problem("outcome_invalid")
            else:
                results.append(LabelReport(sid, outcome))
    printer_status, detail = data.get("printer_status"), data.get("detail")
    if not isinstance(printer_status, str):
        fields["printer_status"] = problem("printer_status_invalid")
    if detail is not None and not isinstance(detail, str):
        fields["detail"] = problem("detail_text")
    if fields:
        raise ValidationFailed("print_result_invalid", fields=fields)
    return results, str(printer_status), detail or ""


def _text(data: dict[str, Any], name: str, limit: int = 40) -> str:
    value = data.get(name)
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > limit
        or not value.isprintable()
    ):
        raise ValidationFailed("text_needed", fields={name: problem("text_expected", longest=limit)},
                               name=name)
    return value.strip()


@bp.get("/kiosk/status")
@require_key(KIOSK)
def kiosk_status():  # type: ignore[no-untyped-def]
    site = db().get(Site, _site_id())
    return jsonify(
        {
            "site_id": _site_id(),
            "site_name": site.name if site else "",
            "server_time": iso_local(now()),
        }
    )


@bp.post("/kiosk/identify")
@require_key(KIOSK)
def kiosk_identify():  # type: ignore[no-untyped-def]
    data = json_body()
    qr = data.get("qr")
    if qr is not None and not isinstance(qr, str):
        raise ValidationFailed("qr_not_text", fields={"qr": problem("text_only_expected")})
    reference = None if qr is not None else _text(data, "reference")
    found = checkin.identify_appointment(
        session=db(),
        site_id=_site_id(),
        api_key_id=g.api_key.id,
        reference=reference,
        qr=qr,
        date_of_birth=_dob(data),
        now=now(),
        settings=settings(),
    )
    return jsonify(
        {
            "reference": found.reference,
            "masked_name": found.masked_name,
            "starts_at": iso_local(found.starts_at),
            "local_time": format_time(found.starts_at),  # as the web and the letter say it
            "appointment_type": found.appointment_type,
            "site_name": found.site_name,
        }
    )


def _idempotency_key() -> str | None:
    raw = request.headers.get("Idempotency-Key")
    return None if raw is None else check_key(raw)


def _checked_in_json(done: checkin.CheckedIn) -> Any:
    """A check-in's answer (booked or walk-in): the number, the wait and the labels to print."""
    return jsonify(
        {
            "reference": done.reference,
            "queue_number": done.queue_number,
            "wait_minutes": done.wait_minutes,
            "labels": [label_json(x) for x in done.labels],
            "hand_label": list(done.hand_label),
            "print_job": {"id": done.job_id, "status": done.job_status},
        }
    )


@bp.post("/kiosk/checkin")
@require_key(KIOSK)
def kiosk_checkin():  # type: ignore[no-untyped-def]
    data = json_body()
    done = checkin.check_in(
        session=db(),
        site_id=_site_id(),
        api_key_id=g.api_key.id,
        reference=_text(data, "reference"),
        date_of_birth=_dob(data),
        request_id=data.get("request_id"),
        now=now(),
        settings=settings(),
        idempotency_key=_idempotency_key(),
    )
    return _checked_in_json(done)


def _walk_in_identity(data: dict[str, Any]) -> walk_ins.WalkInIdentity:
    """NHS number, or else first name, last name and postcode; always the date of birth."""
    dob = _dob(data)
    if data.get("nhs_number") is not None:
        number = _text(data, "nhs_number", 20)
        wrong = number_problem(number)
        if wrong:
            raise ValidationFailed(wrong, fields={"nhs_number": wrong})
        return walk_ins.WalkInIdentity(dob, nhs_number=number)
    return walk_ins.WalkInIdentity(dob, given_name=_text(data, "given_name", 100),
                                   family_name=_text(data, "family_name", 100),
                                   postcode=_text(data, "postcode", 10))


@bp.post("/kiosk/walk-in")
@require_key(KIOSK)
def kiosk_walk_in():  # type: ignore[no-untyped-def]
    """A patient with a test request but no booking (walk_ins.py)."""
    data = json_body()
    try:
        done = walk_ins.walk_in(
            session=db(),
            site_id=_site_id(),
            api_key_id=g.api_key.id,
            who=_walk_in_identity(data),
            request_id=data.get("request_id"),
            now=now(),
            settings=settings(),
            idempotency_key=_idempotency_key(),
        )
    except checkin.CheckinRefused as refused:
        # Every walk-in refusal ends in "book online or speak to reception": where to book, in
        # the form a patient types it (no scheme), for the kiosk's own words.
        db().rollback()
        return booking_error_response(refused, **json_params(refused.params),
                                      book_online_at=settings().public_url.split("://", 1)[-1].rstrip("/"))
    return _checked_in_json(done)


def _recorded(_report: object) -> tuple[int, dict[str, Any]]:
    return 200, {"recorded": True}


@bp.post("/kiosk/not-me")
@require_key(KIOSK)
@idempotent
def kiosk_not_me():  # type: ignore[no-untyped-def]
    """The patient said the booking the kiosk found was not theirs: flag it for staff."""
    data = json_body()
    report = kiosk_reports.report_not_me(
        session=db(),
        site_id=_site_id(),
        api_key_id=g.api_key.id,
        reference=_text(data, "reference"),
        date_of_birth=_dob(data),
        now=now(),
        settings=settings(),
        once=keyed(_recorded),
    )
    return answer(_recorded, report)


def _job_status(job: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"status": job.status}


@bp.post("/kiosk/print-jobs/<int:job_id>")
@require_key(KIOSK)
@idempotent
def kiosk_print_result(job_id: int):  # type: ignore[no-untyped-def]
    results, printer_status, detail = _print_report(json_body())
    job = print_jobs.report_print_result(
        session=db(),
        job_id=job_id,
        site_id=_site_id(),
        results=results,
        printer_status=printer_status,
        detail=detail,
        now=now(),
        once=keyed(_job_status),
    )
    return answer(_job_status, job)
