"""loans: borrowers, loans, kits, reservations, kiosk

Revision ID: 0004_loans
Revises: 0003_refurbishment
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_loans'
down_revision = '0003_refurbishment'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
