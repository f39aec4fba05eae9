"""uploads kept in the database (pending imports)

Revision ID: 0010_uploads
Revises: 0009_media_disposal
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0010_uploads'
down_revision = '0009_media_disposal'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
