"""walk-ins: per-site walk-in setting with a cap, and the count taken per hour or session

Revision ID: 0015_walk_ins
Revises: 0014_requesters
Create Date: 2026-11-26 17:50:00

No site takes walk-ins until an admin says so (no rows).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015_walk_ins"
down_revision = "0014_requesters"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "site_walk_ins",
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("site.id"), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.Column("per", _TEXT(length=10), nullable=False),
        sa.PrimaryKeyConstraint("site_id"),
        sa.CheckConstraint("cap > 0", name="ck_site_walk_ins_cap"),
        sa.CheckConstraint("per IN ('hour', 'session')", name="ck_site_walk_ins_per"),
    )
    op.create_table(
        "walk_in_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("site.id"), nullable=False),
        sa.Column("period", _TEXT(length=20), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("site_id", "period", name="uq_walk_in_count_period"),
        sa.CheckConstraint("taken > 0 AND taken <= cap", name="ck_walk_in_count_cap"),
    )


def downgrade() -> None:
    op.drop_table("walk_in_count")
    op.drop_table("site_walk_ins")
