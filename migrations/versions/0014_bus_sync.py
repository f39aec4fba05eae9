"""the bus offline: sync operations applied once, conflicts to settle and their history (issue 15)

Revision ID: 0014_bus_sync
Revises: 0013_performance
"""
from alembic import op
import sqlalchemy as sa


revision = '0014_bus_sync'
down_revision = '0013_performance'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sync_operations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('op_id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('asset_tag', sa.String(length=40), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.CheckConstraint("kind IN ('check_out','return','receive','seen')", name=op.f('ck_sync_operations_kind')),
        sa.CheckConstraint("status IN ('applied','conflict','rejected')", name=op.f('ck_sync_operations_status')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_sync_operations_site_id_sites')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_operations_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_operations')),
        sa.UniqueConstraint('client', 'op_id', name=op.f('uq_sync_operations_client_op_id')),
    )
    op.create_index('ix_sync_operations_user_received', 'sync_operations', ['user_id', 'received_at'], unique=False)
    op.create_table(
        'sync_conflicts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('operation_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('code', sa.String(length=30), nullable=False),
        sa.Column('tablet', sa.JSON(), nullable=False),
        sa.Column('server', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('resolved_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("state IN ('open','resolved','cancelled')", name=op.f('ck_sync_conflicts_state')),
        sa.ForeignKeyConstraint(['operation_id'], ['sync_operations.id'],
                                name=op.f('fk_sync_conflicts_operation_id_sync_operations')),
        sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_sync_conflicts_resolved_by_id_users')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_sync_conflicts_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflicts')),
        sa.UniqueConstraint('operation_id', name=op.f('uq_sync_conflicts_operation_id')),
    )
    op.create_index('ix_sync_conflicts_site_state', 'sync_conflicts', ['site_id', 'state'], unique=False)
    op.create_table(
        'sync_conflict_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conflict_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['conflict_id'], ['sync_conflicts.id'],
                                name=op.f('fk_sync_conflict_events_conflict_id_sync_conflicts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_conflict_events_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflict_events')),
    )
    op.create_index(op.f('ix_sync_conflict_events_conflict_id'), 'sync_conflict_events', ['conflict_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sync_conflict_events_conflict_id'), table_name='sync_conflict_events')
    op.drop_table('sync_conflict_events')
    op.drop_index('ix_sync_conflicts_site_state', table_name='sync_conflicts')
    op.drop_table('sync_conflicts')
    op.drop_index('ix_sync_operations_user_received', table_name='sync_operations')
    op.drop_table('sync_operations')
