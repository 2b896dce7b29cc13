"""languages: the language a patient booked in, kept with the booking and with each message

Revision ID: 0013_booking_language
Revises: 0012_site_display
Create Date: 2026-11-26 17:15:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013_booking_language"
down_revision = "0012_site_display"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Bookings and messages from before keep '' (English): they were made in English.
    with op.batch_alter_table("appointment") as batch:
        batch.add_column(sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8),
                                   nullable=False, server_default=""))
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8),
                                   nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("appointment") as batch:
        batch.drop_column("language")
