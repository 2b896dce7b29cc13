"""who cancelled a booking (a closed clinic cancels by the service)

Revision ID: 0005_cancelled_by
Revises: 0004_scheduler_jobs
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005_cancelled_by"
down_revision = "0004_scheduler_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointment") as batch:
        batch.add_column(
            sa.Column(
                "cancelled_by",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("appointment") as batch:
        batch.drop_column("cancelled_by")
