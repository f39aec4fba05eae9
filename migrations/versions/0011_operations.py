"""operations: jobs, signing keys, erasure reports in the database (issue 11)

Revision ID: 0011_operations
Revises: 0010_uploads
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_operations'
down_revision = '0010_uploads'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
