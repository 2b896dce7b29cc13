"""What a patient is shown about one appointment (pages, letter, calendar file)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from booking_web.notify.texts import GENERAL_PREPARATION, PREPARATION
from booking_web.services.qr import make_qr_payload
from booking_web.services.request_status import booked_window, request_of, request_test_names
from shared.locales import N_
from shared.locales import gettext as _
from shared.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    CancelledBy,
    Patient,
    Site,
    Slot,
)
from shared.references import format_reference
from shared.timeutil import format_date, format_time, to_local

_GENERAL_CHILD = N_(
    "Make sure the child drinks plenty of water before the test, and wears a top with loose "
    "sleeves."
)


@dataclass(frozen=True)
class AppointmentSummary:
    """One appointment as words a patient reads (no NHS number, no contact details)."""

    reference: str
    reference_display: str
    status: str
    type_code: str
    type_name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    date_text: str
    time_text: str
    site_id: int
    site_name: str
    site_address: str
    site_postcode: str
    access_notes: str
    patient_name: str
    preparation: str
    qr_payload: str
    language: str = ""  # the one the patient booked in ('' English): their letter's
    closed_reason: str = ""  # set when the service cancelled it because the clinic closed
    request_tests: tuple[str, ...] = ()  # the tests of the request it carries (the GP's order)
    request_window: tuple[dt.date, dt.date] | None = None  # a change must stay inside it

    @property
    def is_booked(self) -> bool:
        """True while the appointment can still be changed or cancelled."""
        return self.status == AppointmentStatus.BOOKED

    @property
    def clinic_closed(self) -> bool:
        """True when the service cancelled it because the clinic closed."""
        return bool(self.closed_reason)

    @property
    def check_in_steps(self) -> tuple[str, str]:
        """How to check in, in the order the kiosk asks (the letter and the pages say the same):
        the QR code then the date of birth; without it, the reference then the date of birth."""
        reference = {"reference": self.reference_display}
        if self.type_code == "child":
            return (
                _("At the check-in screen, scan this QR code, then enter the child's date of "
                  "birth."),
                _("No QR code? Tap \"I don't have my QR code\", type your booking reference "
                  "%(reference)s, then enter the child's date of birth.") % reference,
            )
        return (
            _("At the check-in screen, scan this QR code, then enter your date of birth."),
            _("No QR code? Tap \"I don't have my QR code\", type your booking reference "
              "%(reference)s, then enter your date of birth.") % reference,
        )

    @property
    def full_address(self) -> str:
        """Address and postcode on one line."""
        return f"{self.site_address}, {self.site_postcode}"


def preparation_text(type_code: str) -> str:
    """How to prepare for a type of test (its own advice, then the general), in the current
    language."""
    return " ".join(
        _(p)
        for p in (
            PREPARATION.get(type_code, ""),
            _GENERAL_CHILD if type_code == "child" else GENERAL_PREPARATION,
        )
        if p
    )


def summarise(*, session: Session, appointment: Appointment, secret: str) -> AppointmentSummary:
    """The patient-facing summary of an appointment, with its signed kiosk QR payload."""
    site = session.get(Site, appointment.site_id)
    atype = session.get(AppointmentType, appointment.type_code)
    patient = session.get(Patient, appointment.patient_id)
    slot = session.get(Slot, appointment.slot_id)
    assert site is not None and atype is not None and patient is not None and slot is not None
    return AppointmentSummary(
        reference=appointment.reference,
        reference_display=format_reference(appointment.reference),
        status=appointment.status,
        type_code=atype.code,
        type_name=atype.name,
        starts_at=appointment.starts_at,
        ends_at=appointment.starts_at + dt.timedelta(minutes=atype.duration_minutes),
        date_text=format_date(to_local(appointment.starts_at).date()),
        time_text=format_time(appointment.starts_at),
        site_id=site.id,  # type: ignore[arg-type]
        site_name=site.name,
        site_address=site.address,
        site_postcode=site.postcode,
        access_notes=site.access_notes,
        patient_name=f"{patient.given_name} {patient.family_name}",
        preparation=preparation_text(atype.code),
        qr_payload=make_qr_payload(secret=secret, appointment=appointment),
        language=appointment.language,
        closed_reason=appointment.cancel_reason
        if appointment.status == AppointmentStatus.CANCELLED
        and appointment.cancelled_by == CancelledBy.SERVICE
        else "",
        request_tests=request_test_names(session, req)
        if (req := request_of(session, appointment=appointment, patient=patient)) is not None
        else (),
        request_window=booked_window(session, appointment) if req is not None else None,
    )


def site_by_id(*, session: Session, site_id: int) -> Site | None:
    """An active site, or None."""
    site = session.get(Site, site_id) if isinstance(site_id, int) else None
    return site if site is not None and site.active else None


def type_by_code(*, session: Session, code: str) -> AppointmentType | None:
    """An appointment type, or None."""
    return session.get(AppointmentType, code) if isinstance(code, str) else None
