"""refurbishment: media destroyed before recycling or parts

Revision ID: 0009_media_disposal
Revises: 0008_loan_trust
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0009_media_disposal'
down_revision = '0008_loan_trust'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
