"""After a rush: count overbookings in the database itself (appointments per slot vs capacity,
and the slot's `booked` counter vs the real number of appointments)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from shared.db import make_engine
from shared.models import ACTIVE_STATUSES, Appointment, Slot


def capacity_report(url: str) -> dict[str, Any]:
    """Overbooked slots, surplus appointments and counter mismatches (all should be 0).
    Assumes the database was seeded with no bookings, so every `booked` came from appointments."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            slots = conn.execute(select(Slot.id, Slot.capacity, Slot.booked)).all()  # type: ignore[call-overload]
            active = dict(
                conn.execute(  # type: ignore[call-overload]
                    select(Appointment.slot_id, func.count())
                    .where(Appointment.status.in_(ACTIVE_STATUSES))  # type: ignore[attr-defined]
                    .group_by(Appointment.slot_id)
                ).all()
            )
            appointments = conn.execute(select(func.count()).select_from(Appointment)).scalar_one()
    finally:
        engine.dispose()
    overbooked = [
        (sid, cap, active.get(sid, 0)) for sid, cap, _booked in slots if active.get(sid, 0) > cap
    ]
    return {
        "slots": len(slots),
        "chairs": sum(cap for _sid, cap, _booked in slots),
        "appointments": appointments,
        "overbooked_slots": len(overbooked),
        "surplus_appointments": sum(count - cap for _sid, cap, count in overbooked),
        "counter_over_capacity": sum(1 for _sid, cap, booked in slots if booked > cap),
        "counter_mismatches": sum(1 for sid, _cap, booked in slots if booked != active.get(sid, 0)),
    }
