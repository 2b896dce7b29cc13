"""Staff add a walk-in on the today page (services/staff_walk_ins.py): the form is read here, the
service checks the patient in, and the page says their number and where their labels are."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from booking_web.context import db, now, settings
from booking_web.messages import field_words, words
from booking_web.services import staff_walk_ins
from booking_web.services.staff_walk_ins import LabelsAt, StaffWalkIn
from booking_web.services.walk_ins import WalkInIdentity
from booking_web.staff import ANY_STAFF, actor, bp, role_required
from booking_web.staff.forms import read_date
from booking_web.staff.today import _site_id, today_page
from shared.errors import BookingError
from shared.nhs_number import number_problem

# The form's fields, longest accepted (anything longer is cut, then checked).
FIELDS = {"nhs_number": 20, "given_name": 100, "family_name": 100, "postcode": 10, "key": 64}


def _read(form: dict[str, str]) -> tuple[WalkInIdentity | None, dict[str, str]]:
    """The identity typed, or the problems in the order the fields are on the page."""
    errors: dict[str, str] = {}
    if form["nhs_number"]:
        wrong = number_problem(form["nhs_number"], whose="patient")
        if wrong:
            errors["nhs_number"] = words(wrong)
    elif not (form["given_name"] or form["family_name"] or form["postcode"]):
        errors["nhs_number"] = "Enter their NHS number, or their name and postcode"
    else:
        for name, text in (("given_name", "Enter their first name, or their NHS number"),
                           ("family_name", "Enter their last name, or their NHS number"),
                           ("postcode", "Enter their postcode, or their NHS number")):
            if not form[name]:
                errors[name] = text
    born = read_date(form, "dob", "Their date of birth")
    if born.error:
        errors["dob-" + (born.parts_in_error[0] if born.parts_in_error else "day")] = born.error
    if errors or born.value is None:
        return None, errors
    if form["nhs_number"]:
        return WalkInIdentity(born.value, nhs_number=form["nhs_number"]), {}
    return WalkInIdentity(born.value, given_name=form["given_name"], family_name=form["family_name"],
                          postcode=form["postcode"]), {}


@bp.post("/today/walk-in")
@role_required(*ANY_STAFF)
def add_walk_in() -> str | BaseResponse:
    """Check in a patient with a test request and no booking, from the desk."""
    site_id = _site_id()
    if site_id is None:
        return redirect(url_for("staff.today"))
    form = {name: (request.form.get(name) or "").strip()[:longest] for name, longest in FIELDS.items()}
    form.update({f"dob-{p}": (request.form.get(f"dob-{p}") or "").strip()[:12] for p in ("day", "month", "year")})
    form["over_cap"] = "yes" if request.form.get("over_cap") == "yes" else ""
    who, errors = _read(form)
    if who is None:
        return today_page(site_id, errors, form)
    try:
        added = staff_walk_ins.add_walk_in(
            session=db(), site_id=site_id, who=who, key=form["key"], actor=actor(), now=now(),
            settings=settings(), over_cap=form["over_cap"] == "yes",
        )
    except BookingError as exc:
        db().rollback()
        if exc.code == "walk_in_full":
            form["cap_reached"] = "yes"
        return today_page(site_id, field_words(exc) or {"_walk_in": words(exc)}, form)
    flash(_added(added))
    return redirect(url_for("staff.today") + "#today-list")


_LABELS = {
    LabelsAt.CHAIR: "Their labels print at the chair once you confirm who they are, as for a booking.",
    LabelsAt.PRINTER: "Their labels are queued for the site's label printer.",
    LabelsAt.NO_PRINTER: ("No label printer is set up for this site: open their page and reprint "
                          "each label (or print the PDF)."),
    LabelsAt.NONE: "They have no labels to print: every tube is hand-labelled at the chair.",
}


def _added(added: StaffWalkIn) -> str:
    again = " (already added: the form was sent twice)" if added.again else ""
    over = " They are over the walk-in limit." if added.over_cap else ""
    return (f"Walk-in added{again}: number {added.queue_number}, {added.family_name.upper()}, "
            f"{added.given_name}.{over} {_LABELS.get(added.labels_at, '')}").strip()
