"""reports: how each booking was made (web, API, staff, kiosk; HL7/FHIR later) and walk-ins;
indexes for reading a period of appointments; the settled counts (report_count, report_state)

Revision ID: 0010_booking_channel
Revises: 0009_nhs_login
Create Date: 2026-11-24 09:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_booking_channel"
down_revision = "0009_nhs_login"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointment") as batch:
        # Bookings made before this keep '' (shown as "not recorded"): the channel was not kept.
        batch.add_column(
            sa.Column(
                "channel",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="",
            )
        )
        batch.add_column(
            sa.Column("walk_in", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index("ix_appointment_start", ["starts_at"], unique=False)
        batch.create_index("ix_appointment_created", ["created_at"], unique=False)
    op.create_table(
        "report_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grain", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("figure", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("k1", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("k2", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("k3", sa.Integer(), nullable=False),
        sa.Column("k4", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_count_site_grain_period", "report_count",
                    ["site_id", "grain", "period"], unique=False)
    op.create_index("ix_report_count_figure", "report_count",
                    ["figure", "grain", "period", "site_id"], unique=False)
    op.create_table(
        "report_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("settled_until", sa.Date(), nullable=True),
        sa.Column("resettled_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("report_state")
    op.drop_index("ix_report_count_figure", table_name="report_count")
    op.drop_index("ix_report_count_site_grain_period", table_name="report_count")
    op.drop_table("report_count")
    with op.batch_alter_table("appointment") as batch:
        batch.drop_index("ix_appointment_created")
        batch.drop_index("ix_appointment_start")
        batch.drop_column("walk_in")
        batch.drop_column("channel")
