"""accounts: server-side sessions (logout ends the session)

Revision ID: 0007_sessions
Revises: 0006_certificates
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0007_sessions'
down_revision = '0006_certificates'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
