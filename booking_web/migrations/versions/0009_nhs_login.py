"""NHS login: sign-ins under way and signed-in sessions

Revision ID: 0009_nhs_login
Revises: 0008_chairs
Create Date: 2026-11-26 15:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_nhs_login"
down_revision = "0008_chairs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nhs_login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("code_verifier", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state_hash"),
    )
    op.create_index(op.f("ix_nhs_login_attempt_created_at"), "nhs_login_attempt", ["created_at"],
                    unique=False)
    op.create_table(
        "nhs_login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
        sa.Column("nhs_number", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("given_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("family_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("mobile", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_nhs_login_session_created_at"), "nhs_login_session", ["created_at"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_nhs_login_session_created_at"), table_name="nhs_login_session")
    op.drop_table("nhs_login_session")
    op.drop_index(op.f("ix_nhs_login_attempt_created_at"), table_name="nhs_login_attempt")
    op.drop_table("nhs_login_attempt")
