"""Admin pages for the organisations that request tests: list, add, change (name, address,
whether they may still request)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from booking_web.context import db, now
from booking_web.messages import field_words
from booking_web.services import catalogue, code_map, organisations
from booking_web.staff import actor, bp, role_required
from shared.errors import BookingError, ValidationFailed
from shared.models import Role

admin_only = role_required(Role.ADMIN)


@bp.route("/admin/organisations", methods=["GET", "POST"])
@admin_only
def organisations_page() -> str | Response | tuple[str, int]:
    """The organisations, and a form to add one."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            org = organisations.create_organisation(
                session=db(), ods_code=request.form.get("ods_code", "")[:20],
                name=request.form.get("name", "")[:200], address=request.form.get("address", "")[:400],
                actor=actor(), now=now())
            flash(f"Added {org.name} ({org.ods_code}).")
            return redirect(url_for("staff.organisations_page"))
        except ValidationFailed as exc:
            db().rollback()
            errors = field_words(exc)
    page = render_template("staff/admin/organisations.html", rows=organisations.list_organisations(session=db()),
                           errors=errors, form=request.form)
    return (page, 400) if errors else page


@bp.route("/admin/organisations/<int:organisation_id>", methods=["GET", "POST"])
@admin_only
def organisation_edit(organisation_id: int) -> str | Response | tuple[str, int]:
    """Change an organisation's name, address, or stop it requesting."""
    try:
        org = organisations.get_organisation(session=db(), organisation_id=organisation_id)
    except BookingError:
        abort(404)
    errors: dict[str, str] = {}
    form: dict[str, str] = {"name": org.name, "address": org.address, "active": "yes" if org.active else "no"}
    if request.method == "POST":
        form = {k: request.form.get(k, "")[:400] for k in ("name", "address", "active")}
        try:
            organisations.update_organisation(session=db(), organisation_id=organisation_id, name=form["name"],
                                              address=form["address"], active=form["active"] != "no",
                                              actor=actor(), now=now())
            flash("Organisation saved.")
            return redirect(url_for("staff.organisations_page"))
        except ValidationFailed as exc:
            db().rollback()
            errors = field_words(exc)
    page = render_template("staff/admin/organisation_edit.html", org=org, errors=errors, form=form)
    return (page, 400) if errors else page


@bp.route("/admin/organisations/<int:organisation_id>/codes", methods=["GET", "POST"])
@admin_only
def organisation_codes(organisation_id: int) -> str | Response | tuple[str, int]:
    """The organisation's code map: the codes its system sends and the catalogue test each means."""
    try:
        org = organisations.get_organisation(session=db(), organisation_id=organisation_id)
    except BookingError:
        abort(404)
    errors: dict[str, str] = {}
    form = {k: request.form.get(k, "")[:100] for k in ("external_code", "test_code")}
    if request.method == "POST":
        try:
            if request.form.get("remove"):
                code_map.remove_code(session=db(), organisation_id=organisation_id,
                                     external_code=request.form["remove"][:100], actor=actor(), now=now())
                flash(f"Removed {request.form['remove'][:40]} from the map.")
            else:
                row = code_map.set_code(session=db(), organisation_id=organisation_id,
                                        external_code=form["external_code"], test_code=form["test_code"],
                                        actor=actor(), now=now())
                flash(f"{row.external_code} now means {row.test_name} ({row.test_code}).")
            return redirect(url_for("staff.organisation_codes", organisation_id=organisation_id))
        except ValidationFailed as exc:
            db().rollback()
            errors = field_words(exc)
        except BookingError:
            abort(404)
    page = render_template("staff/admin/organisation_codes.html", org=org, errors=errors, form=form,
                           rows=code_map.list_codes(session=db(), organisation_id=organisation_id),
                           tests=catalogue.list_tests(session=db(), include_inactive=False))
    return (page, 400) if errors else page
