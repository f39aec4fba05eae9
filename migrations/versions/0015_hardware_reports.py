"""hardware reports: lshw, smartctl, nwipe, workbench files and their applied values (issue 16)

Revision ID: 0015_hardware_reports
Revises: 0014_bus_sync
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_hardware_reports'
down_revision = '0014_bus_sync'
branch_labels = None
depends_on = None

KINDS = ('lshw', 'smartctl', 'nwipe', 'workbench')


def upgrade() -> None:
    op.create_table('hardware_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('tool_version', sa.String(length=40), nullable=False),
    sa.Column('system_serial', sa.String(length=120), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('applied', sa.JSON(), nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN (" + ",".join(repr(k) for k in KINDS) + ")", name=op.f('ck_hardware_reports_kind')),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_hardware_reports_sha256_length')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_hardware_reports_device_id_devices')),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_hardware_reports_file_id_stored_files'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_hardware_reports_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hardware_reports')),
    sa.UniqueConstraint('sha256', name=op.f('uq_hardware_reports_sha256'))
    )
    with op.batch_alter_table('hardware_reports', schema=None) as batch_op:
        batch_op.create_index('ix_hardware_reports_device_created', ['device_id', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hardware_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_hardware_reports_device_created')

    op.drop_table('hardware_reports')
