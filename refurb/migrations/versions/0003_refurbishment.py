"""refurbishment: donors, donations, diagnosis, erasure, repairs, grading, sales, recycling

Revision ID: 0003_refurbishment
Revises: 0002_inventory
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_refurbishment'
down_revision = '0002_inventory'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
