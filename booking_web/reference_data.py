"""Reference data every installation needs: the appointment types (DOMAIN section 4)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from shared.locales import N_
from shared.models import AppointmentType

APPOINTMENT_TYPES = [
    AppointmentType(code="adult", name=N_("Adult blood test"), duration_minutes=10, min_age_years=16,
                    description=N_("For anyone aged 16 or over."), sort_order=1),
    AppointmentType(code="child", name=N_("Child blood test"), duration_minutes=15, max_age_years=16,
                    paediatric_site_only=True,
                    description=N_("For children under 16, at children's clinics only."), sort_order=2),
    AppointmentType(code="fasting", name=N_("Fasting blood test"), duration_minutes=10, min_age_years=16,
                    latest_start=dt.time(10, 30),
                    description=N_("If you have been asked not to eat before your test. Morning appointments before 10:30am."),
                    sort_order=3),
    AppointmentType(code="gtt", name=N_("Glucose tolerance test"), duration_minutes=150, min_age_years=16,
                    latest_start=dt.time(10, 0),
                    description=N_("A 2 and a half hour test, often in pregnancy. Morning only; you stay at the clinic."),
                    sort_order=4),
    AppointmentType(code="inr", name=N_("INR (anticoagulation) test"), duration_minutes=5, min_age_years=16,
                    description=N_("A quick test for people taking warfarin."), sort_order=5),
]


def ensure_reference_data(session: Session) -> None:
    """Insert or update the appointment types; commits."""
    for template in APPOINTMENT_TYPES:
        row = session.get(AppointmentType, template.code) or AppointmentType(code=template.code,
                                                                              name=template.name,
                                                                              duration_minutes=template.duration_minutes)
        for field in ("name", "description", "duration_minutes", "min_age_years", "max_age_years",
                      "paediatric_site_only", "latest_start", "sort_order"):
            setattr(row, field, getattr(template, field))
        session.add(row)
    session.commit()
