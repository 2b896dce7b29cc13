"""All tables, one module a topic; importing this package registers every table."""

from shared.models.booking import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ClinicSession,
    ClinicSessionType,
    Patient,
    QueueCounter,
    RateLimitBucket,
    Site,
    Slot,
)
from shared.models.notify import (
    Channel,
    OfferStatus,
    OutboxMessage,
    OutboxStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistSite,
    WaitlistStatus,
)
from shared.models.staff import ApiKey, KeyKind, Role, StaffUser

__all__ = [
    "Channel",
    "OfferStatus",
    "OutboxMessage",
    "OutboxStatus",
    "WaitlistEntry",
    "WaitlistOffer",
    "WaitlistSite",
    "WaitlistStatus",
    "ACTIVE_STATUSES",
    "ApiKey",
    "Appointment",
    "AppointmentStatus",
    "AppointmentType",
    "ClinicSession",
    "ClinicSessionType",
    "KeyKind",
    "Patient",
    "QueueCounter",
    "RateLimitBucket",
    "Role",
    "Site",
    "Slot",
    "StaffUser",
]
