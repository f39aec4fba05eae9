"""documents that hold up outside: erasure fields, DEEE register columns

- ``erasures``: the operator's job title, the verification method and the medium's destination after
  sanitisation (reuse, recycling, destruction), as on the NIST SP 800-88 sample certificate.
- ``erasure_media.manufacturer``: the medium's manufacturer.
- ``recycling_batches``: what the waste register of the arrêté of 31 May 2021 asks for each outgoing
  batch: the éco-organisme, the carrier's address and récépissé number, the destination facility's
  address and whether the waste holds persistent organic pollutants (POP).

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
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operator_title', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('verification_method', sa.String(length=160), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('destination', sa.String(length=12), nullable=False, server_default='reuse'))
        batch_op.create_check_constraint(op.f('ck_erasures_destination'),
                                         "destination IN ('reuse','recycling','destruction')")
    with op.batch_alter_table('erasure_media', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manufacturer', sa.String(length=80), nullable=False, server_default=''))
    with op.batch_alter_table('recycling_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('eco_organisme', sa.String(length=160), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('carrier_address', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('carrier_receipt', sa.String(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('facility_address', sa.String(length=300), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('contains_pop', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('recycling_batches', schema=None) as batch_op:
        for name in ('contains_pop', 'facility_address', 'carrier_receipt', 'carrier_address', 'eco_organisme'):
            batch_op.drop_column(name)
    with op.batch_alter_table('erasure_media', schema=None) as batch_op:
        batch_op.drop_column('manufacturer')
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_erasures_destination'), type_='check')
        for name in ('destination', 'verification_method', 'operator_title'):
            batch_op.drop_column(name)
