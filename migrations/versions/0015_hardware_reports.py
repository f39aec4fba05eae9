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


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
