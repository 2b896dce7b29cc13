"""labels at the chair: chairs, site printing, chair identification, print queue columns

Revision ID: 0008_chairs
Revises: 0007_kiosk_report
Create Date: 2026-11-26 09:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008_chairs"
down_revision = "0007_kiosk_report"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('printer_uri', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('printer_state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('printer_detail', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('printer_checked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_id', 'name', name='uq_chair_site_name')
    )
    with op.batch_alter_table('chair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chair_site_id'), ['site_id'], unique=False)

    op.create_table('site_printing',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('print_at', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('transfusion_labels', sa.Boolean(), nullable=False),
    sa.Column('transfusion_approved_by', sqlmodel.sql.sqltypes.AutoString(length=150), nullable=False),
    sa.Column('transfusion_recorded_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('transfusion_recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('site_id')
    )
    op.create_table('chair_identification',
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('chair_id', sa.Integer(), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('identified_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('identified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('print_job_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], ),
    sa.ForeignKeyConstraint(['chair_id'], ['chair.id'], ),
    sa.ForeignKeyConstraint(['print_job_id'], ['print_job.id'], ),
    sa.PrimaryKeyConstraint('appointment_id')
    )
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chair_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('next_try_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('tries', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_print_job_next_try_at'), ['next_try_at'], unique=False)
        batch_op.create_foreign_key('fk_print_job_chair_id_chair', 'chair', ['chair_id'], ['id'])

    with op.batch_alter_table('queue_call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chair_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_queue_call_chair_id_chair', 'chair', ['chair_id'], ['id'])

    with op.batch_alter_table('specimen', schema=None) as batch_op:
        batch_op.add_column(sa.Column('collected_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('collected_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('transfusion', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('specimen', schema=None) as batch_op:
        batch_op.drop_column('transfusion')
        batch_op.drop_column('collected_by')
        batch_op.drop_column('collected_at')

    with op.batch_alter_table('queue_call', schema=None) as batch_op:
        batch_op.drop_constraint('fk_queue_call_chair_id_chair', type_='foreignkey')
        batch_op.drop_column('chair_id')

    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.drop_constraint('fk_print_job_chair_id_chair', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_print_job_next_try_at'))
        batch_op.drop_column('tries')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('next_try_at')
        batch_op.drop_column('chair_id')

    op.drop_table('chair_identification')
    op.drop_table('site_printing')
    with op.batch_alter_table('chair', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chair_site_id'))

    op.drop_table('chair')
