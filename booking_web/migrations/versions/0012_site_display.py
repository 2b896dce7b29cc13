"""waiting-room call screen: a site's setting to speak each call aloud

Revision ID: 0012_site_display
Revises: 0011_idempotency
Create Date: 2026-11-26 16:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012_site_display"
down_revision = "0011_idempotency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_display",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("speak_calls", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"]),
        sa.PrimaryKeyConstraint("site_id"),
    )


def downgrade() -> None:
    op.drop_table("site_display")
