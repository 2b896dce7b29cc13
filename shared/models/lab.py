"""Laboratory tables: the test catalogue, specimens, label print jobs, kiosk check-in attempts
and reports, site printers, queue calls and the staff audit log. Test requests are in
requests.py."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel


class JobStatus(StrEnum):
    """A print job: printed only when every label was confirmed."""

    PENDING = "pending"
    PRINTED = "printed"
    PARTIAL = "partial"
    FAILED = "failed"


class LabelOutcome(StrEnum):
    """What happened to one label of a job."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"
    NOT_SENT = "not_sent"


class JobSource(StrEnum):
    """Who asked for a print job."""

    KIOSK = "kiosk"  # printed by the kiosk, which reports back
    STAFF = "staff"  # a reprint, sent by the print worker (or a PDF)
    CHAIR = "chair"  # labels at the chair, sent by the print worker
    DESK = "desk"  # first labels of a patient staff checked in (a walk-in), sent by the print worker


class LabTest(SQLModel, table=True):
    """A test in the catalogue and the tube it needs (admin-editable)."""

    __tablename__ = "lab_test"

    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(max_length=80)
    container: str = Field(max_length=40)  # tube type / additive in text
    stage: str = Field(max_length=20)  # shared.tubes.DrawStage
    transfusion: bool = False
    shares_tube: bool = True
    active: bool = True
    fasting: bool = False  # the patient must fast before it (a request for it books a fasting test)


class Specimen(SQLModel, table=True):
    """One labelled tube (or patient identity label). `specimen_id` is the serial `id` with its
    Damm check digit, set in the same transaction as the insert."""

    __table_args__ = (CheckConstraint("id < 1000000000", name="ck_specimen_serial"),)

    id: int | None = Field(default=None, primary_key=True)
    specimen_id: str | None = Field(default=None, max_length=10, unique=True)
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    container: str = Field(max_length=40)
    tests: str = Field(default="", max_length=200)  # test codes separated by spaces
    position: int
    of_total: int
    created_at: dt.datetime
    # Known when labels print at the chair: on the label instead of a blank to write on.
    collected_at: dt.datetime | None = None
    collected_by: str = Field(default="", max_length=100)
    transfusion: bool = False  # a transfusion sample: the label says TRANSFUSION


class PrintJob(SQLModel, table=True):
    """Labels sent to a printer at once: by the kiosk at check-in, or by the print worker (labels
    at the chair, staff reprints): those wait in this table until `next_try_at`, and a worker
    holds one while `lease_until` is in the future."""

    __tablename__ = "print_job"
    __table_args__ = (Index("ix_print_job_appointment", "appointment_id"),)

    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id")
    site_id: int = Field(foreign_key="site.id")
    source: str = Field(max_length=10)
    status: str = Field(default=JobStatus.PENDING, max_length=10)
    printer_status: str = Field(default="", max_length=10)
    detail: str = Field(default="", max_length=500)
    reason: str = Field(default="", max_length=300)
    requested_by: str = Field(default="", max_length=100)
    api_key_id: int | None = Field(default=None, foreign_key="api_key.id")
    created_at: dt.datetime
    reported_at: dt.datetime | None = None
    chair_id: int | None = Field(default=None, foreign_key="chair.id")
    next_try_at: dt.datetime | None = Field(default=None, index=True)  # None: not the worker's
    lease_until: dt.datetime | None = None
    tries: int = 0


class PrintJobLabel(SQLModel, table=True):
    """One label of a print job and its outcome; `reprint` when it says REPRINT."""

    __tablename__ = "print_job_label"

    job_id: int = Field(foreign_key="print_job.id", primary_key=True)
    specimen_pk: int = Field(foreign_key="specimen.id", primary_key=True, index=True)
    position: int
    reprint: bool = False
    outcome: str = Field(default=LabelOutcome.PENDING, max_length=12)
    attempts: int = 0


class KioskReport(SQLModel, table=True):
    """Something a kiosk told staff about a booking; today only "not_me": the patient said the
    name the kiosk showed for their reference and date of birth was not theirs."""

    __tablename__ = "kiosk_report"

    id: int | None = Field(default=None, primary_key=True)
    appointment_id: int = Field(foreign_key="appointment.id", index=True)
    api_key_id: int = Field(foreign_key="api_key.id")
    kind: str = Field(max_length=20)
    at: dt.datetime


class SitePrinter(SQLModel, table=True):
    """The label printer staff reprint to at a site (a label_printer URI)."""

    __tablename__ = "site_printer"

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    uri: str = Field(max_length=300)


class QueueCall(SQLModel, table=True):
    """When a checked-in patient was called to a chair, and by whom."""

    __tablename__ = "queue_call"

    appointment_id: int = Field(foreign_key="appointment.id", primary_key=True)
    called_at: dt.datetime
    called_by: str = Field(max_length=100)
    chair_id: int | None = Field(default=None, foreign_key="chair.id")


class StaffAudit(SQLModel, table=True):
    """A staff (or partner key) action on patient data (view, reprint, cancel, collect, a name
    corrected, a request created, looked at or cancelled), a booking refused because its
    details did not match the patient's record, or a change to how the service is set up (sites,
    clinics, the catalogue, organisations, accounts and keys: `detail` says before and after),
    for admins to read. `patient_id` points at the
    record concerned instead of copying its details into `detail`."""

    __tablename__ = "staff_audit"
    __table_args__ = (Index("ix_staff_audit_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime
    staff_user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    username: str = Field(max_length=60)
    action: str = Field(max_length=40)
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id", index=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    lab_request_id: int | None = Field(default=None, foreign_key="lab_request.id", index=True)
    detail: str = Field(default="", max_length=500)
