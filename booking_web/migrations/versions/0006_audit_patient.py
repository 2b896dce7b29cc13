"""staff audit rows can name the patient record they concern

Revision ID: 0006_audit_patient
Revises: 0005_cancelled_by
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_audit_patient"
down_revision = "0005_cancelled_by"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_audit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("patient_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_staff_audit_patient_id"), ["patient_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_staff_audit_patient_id_patient"), "patient", ["patient_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("staff_audit", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_staff_audit_patient_id_patient"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_staff_audit_patient_id"))
        batch_op.drop_column("patient_id")
