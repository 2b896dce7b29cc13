"""The phlebotomist's today page: the queue, call next, label status and alerts, and for each
patient: details, labels, reprints (with reason, capped, queued for the print worker, PDF),
requests, collection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from booking_web.context import db, now, settings
from booking_web.messages import field_words, words
from booking_web.services import (
    chair_labels,
    chairs,
    collection,
    lab_requests,
    patient_records,
    print_jobs,
    reprints,
    site_admin,
    staff_queue,
    staff_walk_ins,
)
from booking_web.services.web_once import new_booking_key
from booking_web.staff import ANY_STAFF, actor, bp, current_staff, home_endpoint, role_required
from shared.errors import BookingError
from shared.models import Role
from shared.timeutil import format_date, london_today, to_local
from shared.validation import as_id


def _site_id() -> int | None:
    """The site whose day is shown: the phlebotomist's own, or the one an admin picked."""
    user = current_staff()
    assert user is not None
    if user.role == Role.ADMIN:
        chosen = session.get("site_id")
        return chosen if isinstance(chosen, int) else None
    return user.site_id


def _report_timeout() -> dt.timedelta:
    """How long a kiosk job may go without a report before staff see it label by label."""
    return dt.timedelta(seconds=settings().print_report_timeout_seconds)


def _local(instant):  # type: ignore[no-untyped-def]
    return to_local(instant) if instant else None


@bp.get("/")
def home() -> BaseResponse:
    """Straight to the right first page."""
    user = current_staff()
    if user is None:
        return redirect(url_for("staff.login"))
    return redirect(url_for(home_endpoint(user.role)))


@bp.get("/today")
@role_required(*ANY_STAFF)
def today() -> str | BaseResponse:
    """Today's queue at the site."""
    site_id = _site_id()
    if site_id is None:
        if current_staff().role == Role.ADMIN:  # type: ignore[union-attr]
            return render_template(
                "staff/choose_site.html", sites=site_admin.list_sites(session=db()), errors={}
            )
        return render_template("staff/no_site.html")
    return today_page(site_id)


def today_page(site_id: int, errors: dict[str, str] | None = None, form: Any = None) -> str:
    """The today page; `errors` and `form` are the "Add a walk-in" form's, sent back to fix."""
    site = site_admin.get_site(session=db(), site_id=site_id)
    day = london_today(now())
    rows = staff_queue.day_list(
        session=db(),
        site_id=site_id,
        day=day,
        now=now(),
        late_after=dt.timedelta(minutes=settings().checkin_late_minutes),
        report_timeout=_report_timeout(),
    )
    return render_template(
        "staff/today.html",
        site=site,
        day=format_date(day),
        rows=rows,
        local=_local,
        updated_at=f"{to_local(now()):%H:%M:%S}",
        alerts=[r for r in rows if r.label_alert],
        chairs=chairs.list_chairs(session=db(), site_id=site_id, active_only=True)
        if chairs.prints_at_chair(db(), site_id) else [],
        printer_faults=chair_labels.chair_faults(session=db(), site_id=site_id, now=now()),
        walk_ins=staff_walk_ins.walk_in_setting(session=db(), site_id=site_id),
        walk_in_key=(form or {}).get("key") or new_booking_key(),
        errors=errors or {},
        form=form or {},
    )


@bp.post("/today/site")
@role_required(Role.ADMIN)
def choose_site() -> BaseResponse | tuple[str, int]:
    """An admin picks the site whose day to run."""
    try:
        site = site_admin.get_site(session=db(), site_id=as_id(request.form.get("site_id", "")) or 0)
    except BookingError:
        return render_template(
            "staff/choose_site.html",
            sites=site_admin.list_sites(session=db()),
            errors={"site_id": "Choose a site"},
        ), 200
    session["site_id"] = site.id
    return redirect(url_for("staff.today"))


@bp.post("/today/call-next")
@role_required(*ANY_STAFF)
def call_next() -> BaseResponse:
    """Call the next patient in the queue."""
    site_id = _site_id()
    if site_id is None:
        return redirect(url_for("staff.today"))
    row = staff_queue.call_next(
        session=db(), site_id=site_id, day=london_today(now()), actor=actor(), now=now()
    )
    if row is None:
        flash("Nobody is waiting.")
    else:
        urgent = " Urgent request." if row.urgent else ""
        flash(f"Call number {row.queue_number}: {row.family_name.upper()}, {row.given_name}.{urgent}")
    return redirect(url_for("staff.today"))


