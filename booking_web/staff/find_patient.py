"""Find a patient: reception staff look up a patient's bookings by NHS number or booking
reference (a patient who phones, or arrives without their letter). The search is a POST, so an
NHS number never sits in an address, the browser's history or the server's access log."""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template, request

from booking_web.context import db, now
from booking_web.messages import field_words
from booking_web.services import patient_lookup
from booking_web.staff import ANY_STAFF, actor, bp, current_staff, role_required
from booking_web.staff.today import _site_id
from shared.errors import ValidationFailed
from shared.models import Role
from shared.timeutil import to_local


def _opens_today_page() -> Callable[[patient_lookup.Visit], bool]:
    """Which appointments the today page can open for this member of staff: today's, at the
    site whose day they run (an admin who has chosen no site yet: any site)."""
    user = current_staff()
    assert user is not None
    site_id = _site_id()
    any_site = user.role == Role.ADMIN and site_id is None
    return lambda visit: visit.today and (any_site or (site_id is not None and visit.site_id == site_id))


@bp.route("/find-a-patient", methods=["GET", "POST"])
@role_required(*ANY_STAFF)
def find_patient() -> str | tuple[str, int]:
    """The search box; with a search, the patient's bookings and requests (each look audited)."""
    search = (request.form.get("search") or "")[: patient_lookup.LONGEST_SEARCH]
    lookup, errors = None, {}
    if request.method == "POST":
        try:
            lookup = patient_lookup.find_patient(session=db(), query=search, actor=actor(), now=now())
        except ValidationFailed as exc:
            db().rollback()
            errors = field_words(exc)
    page = render_template("staff/find_patient.html", search=search, lookup=lookup, errors=errors,
                           local=to_local, opens_today_page=_opens_today_page())
    return (page, 400) if errors else page
