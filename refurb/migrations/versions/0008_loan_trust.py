"""loans: kiosk returns to check, scope fixes

Revision ID: 0008_loan_trust
Revises: 0007_sessions
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0008_loan_trust'
down_revision = '0007_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