def _patient_page(
    appointment_id: int, errors: dict[str, str] | None = None, status: int = 200, **extra: Any
) -> tuple[str, int]:
    row = staff_queue.patient_details(
        session=db(), appointment_id=appointment_id, site_id=_site_id(), actor=actor(), now=now(),
        report_timeout=_report_timeout(),
    )
    panel = chair_labels.chair_panel(session=db(), appointment_id=appointment_id,
                                     site_id=_site_id())
    return render_template(
        "staff/patient.html",
        row=row,
        chair=panel,
        form_date={p: request.form.get(f"dob-{p}", "") for p in ("day", "month", "year")},
        tube_choices=TUBE_CHOICES,
        errors=errors or {},
        reprint_cap=settings().reprint_cap,
        reprint_reasons=reprints.REPRINT_REASONS,
        form=request.form,
        **_reprint_region(appointment_id),
        **extra,
    ), status


@bp.get("/today/<int:appointment_id>")
@role_required(*ANY_STAFF)
def patient(appointment_id: int) -> tuple[str, int]:
    """One patient's details and labels (each look is in the audit log)."""
    try:
        return _patient_page(appointment_id)
    except BookingError:
        abort(404)


def _after(
    appointment_id: int,
    call: Callable[[], object],
    message: str | Callable[[Any], str],
    rename: dict[str, str] | None = None,
) -> BaseResponse | tuple[str, int]:
    """Run a service call; on a refusal show the patient page with the error summary (field
    names renamed to the ids of their inputs). `message` may be made from the call's result."""
    try:
        result = call()
    except BookingError as exc:
        if exc.code == "not_found":
            abort(404)
        db().rollback()
        fields = {(rename or {}).get(k, k): v for k, v in field_words(exc).items()}
        return _patient_page(appointment_id, fields or {"_error": words(exc)})
    flash(message(result) if callable(message) else message)
    return redirect(url_for("staff.patient", appointment_id=appointment_id))


@bp.post("/today/<int:appointment_id>/collected")
@role_required(*ANY_STAFF)
def collected(appointment_id: int) -> BaseResponse | tuple[str, int]:
    """Record that the blood was taken."""
    return _after(
        appointment_id,
        lambda: staff_queue.mark_collected(
            session=db(),
            appointment_id=appointment_id,
            site_id=_site_id(),
            actor=actor(),
            now=now(),
            choices=_tube_choices(),
            settings=settings(),
        ),
        "Recorded as collected.",
    )


# Each tube's radios: collected, or not taken with the reason.
TUBE_CHOICES = (
    {"value": "collected", "text": "Collected"},
    {"value": "not_taken:declined", "text": "Not taken: the patient declined"},
    {"value": "not_taken:could_not_obtain", "text": "Not taken: could not obtain"},
    {"value": "not_taken:wrong_tube", "text": "Not taken: wrong tube"},
)


def _tube_choices() -> dict[str, collection.TubeChoice] | None:
    """What the form says happened to each tube ('tube-<specimen id>' fields); None when the form
    has none (a booking without a request: the button alone)."""
    fields = {k[5:]: v for k, v in request.form.items() if k.startswith("tube-")}
    if not fields and request.form.get("tubes") != "1":
        return None
    return {sid[:10]: choice for sid, value in fields.items() if (choice := collection.parse_choice(value))}


@bp.post("/today/<int:appointment_id>/request")
@role_required(*ANY_STAFF)
def attach_request(appointment_id: int) -> BaseResponse | tuple[str, int]:
    """Attach a test request to a booking, before check-in or at the chair."""
    return _after(
        appointment_id,
        lambda: lab_requests.attach_request(
            session=db(),
            appointment_id=appointment_id,
            request_number=request.form.get("request_number", "")[:40],
            actor=actor(),
            now=now(),
            site_id=_site_id(),
        ),
        lambda appt: "Request added."
        if appt.status == "booked"
        else "Request added at the chair. Its tubes have no printed labels: "
        "label them by hand, after asking the patient's name and date of birth.",
    )


