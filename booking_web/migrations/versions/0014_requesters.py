"""requesters: organisations, request windows, status history, tube outcomes, code map

Revision ID: 0014_requesters
Revises: 0013_booking_language
Create Date: 2026-11-26 12:47:41.938882

Requests made before this keep working: they get status 'waiting' (or the status of the
booking that carries them) and one history row at their creation time.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014_requesters"
down_revision = "0013_booking_language"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString
_INSTANT = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ods_code", _TEXT(length=6), nullable=False),
        sa.Column("name", _TEXT(length=120), nullable=False),
        sa.Column("address", _TEXT(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", _INSTANT(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ods_code"),
    )
    op.create_table(
        "organisation_test_code",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("external_code", _TEXT(length=40), nullable=False),
        sa.Column("test_code", _TEXT(length=12), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["test_code"], ["lab_test.code"]),
        sa.PrimaryKeyConstraint("organisation_id", "external_code"),
    )
    with op.batch_alter_table("lab_test", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fasting", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_staff_user_organisation", "organisation", ["organisation_id"], ["id"])

    with op.batch_alter_table("lab_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("placer_number", _TEXT(length=50), nullable=True))
        batch_op.add_column(sa.Column("ordering_provider", _TEXT(length=100), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("created_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source", _TEXT(length=10), nullable=False, server_default="api"))
        batch_op.add_column(sa.Column("patient_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("mobile", _TEXT(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("email", _TEXT(length=254), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("earliest", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("latest", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("urgency", _TEXT(length=10), nullable=False, server_default="routine"))
        batch_op.add_column(sa.Column("clinical_details", _TEXT(length=500), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("fasting", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("status", _TEXT(length=20), nullable=False, server_default="waiting"))
        batch_op.add_column(sa.Column("invited_at", _INSTANT(), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", _INSTANT(), nullable=True))
        batch_op.add_column(sa.Column("link_failures", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("updated_at", _INSTANT(), nullable=True))
        batch_op.create_index("ix_lab_request_org_created", ["organisation_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lab_request_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index("ix_lab_request_status", ["status"], unique=False)
        batch_op.create_unique_constraint("uq_lab_request_placer", ["organisation_id", "placer_number"])
        batch_op.create_check_constraint("ck_lab_request_window", "earliest IS NULL OR latest >= earliest")
        batch_op.create_foreign_key("fk_lab_request_organisation", "organisation", ["organisation_id"], ["id"])
        batch_op.create_foreign_key("fk_lab_request_created_by", "staff_user", ["created_by_user_id"], ["id"])
        batch_op.create_foreign_key("fk_lab_request_patient", "patient", ["patient_id"], ["id"])

    op.create_table(
        "request_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("status", _TEXT(length=20), nullable=False),
        sa.Column("at", _INSTANT(), nullable=False),
        sa.Column("actor", _TEXT(length=100), nullable=False),
        sa.Column("detail", _TEXT(length=300), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"]),
        sa.ForeignKeyConstraint(["request_id"], ["lab_request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("request_event", schema=None) as batch_op:
        batch_op.create_index("ix_request_event_request", ["request_id", "id"], unique=False)

    op.create_table(
        "tube_outcome",
        sa.Column("specimen_pk", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("result", _TEXT(length=12), nullable=False),
        sa.Column("reason", _TEXT(length=20), nullable=False),
        sa.Column("at", _INSTANT(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("by_name", _TEXT(length=100), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"]),
        sa.ForeignKeyConstraint(["by_user_id"], ["staff_user.id"]),
        sa.ForeignKeyConstraint(["specimen_pk"], ["specimen.id"]),
        sa.PrimaryKeyConstraint("specimen_pk"),
    )
    with op.batch_alter_table("tube_outcome", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tube_outcome_appointment_id"), ["appointment_id"], unique=False)

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lab_request_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_message_lab_request_id"), ["lab_request_id"], unique=False)
        batch_op.create_foreign_key("fk_outbox_message_lab_request", "lab_request", ["lab_request_id"], ["id"])

    with op.batch_alter_table("staff_audit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lab_request_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_staff_audit_lab_request_id"), ["lab_request_id"], unique=False)
        batch_op.create_foreign_key("fk_staff_audit_lab_request", "lab_request", ["lab_request_id"], ["id"])

    # Requests made before: the status of the latest booking that carries them, and a first
    # history row at their creation.
    op.execute(
        "UPDATE lab_request SET status = COALESCE((SELECT a.status FROM appointment a "
        "WHERE a.request_number = lab_request.request_number "
        "AND a.status IN ('booked', 'checked_in', 'collected') ORDER BY a.id DESC LIMIT 1), 'waiting')"
    )
    op.execute(
        "INSERT INTO request_event (request_id, status, at, actor, detail) "
        "SELECT id, 'waiting', created_at, requester, 'requested (before status history was kept)' "
        "FROM lab_request"
    )
    op.execute(
        "INSERT INTO request_event (request_id, status, at, actor, detail) "
        "SELECT id, status, created_at, '', 'status when history began' FROM lab_request "
        "WHERE status <> 'waiting'"
    )


def downgrade() -> None:
    with op.batch_alter_table("staff_audit", schema=None) as batch_op:
        batch_op.drop_constraint("fk_staff_audit_lab_request", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_staff_audit_lab_request_id"))
        batch_op.drop_column("lab_request_id")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint("fk_outbox_message_lab_request", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_message_lab_request_id"))
        batch_op.drop_column("lab_request_id")
    op.drop_table("tube_outcome")
    op.drop_table("request_event")
    with op.batch_alter_table("lab_request", schema=None) as batch_op:
        batch_op.drop_constraint("fk_lab_request_patient", type_="foreignkey")
        batch_op.drop_constraint("fk_lab_request_created_by", type_="foreignkey")
        batch_op.drop_constraint("fk_lab_request_organisation", type_="foreignkey")
        batch_op.drop_constraint("ck_lab_request_window", type_="check")
        batch_op.drop_constraint("uq_lab_request_placer", type_="unique")
        batch_op.drop_index("ix_lab_request_status")
        batch_op.drop_index(batch_op.f("ix_lab_request_patient_id"))
        batch_op.drop_index("ix_lab_request_org_created")
        for column in ("updated_at", "link_failures", "reminded_at", "invited_at", "status", "fasting", "clinical_details", "urgency",
                       "latest", "earliest", "email", "mobile", "patient_id", "source",
                       "created_by_user_id", "ordering_provider", "placer_number", "organisation_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("staff_user", schema=None) as batch_op:
        batch_op.drop_constraint("fk_staff_user_organisation", type_="foreignkey")
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("lab_test", schema=None) as batch_op:
        batch_op.drop_column("fasting")
    op.drop_table("organisation_test_code")
    op.drop_table("organisation")
