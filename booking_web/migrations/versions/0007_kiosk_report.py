"""kiosk reports ("not me" at the kiosk, flagged on the today page)

Revision ID: 0007_kiosk_report
Revises: 0006_audit_patient
Create Date: 2026-11-23 10:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_kiosk_report"
down_revision = "0006_audit_patient"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosk_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_key.id"]),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_kiosk_report_appointment_id"), "kiosk_report", ["appointment_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_kiosk_report_appointment_id"), table_name="kiosk_report")
    op.drop_table("kiosk_report")