@bp.post("/today/<int:appointment_id>/reprint")
@role_required(*ANY_STAFF)
def reprint(appointment_id: int) -> BaseResponse | tuple[str, int]:
    """Queue one label again, marked REPRINT, with a reason; capped; one job per press."""
    sid = request.form.get("specimen_id", "")[:10]
    seen = request.form.get("seen", "")
    try:
        result = reprints.reprint_specimen(
            session=db(),
            specimen_id_text=sid,
            site_id=_site_id(),
            actor=actor(),
            reason=request.form.get("reason", "")[:20],
            other=request.form.get("reason_other", "")[:250],
            checked_printer=request.form.get("checked_printer") == "yes",
            seen=int(seen) if seen.isascii() and seen.isdigit() and len(seen) < 4 else None,
            now=now(),
            settings=settings(),
        )
    except BookingError as exc:
        if exc.code == "not_found":
            abort(404)
        db().rollback()
        ids = {"reason": f"reason-{sid}", "reason_other": f"reason-other-{sid}",
               "checked_printer": f"checked-printer-{sid}"}
        fields = {ids.get(k, k): v for k, v in field_words(exc).items()}
        return _patient_page(appointment_id, fields or {"_error": words(exc)})
    flash(_reprint_message(sid, result))
    return redirect(url_for("staff.patient", appointment_id=appointment_id))


def _reprint_message(specimen_id: str, result: reprints.ReprintResult) -> str:
    if result.again:
        return (f"Label {specimen_id} was already sent for reprinting: no second copy was made. "
                "Reprints below shows where it stands.")
    if not result.printer:
        return ("Reprint recorded (marked REPRINT). No label printer is set up for this site: "
                "print the PDF under Reprints below.")
    where = "the site's label printer" if result.printer == "site" else result.printer
    return (f"Reprint recorded (marked REPRINT). Label {specimen_id} is queued for {where}: "
            "Reprints below shows when it has printed.")


@bp.get("/today/<int:appointment_id>/reprints")
@role_required(*ANY_STAFF)
def reprint_status(appointment_id: int) -> str:
    """Where a patient's reprints stand (the patient page fetches this while one is waiting, so
    the audited patient page is not read again every few seconds)."""
    return render_template("staff/_reprints.html", **_reprint_region(appointment_id))


def _reprint_region(appointment_id: int) -> dict[str, Any]:
    try:
        jobs = reprints.reprint_jobs(session=db(), appointment_id=appointment_id,
                                     site_id=_site_id(), now=now())
    except BookingError:
        abort(404)
    return {"reprint_jobs": jobs, "appointment_id": appointment_id, "local": _local,
            "updated_at": f"{to_local(now()):%H:%M:%S}"}


@bp.post("/today/<int:appointment_id>/cancel")
@role_required(*ANY_STAFF)
def cancel(appointment_id: int) -> BaseResponse | tuple[str, int]:
    """Cancel a booking for the patient, with a reason."""
    return _after(
        appointment_id,
        lambda: staff_queue.cancel_for_patient(
            session=db(),
            appointment_id=appointment_id,
            site_id=_site_id(),
            actor=actor(),
            reason=request.form.get("reason", "")[:300],
            now=now(),
        ),
        "Booking cancelled.",
        rename={"reason": "cancel-reason"},
    )


@bp.post("/today/<int:appointment_id>/name")
@role_required(*ANY_STAFF)
def correct_name(appointment_id: int) -> BaseResponse | tuple[str, int]:
    """Correct the patient's name on their record, with a reason (audited, old and new)."""
    return _after(
        appointment_id,
        lambda: patient_records.correct_patient_name(
            session=db(),
            appointment_id=appointment_id,
            site_id=_site_id(),
            given_name=request.form.get("given_name", "")[:200],
            family_name=request.form.get("family_name", "")[:200],
            reason=request.form.get("reason", "")[:600],
            actor=actor(),
            now=now(),
        ),
        "Name corrected. Labels printed before now still show the old name.",
        rename={"given_name": "correct-given-name", "family_name": "correct-family-name",
                "reason": "correct-reason"},
    )


@bp.get("/print-jobs/<int:job_id>/labels.pdf")
@role_required(*ANY_STAFF)
def reprint_pdf(job_id: int) -> Response:
    """A reprint job's labels as a PDF (each says REPRINT)."""
    try:
        pdf = print_jobs.job_pdf(session=db(), job_id=job_id, site_id=_site_id(),
                                 settings=settings())
    except BookingError:
        abort(404)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="reprint-{job_id}.pdf"'},
    )
