"""documents: stock-takes, public pages, open data, imports

Revision ID: 0005_documents
Revises: 0004_loans
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_documents'
down_revision = '0004_loans'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bus_stops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start_time', sa.String(length=5), nullable=False),
    sa.Column('end_time', sa.String(length=5), nullable=True),
    sa.Column('commune', sa.String(length=80), nullable=False),
    sa.Column('place', sa.String(length=160), nullable=False),
    sa.Column('postal_code', sa.String(length=5), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('end_time IS NULL OR end_time > start_time', name=op.f('ck_bus_stops_times')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_bus_stops_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bus_stops'))
    )
    with op.batch_alter_table('bus_stops', schema=None) as batch_op:
        batch_op.create_index('ix_bus_stops_day', ['day', 'start_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_bus_stops_site_id'), ['site_id'], unique=False)

    op.create_table('stocktakes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('expected_count', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("(status = 'open' AND closed_at IS NULL) OR (status = 'closed' AND closed_at IS NOT NULL)", name=op.f('ck_stocktakes_closed_consistent')),
    sa.CheckConstraint("status IN ('open','closed')", name=op.f('ck_stocktakes_status')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_stocktakes_closed_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_stocktakes_site_id_sites')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_stocktakes_started_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktakes'))
    )
    with op.batch_alter_table('stocktakes', schema=None) as batch_op:
        batch_op.create_index('ix_stocktakes_one_open_per_site', ['site_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.create_index('ix_stocktakes_site_started', ['site_id', 'started_at'], unique=False)

    op.create_table('stocktake_expected',
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_stocktake_expected_device_id_devices')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'], name=op.f('fk_stocktake_expected_stocktake_id_stocktakes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('stocktake_id', 'device_id', name=op.f('pk_stocktake_expected'))
    )
    op.create_table('stocktake_resolutions',
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("action IN ('lost','moved_here','found_again')", name=op.f('ck_stocktake_resolutions_action')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_stocktake_resolutions_device_id_devices')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'], name=op.f('fk_stocktake_resolutions_stocktake_id_stocktakes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stocktake_resolutions_user_id_users')),
    sa.PrimaryKeyConstraint('stocktake_id', 'device_id', name=op.f('pk_stocktake_resolutions'))
    )
    op.create_table('stocktake_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stocktake_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=120), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('times', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_stocktake_scans_device_id_devices')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktakes.id'], name=op.f('fk_stocktake_scans_stocktake_id_stocktakes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stocktake_scans_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_scans'))
    )
    with op.batch_alter_table('stocktake_scans', schema=None) as batch_op:
        batch_op.create_index('ix_stocktake_scans_device', ['stocktake_id', 'device_id'], unique=False)
        batch_op.create_index('uq_stocktake_scans_code', ['stocktake_id', 'code'], unique=True)

    # Sites gain what the national open-data schema needs (existing rows get empty values).
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pivot', sa.String(length=14), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('insee_code', sa.String(length=5), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('website', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('services', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('itinerant', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('public_summary', sa.String(length=280), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_sites_latitude'), 'latitude IS NULL OR (latitude >= -90 AND latitude <= 90)')
        batch_op.create_check_constraint(op.f('ck_sites_longitude'), 'longitude IS NULL OR (longitude >= -180 AND longitude <= 180)')
    op.execute("UPDATE sites SET itinerant = true WHERE kind = 'unite_mobile'")

def downgrade() -> None:
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sites_longitude'), type_='check')
        batch_op.drop_constraint(op.f('ck_sites_latitude'), type_='check')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('public_summary')
        batch_op.drop_column('itinerant')
        batch_op.drop_column('services')
        batch_op.drop_column('website')
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('insee_code')
        batch_op.drop_column('pivot')

    with op.batch_alter_table('stocktake_scans', schema=None) as batch_op:
        batch_op.drop_index('uq_stocktake_scans_code')
        batch_op.drop_index('ix_stocktake_scans_device')

    op.drop_table('stocktake_scans')
    op.drop_table('stocktake_resolutions')
    op.drop_table('stocktake_expected')
    with op.batch_alter_table('stocktakes', schema=None) as batch_op:
        batch_op.drop_index('ix_stocktakes_site_started')
        batch_op.drop_index('ix_stocktakes_one_open_per_site', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.drop_table('stocktakes')
    with op.batch_alter_table('bus_stops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bus_stops_site_id'))
        batch_op.drop_index('ix_bus_stops_day')

    op.drop_table('bus_stops')
