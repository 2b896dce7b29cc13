"""request language: the patient's language a test request gives, for its messages and pages

Revision ID: 0016_request_language
Revises: 0015_walk_ins
Create Date: 2026-11-27 00:55:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016_request_language"
down_revision = "0015_walk_ins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Requests from before keep '' (none was given): their messages follow the patient's last
    # booking, as they did.
    with op.batch_alter_table("lab_request") as batch:
        batch.add_column(sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8),
                                   nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("lab_request") as batch:
        batch.drop_column("language")
