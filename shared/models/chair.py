"""Printing at the chair: where each site prints its labels, its chairs (rooms) and their label
printers, and each patient's positive identification at a chair."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class PrintAt(StrEnum):
    """Where a site's tube labels print."""

    CHECKIN = "checkin"  # by the kiosk at check-in (hand-label transfusion samples)
    CHAIR = "chair"  # at the chair, once the phlebotomist has confirmed who the patient is


class SitePrinting(SQLModel, table=True):
    """A site's label settings. Printed transfusion labels need chair mode and the laboratory's
    prior approval, recorded here: who approved (in the lab), and which admin recorded it, when."""

    __tablename__ = "site_printing"

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    print_at: str = Field(default=PrintAt.CHECKIN, max_length=10)
    transfusion_labels: bool = False
    transfusion_approved_by: str = Field(default="", max_length=150)
    transfusion_recorded_by: str = Field(default="", max_length=100)
    transfusion_recorded_at: dt.datetime | None = None


class Chair(SQLModel, table=True):
    """A chair (or room) at a site, with its label printer; the print worker keeps the last thing
    the printer said, for the today page."""

    __table_args__ = (UniqueConstraint("site_id", "name", name="uq_chair_site_name"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    name: str = Field(max_length=40)
    printer_uri: str = Field(max_length=300)
    active: bool = True
    printer_state: str = Field(default="", max_length=10)  # ok / fault / unknown, "" = not yet
    printer_detail: str = Field(default="", max_length=300)
    printer_checked_at: dt.datetime | None = None


class ChairIdentification(SQLModel, table=True):
    """A patient positively identified at a chair (QR scanned or date of birth typed), by whom
    and when: the moment their labels may print. One per booking (the key makes it so)."""

    __tablename__ = "chair_identification"

    appointment_id: int = Field(foreign_key="appointment.id", primary_key=True)
    chair_id: int = Field(foreign_key="chair.id")
    method: str = Field(max_length=10)  # "qr" or "dob"
    identified_by: str = Field(max_length=100)
    identified_at: dt.datetime
    print_job_id: int | None = Field(default=None, foreign_key="print_job.id")
