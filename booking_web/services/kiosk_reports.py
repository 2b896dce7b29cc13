"""What kiosks tell staff about a booking: a patient pressed "No, this is not me" when the kiosk
showed the (masked) name for the reference and date of birth they entered. Staff see it on the
today page, and check who the patient is before anything else happens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlmodel import Session, col, select

from booking_web.services import ratelimit
from booking_web.services.booking import find_appointment
from booking_web.services.idempotency import Once, remember_answer
from shared.config import Settings
from shared.errors import NotFound
from shared.models import KioskReport

NOT_ME = "not_me"


def report_not_me(
    *,
    session: Session,
    site_id: int,
    api_key_id: int,
    reference: str,
    date_of_birth: dt.date,
    now: dt.datetime,
    settings: Settings,
    once: Once | None = None,
) -> KioskReport:
    """Record that the patient at this site's kiosk said the booking found was not theirs;
    commits. The same reference and date of birth the kiosk identified with, under the same
    attempt limit; a booking at another site is the same NotFound as an unknown one. With an
    idempotency key (`once`) the answer is stored with the report: a resend records nothing."""
    ratelimit.limit_kiosk_lookup(
        session=session, settings=settings, now=now, kiosk_key_id=api_key_id, reference=reference
    )
    appt = find_appointment(session=session, reference=reference, date_of_birth=date_of_birth)
    if appt.site_id != site_id:
        raise NotFound("booking_not_at_site")
    report = KioskReport(
        appointment_id=appt.id,  # type: ignore[arg-type]
        api_key_id=api_key_id,
        kind=NOT_ME,
        at=now,
    )
    session.add(report)
    remember_answer(session, once, report, now)
    session.commit()
    return report


def latest_not_me(*, session: Session, appointment_ids: list[int]) -> dict[int, dt.datetime]:
    """When each of these bookings was last reported "not me" at a kiosk (only those that were)."""
    if not appointment_ids:
        return {}
    rows = session.exec(
        select(KioskReport.appointment_id, func.max(KioskReport.at))
        .where(
            col(KioskReport.appointment_id).in_(appointment_ids),
            KioskReport.kind == NOT_ME,
        )
        .group_by(col(KioskReport.appointment_id))
    )
    return {appointment_id: at for appointment_id, at in rows}
