"""performance: indexes for French collations and the device page (issue 12)

Revision ID: 0013_performance
Revises: 0012_documents
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_performance'
down_revision = '0012_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
