"""Admin pages: sites, clinic sessions, closing a day, the test catalogue (the audit log is in
audit.py)."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from booking_web.context import db, now, settings
from booking_web.messages import field_words, words
from booking_web.notify.texts import render as render_message
from booking_web.services import (
    availability,
    catalogue,
    clinics,
    closures,
    site_admin,
)
from booking_web.staff import actor, bp, role_required
from booking_web.staff.forms import PARTS, DateField, parse_time, read_date
from booking_web.staff.outbox import mask
from shared.errors import BookingError, ValidationFailed
from shared.models import Role
from shared.timeutil import format_date, london_today, to_local
from shared.tubes import STAGE_NAMES, DrawStage
from shared.validation import as_id

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
admin_only = role_required(Role.ADMIN)


@bp.get("/admin")
@admin_only
def admin_home() -> str:
    """Links to every admin page."""
    return render_template("staff/admin/index.html")


# --- sites -----------------------------------------------------------------------------------


def _site_form() -> site_admin.SiteForm:
    f = request.form
    return site_admin.SiteForm(
        name=f.get("name", "")[:200],
        address=f.get("address", "")[:400],
        postcode=f.get("postcode", "")[:20],
        latitude=f.get("latitude", "")[:20],
        longitude=f.get("longitude", "")[:20],
        access_notes=f.get("access_notes", "")[:1200],
        paediatric=f.get("paediatric") == "yes",
        active=f.get("active", "yes") == "yes",
        printer_uri=f.get("printer_uri", "")[:300],
    )


@bp.route("/admin/sites", methods=["GET", "POST"])
@admin_only
def sites() -> str | Response:
    """The sites, and a form to add one."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            site = site_admin.save_site(session=db(), site_id=None, form=_site_form(), actor=actor(), now=now())
            flash(f"Added {site.name}.")
            return redirect(url_for("staff.sites"))
        except ValidationFailed as exc:
            errors = field_words(exc)
    return render_template(
        "staff/admin/sites.html",
        sites=site_admin.list_sites(session=db()),
        errors=errors,
        form=request.form,
    )


