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
    pass


def downgrade() -> None:
    pass
