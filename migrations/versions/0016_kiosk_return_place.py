"""loans: where the kiosk tells a resident to put a returned device, per site

- ``loan_site_rules.kiosk_return_place``: a short text the kiosk shows after a return ("dans le bac
  bleu à gauche de l'accueil"); empty: the kiosk says to leave it at the reception.

Revision ID: 0016_kiosk_return_place
Revises: 0015_hardware_reports
"""
from alembic import op
import sqlalchemy as sa


revision = '0016_kiosk_return_place'
down_revision = '0015_hardware_reports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('loan_site_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kiosk_return_place', sa.String(length=200), nullable=False,
                                      server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('loan_site_rules', schema=None) as batch_op:
        batch_op.drop_column('kiosk_return_place')
