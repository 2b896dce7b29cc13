"""Staff pages for labels at the chair: admins set where a site's labels print and its chairs
with their printers; phlebotomists call the next patient to a chair and confirm who they are,
which queues the labels for that chair's printer (the print worker sends them)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from booking_web.context import db, now, settings
from booking_web.messages import field_words, words
from booking_web.services import chair_labels, chairs, display, site_admin, staff_queue
from booking_web.staff import ANY_STAFF, actor, bp, role_required
from booking_web.staff.forms import read_date
from booking_web.staff.today import _patient_page, _site_id
from shared.errors import BookingError, ValidationFailed, problem
from shared.models import Role
from shared.timeutil import london_today, to_local

admin_only = role_required(Role.ADMIN)


def _chairs_page(site_id: int, errors: dict[str, str] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    try:
        site = site_admin.get_site(session=db(), site_id=site_id)
    except BookingError:
        abort(404)
    policy = chairs.site_printing(session=db(), site_id=site_id)
    form = request.form if request.method == "POST" else {
        "print_at": policy.print_at, "transfusion_labels": "yes" if policy.transfusion_labels
        else "", "transfusion_approved_by": policy.transfusion_approved_by}
    return render_template("staff/admin/chairs.html", site=site, policy=policy, form=form,
                           chairs=chairs.list_chairs(session=db(), site_id=site_id),
                           call_screen=display.site_display(session=db(), site_id=site_id),
                           errors=errors or {}, local=to_local), status


@bp.get("/admin/sites/<int:site_id>/chairs")
@admin_only
def site_chairs(site_id: int):  # type: ignore[no-untyped-def]
    """Where the site's labels print, and its chairs with their label printers."""
    return _chairs_page(site_id)


@bp.post("/admin/sites/<int:site_id>/label-settings")
@admin_only
def save_label_settings(site_id: int):  # type: ignore[no-untyped-def]
    """Labels at check-in or at the chair; printed transfusion labels with the lab's approval."""
    f = request.form
    try:
        chairs.save_site_printing(session=db(), site_id=site_id, actor=actor(), now=now(),
                                  form=chairs.PrintingForm(
                                      f.get("print_at", "")[:10],
                                      f.get("transfusion_labels") == "yes",
                                      f.get("transfusion_approved_by", "")[:200]))
    except ValidationFailed as exc:
        db().rollback()
        return _chairs_page(site_id, field_words(exc))
    except BookingError:
        abort(404)
    flash("Label settings saved.")
    return redirect(url_for("staff.site_chairs", site_id=site_id))


@bp.post("/admin/sites/<int:site_id>/call-screen")
@admin_only
def save_call_screen(site_id: int) -> Response:
    """Whether the site's waiting-room screens say each call aloud."""
    try:
        display.save_site_display(session=db(), site_id=site_id, actor=actor(), now=now(),
                                  speak_calls=request.form.get("speak_calls") == "yes")
    except BookingError:
        abort(404)
    flash("Call screen setting saved.")
    return redirect(url_for("staff.site_chairs", site_id=site_id) + "#call-screen")


@bp.post("/admin/sites/<int:site_id>/chairs")
@admin_only
def save_site_chair(site_id: int):  # type: ignore[no-untyped-def]
    """Add a chair, or change one (its name, printer, whether it is in use)."""
    f = request.form
    raw_id = f.get("chair_id", "")
    try:
        chair = chairs.save_chair(session=db(), site_id=site_id,
                                  chair_id=int(raw_id) if raw_id.isdigit() else None,
                                  name=f.get("name", "")[:80],
                                  printer_uri=f.get("printer_uri", "")[:400],
                                  active=f.get("active", "yes") == "yes", actor=actor(), now=now())
    except ValidationFailed as exc:
        db().rollback()
        return _chairs_page(site_id, field_words(exc))
    except BookingError:
        abort(404)
    flash(f"{chair.name} saved.")
    return redirect(url_for("staff.site_chairs", site_id=site_id))


@bp.post("/today/chairs/<int:chair_id>/call-next")
@role_required(*ANY_STAFF)
def call_next_to_chair(chair_id: int) -> Response:
    """Call the next patient in the queue to this chair."""
    site_id = _site_id()
    if site_id is None:
        return redirect(url_for("staff.today"))
    try:
        chair = chairs.get_chair(session=db(), chair_id=chair_id, site_id=site_id)
    except BookingError:
        abort(404)
    row = staff_queue.call_next(session=db(), site_id=site_id, day=london_today(now()),
                                actor=actor(), now=now(), chair_id=chair.id)
    if row is None:
        flash("Nobody is waiting.")
    else:
        flash(f"Call number {row.queue_number} to {chair.name}: {row.family_name.upper()}, "
              f"{row.given_name}.")
    return redirect(url_for("staff.today"))


@bp.post("/today/<int:appointment_id>/identify")
@role_required(*ANY_STAFF)
def identify_at_chair(appointment_id: int):  # type: ignore[no-untyped-def]
    """The patient has said their name and date of birth; the phlebotomist scans their QR code
    or types their date of birth: then (only then) the labels print at the chair."""
    f = request.form
    qr = f.get("qr", "")[:500].strip()
    dob = read_date(f, "dob", "Date of birth")
    if not qr and dob.error and any(dob.values.values()):  # a date typed, but not a real one
        return _patient_page(appointment_id, {"dob-day": dob.error})
    raw_chair = f.get("chair_id", "")
    try:
        if not raw_chair.isdigit():
            raise ValidationFailed("chair_missing", fields={"chair_id": problem("chair_yours")})
        done = chair_labels.confirm_at_chair(
            session=db(), appointment_id=appointment_id, site_id=_site_id(),
            chair_id=int(raw_chair), actor=actor(), now=now(), settings=settings(),
            identity=chair_labels.Identity(qr=qr, date_of_birth=None if qr else dob.value))
    except BookingError as exc:
        if exc.code == "not_found":
            abort(404)
        db().rollback()
        return _patient_page(appointment_id, field_words(exc) or {"_error": words(exc)})
    chair = chairs.get_chair(session=db(), chair_id=done.chair_id, site_id=None)
    flash(f"Identity confirmed. Labels are printing at {chair.name}.")
    return redirect(url_for("staff.patient", appointment_id=appointment_id))
