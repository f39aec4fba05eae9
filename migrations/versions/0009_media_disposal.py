"""refurbishment: media destroyed before recycling or parts; the site where a donor was registered

- ``media_destructions``: the storage media of a device destroyed by us or by the recycler (with the
  recycler's destruction certificate number): with a passed erasure, what lets a device holding
  storage leave for recycling or parts.
- ``donors.site_id``: the site where a donor was registered, which sees it before any donation
  (donors are otherwise seen through the sites of their donations).

Revision ID: 0009_media_disposal
Revises: 0008_loan_trust
"""
from alembic import op
import sqlalchemy as sa


revision = '0009_media_disposal'
down_revision = '0008_loan_trust'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('media_destructions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('destroyed_by', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=120), nullable=False),
    sa.Column('recycler_name', sa.String(length=160), nullable=False),
    sa.Column('certificate_number', sa.String(length=60), nullable=False),
    sa.Column('destroyed_on', sa.Date(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('operator_name', sa.String(length=120), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("destroyed_by IN ('us','recycler')", name=op.f('ck_media_destructions_destroyed_by')),
    sa.CheckConstraint("destroyed_by <> 'us' OR method <> ''", name=op.f('ck_media_destructions_our_method')),
    sa.CheckConstraint("destroyed_by <> 'recycler' OR (recycler_name <> '' AND certificate_number <> '')",
                       name=op.f('ck_media_destructions_recycler_certificate')),
    sa.ForeignKeyConstraint(['batch_id'], ['recycling_batches.id'],
                            name=op.f('fk_media_destructions_batch_id_recycling_batches')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_media_destructions_device_id_devices')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_media_destructions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_destructions'))
    )
    with op.batch_alter_table('media_destructions', schema=None) as batch_op:
        batch_op.create_index('ix_media_destructions_device', ['device_id'], unique=False)

    with op.batch_alter_table('donors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_donors_site_id_sites'), 'sites', ['site_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('donors', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_donors_site_id_sites'), type_='foreignkey')
        batch_op.drop_column('site_id')
    with op.batch_alter_table('media_destructions', schema=None) as batch_op:
        batch_op.drop_index('ix_media_destructions_device')
    op.drop_table('media_destructions')
