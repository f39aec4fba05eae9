"""the bus offline: sync operations applied once (issue 15)

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
    pass


def downgrade() -> None:
    pass