@bp.route("/admin/sites/<int:site_id>", methods=["GET", "POST"])
@admin_only
def edit_site(site_id: int) -> str | Response:
    """Change a site, its access notes and its reprint printer."""
    try:
        site = site_admin.get_site(session=db(), site_id=site_id)
    except BookingError:
        abort(404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            site_admin.save_site(session=db(), site_id=site_id, form=_site_form(), actor=actor(), now=now())
            flash("Site saved.")
            return redirect(url_for("staff.sites"))
        except ValidationFailed as exc:
            db().rollback()
            errors = field_words(exc)
        form = request.form
    else:
        form = {
            "name": site.name,
            "address": site.address,
            "postcode": site.postcode,
            "latitude": site.latitude,
            "longitude": site.longitude,
            "access_notes": site.access_notes,
            "paediatric": "yes" if site.paediatric else "",
            "active": "yes" if site.active else "no",
            "printer_uri": site_admin.printer_uri(session=db(), site_id=site_id),
        }
    return render_template("staff/admin/site_edit.html", site=site, errors=errors, form=form)


# --- clinic sessions -------------------------------------------------------------------------


def _plan_from_form() -> tuple[clinics.SessionPlan | None, DateField, DateField, dict[str, str]]:
    """The clinic form as a plan, with the two dates as typed and a message for each bad field
    (keyed by the id of the input the error summary links to)."""
    f = request.form
    errors: dict[str, str] = {}

    def number(name: str, message: str) -> int:
        try:
            return int(f.get(name, ""))
        except ValueError:
            errors[name] = message
            return 0

    def day(name: str, label: str) -> DateField:
        field = read_date(f, name, label)
        if field.error:
            errors[f"{name}-{(field.parts_in_error or ('day',))[0]}"] = field.error
        return field

    def clock(name: str, label: str) -> dt.time:
        raw = f.get(name, "")[:20]
        value = parse_time(raw)
        if value is None:
            errors[name] = (f"Enter the {label}" if not raw.strip() else
                            f"Enter the {label} as a time, like 8am, 8:30am or 13:30")
        return value or dt.time(0)

    site_id = number("site_id", "Select a site")
    first, last = day("first_day", "The first day"), day("last_day", "The last day")
    start, end = clock("start_time", "start time"), clock("end_time", "end time")
    slot = number("slot_minutes", "Enter the slot length in minutes")
    chairs = number("chairs", "Enter the number of chairs")
    weekdays = frozenset(
        int(d) for d in f.getlist("weekdays") if d in {"0", "1", "2", "3", "4", "5", "6"}
    )
    known = {t.code for t in availability.appointment_types(session=db())}
    types = tuple(t for t in f.getlist("type_codes") if t in known)
    if errors or first.value is None or last.value is None:
        return None, first, last, errors
    plan = clinics.SessionPlan(
        site_id=site_id,
        first_day=first.value,
        last_day=last.value,
        weekdays=weekdays,
        start_time=start,
        end_time=end,
        slot_minutes=slot,
        chairs=chairs,
        type_codes=types,
    )
    return plan, first, last, errors


# Page order of the clinic form's inputs, so the error summary lists them top to bottom.
CLINIC_FIELDS = (
    "site_id",
    *(f"first_day-{p}" for p in PARTS),
    *(f"last_day-{p}" for p in PARTS),
    "weekdays",
    "start_time",
    "end_time",
    "slot_minutes",
    "chairs",
    "type_codes",
)
# The service names a date field; its error links to the day box.
_SERVICE_FIELDS = {"first_day": "first_day-day", "last_day": "last_day-day"}


@bp.route("/admin/clinics", methods=["GET", "POST"])
@admin_only
def clinic_sessions() -> str | Response | tuple[str, int]:
    """Create clinic sessions across a date range on chosen weekdays; the next two weeks' sessions
    at a site, with the appointment types each offers."""
    errors: dict[str, str] = {}
    first = last = read_date({}, "first_day", "The first day")  # empty boxes
    if request.method == "POST":
        plan, first, last, found = _plan_from_form()
        try:
            if plan is not None:
                made = clinics.create_sessions(session=db(), plan=plan, actor=actor(), now=now())
                flash(f"Created {len(made)} clinic sessions.")
                return redirect(url_for("staff.clinic_sessions", site_id=request.form.get("site_id")))
        except ValidationFailed as exc:
            db().rollback()
            found = field_words(exc)
        fields = {_SERVICE_FIELDS.get(k, k): v for k, v in found.items()}
        errors = {k: fields[k] for k in CLINIC_FIELDS if k in fields}
    site_id = request.args.get("site_id", type=int) or request.form.get("site_id", type=int)
    upcoming = (
        clinics.sessions_for_site(session=db(), site_id=site_id, first_day=london_today(now()))
        if site_id
        else []
    )
    sites = site_admin.list_sites(session=db())
    return render_template(
        "staff/admin/clinics.html",
        sites=sites,
        errors=errors,
        form=request.form,
        first_day=first,
        last_day=last,
        weekdays=WEEKDAYS,
        types=[(t.code, t.name) for t in availability.appointment_types(session=db())],
        upcoming=upcoming,
        site_id=site_id,
        site_name=next((x.name for x in sites if x.id == site_id), ""),
        format_date=format_date,
    ), (400 if errors else 200)


def _closure_form() -> tuple[int | None, DateField, str, dict[str, str]]:
    """Site, day and reason from the close-day form, with a message for each bad one."""
    f = request.form
    errors: dict[str, str] = {}
    site_id = as_id(f.get("site_id", ""))  # a number too big to be a row's is no site either
    if site_id is None:
        errors["site_id"] = "Select a site"
    day = read_date(f, "day", "The day to close")
    if day.error:
        errors[f"day-{(day.parts_in_error or ('day',))[0]}"] = day.error
    elif day.value is not None and day.value < london_today(now()):
        errors["day-day"] = "The day to close must be today or in the future"
    reason = f.get("reason", "")[:400]
    try:
        reason = closures.clean_reason(reason)
    except ValidationFailed as exc:
        errors.update(field_words(exc))
    return site_id, day, reason, errors


def _closure_errors(exc: BookingError) -> dict[str, str]:
    fields = {("day-day" if k == "day" else k): v for k, v in field_words(exc).items()}
    return fields or {"_problem": words(exc)}


@bp.route("/admin/close-day", methods=["GET", "POST"])
@admin_only
def close_day() -> str | Response | tuple[str, int]:
    """Close a site's day in two steps: which day and why, then confirm what it cancels. The
    patients are told by text or email; the closed day's page lists who to phone."""
    errors: dict[str, str] = {}
    day = read_date({}, "day", "The day to close")
    if request.method == "POST":
        site_id, day, reason, errors = _closure_form()
        if not errors and request.form.get("change") is None:
            assert site_id is not None and day.value is not None
            try:
                if request.form.get("confirm") == "yes":
                    cancelled = closures.close_day(
                        session=db(), site_id=site_id, day=day.value, reason=reason,
                        actor=actor(), now=now(),
                    )
                    flash(_closed_message(cancelled))
                    return redirect(
                        url_for("staff.closed_day", site_id=site_id, day=day.value.isoformat())
                    )
                preview = closures.preview_closure(session=db(), site_id=site_id, day=day.value)
            except BookingError as exc:
                db().rollback()
                errors = _closure_errors(exc)
            else:
                return render_template(
                    "staff/admin/close_day_check.html",
                    preview=preview,
                    reason=reason,
                    form=request.form,
                    message=_closed_text(preview, reason),
                    date_text=format_date(preview.day),
                )
    today = london_today(now())
    return render_template(
        "staff/admin/close_day.html",
        sites=site_admin.list_sites(session=db()),
        errors=errors,
        form=request.form,
        day=day,
        closed=closures.closed_days(session=db(), first_day=today - dt.timedelta(days=7)),
        format_date=format_date,
    ), (400 if errors else 200)


def _closed_message(cancelled: int) -> str:
    if not cancelled:
        return "The day is closed. There were no bookings to cancel."
    noun = "booking was" if cancelled == 1 else "bookings were"
    return f"The day is closed. {cancelled} {noun} cancelled and the patients are being told."


def _closed_text(preview: closures.ClosurePreview, reason: str) -> str:
    """The text message patients will get, with their own time and reference left as blanks."""
    _subject, body = render_message(
        "closed",
        {
            "time": "[their time]",
            "date": format_date(preview.day),
            "site": preview.site_name,
            "reference": "[their reference]",
            "reason": reason,
            "service_url": settings().public_url.rstrip("/"),
        },
    )
    return body


@bp.get("/admin/closed-days/<int:site_id>/<day>")
@admin_only
def closed_day(site_id: int, day: str) -> str:
    """A closed day: the reason, who was told by text or email, and who staff must phone."""
    try:
        found = closures.closed_day(
            session=db(), site_id=site_id, day=dt.date.fromisoformat(day)
        )
    except (ValueError, BookingError):
        abort(404)
    return render_template(
        "staff/admin/closed.html",
        closed=found,
        date_text=format_date(found.day),
        local=to_local,
        mask=mask,
    )


# --- test catalogue --------------------------------------------------------------------------


@bp.get("/admin/catalogue")
@admin_only
def test_catalogue() -> str:
    """The test catalogue in order of draw."""
    return render_template(
        "staff/admin/catalogue.html", tests=catalogue.list_tests(session=db()), stages=STAGE_NAMES
    )


@bp.route("/admin/catalogue/edit", methods=["GET", "POST"])
@admin_only
def edit_test() -> str | Response:
    """Add a test (no code given) or change one."""
    code = request.args.get("code", "")[:12]
    errors: dict[str, str] = {}
    if request.method == "POST":
        f = request.form
        try:
            row = catalogue.save_test(
                session=db(),
                code=f.get("code", "")[:20],
                name=f.get("name", "")[:100],
                container=f.get("container", "")[:60],
                stage=f.get("stage", ""),
                transfusion=f.get("transfusion") == "yes",
                shares_tube=f.get("shares_tube") == "yes",
                fasting=f.get("fasting") == "yes",
                active=f.get("active") == "yes",
                actor=actor(),
                now=now(),
            )
            flash(f"Saved {row.code}.")
            return redirect(url_for("staff.test_catalogue"))
        except ValidationFailed as exc:
            db().rollback()
            errors = field_words(exc)
        form = request.form
    else:
        existing = {t.code: t for t in catalogue.list_tests(session=db())}.get(code)
        form = (
            {
                "code": existing.code,
                "name": existing.name,
                "container": existing.container,
                "stage": existing.stage,
                "transfusion": "yes" if existing.transfusion else "",
                "shares_tube": "yes" if existing.shares_tube else "",
                "fasting": "yes" if existing.fasting else "",
                "active": "yes" if existing.active else "",
            }
            if existing
            else {"shares_tube": "yes", "active": "yes"}
        )
    return render_template(
        "staff/admin/test_edit.html",
        form=form,
        errors=errors,
        code=code,
        stages=[(s.value, STAGE_NAMES[s]) for s in DrawStage],
    )

