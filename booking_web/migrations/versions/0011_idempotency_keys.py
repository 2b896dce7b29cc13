"""idempotency keys (the kiosk's check-in attempts become keys too)

Revision ID: 0011_idempotency
Revises: 0010_booking_channel
Create Date: 2026-11-26 13:00:00
"""

import datetime as dt
import hashlib
import json

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011_idempotency"
down_revision = "0010_booking_channel"
branch_labels = None
depends_on = None

KEEP_FOR = dt.timedelta(hours=24)


def upgrade() -> None:
    keys = op.create_table(
        "idempotency_key",
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("request_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "request_key"),
    )
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_key_expires", ["expires_at"], unique=False)
    _carry_over_checkin_attempts(keys)
    op.drop_table("checkin_attempt")


def _carry_over_checkin_attempts(keys: sa.Table) -> None:
    """A kiosk resending a check-in across the upgrade still gets its answer: attempts of the
    last day become keys, with the fingerprint services/idempotency.py and checkin.py give them."""
    since = dt.datetime.now(dt.UTC) - KEEP_FOR
    rows = op.get_bind().execute(sa.text(
        "SELECT c.request_id, c.api_key_id, c.appointment_id, c.print_job_id, c.created_at, "
        "a.reference, p.date_of_birth FROM checkin_attempt c "
        "JOIN appointment a ON a.id = c.appointment_id JOIN patient p ON p.id = a.patient_id"
    )).all()
    carried = []
    for request_id, key_id, appointment_id, job_id, created_at, reference, born in rows:
        created = created_at if isinstance(created_at, dt.datetime) else dt.datetime.fromisoformat(str(created_at))
        created = created if created.tzinfo else created.replace(tzinfo=dt.UTC)
        if created < since:
            continue
        body = json.dumps({"reference": reference, "date_of_birth": str(born)[:10]}, sort_keys=True,
                          separators=(",", ":"))
        carried.append({
            "scope": f"api:{key_id}", "request_key": request_id,
            "fingerprint": hashlib.sha256(f"POST /api/v1/kiosk/checkin\n{body}".encode()).hexdigest(),
            "status": 200, "body": {"appointment_id": appointment_id, "print_job_id": job_id},
            "created_at": created, "expires_at": created + KEEP_FOR,
        })
    if carried:
        op.bulk_insert(keys, carried)


def downgrade() -> None:
    op.create_table(
        "checkin_attempt",
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("print_job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"]),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"]),
        sa.ForeignKeyConstraint(["print_job_id"], ["print_job.id"]),
        sa.PrimaryKeyConstraint("request_id"),
    )
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.drop_index("ix_idempotency_key_expires")
    op.drop_table("idempotency_key")
