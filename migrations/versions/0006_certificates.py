"""certificates: issued certificates (reference, content, hash, verification code) and valuations of
donated devices

Revision ID: 0006_certificates
Revises: 0005_documents
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_certificates'
down_revision = '0005_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_by_name', sa.String(length=120), nullable=False),
    sa.CheckConstraint("kind IN ('erasure','receipt','device')", name=op.f('ck_certificates_kind')),
    sa.CheckConstraint('length(content_sha256) = 64', name=op.f('ck_certificates_sha256_length')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_certificates_issued_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_certificates_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('kind', 'subject', 'content_sha256', name='uq_certificates_same_content'),
    sa.UniqueConstraint('reference', name=op.f('uq_certificates_reference'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index('ix_certificates_site_issued', ['site_id', 'issued_at'], unique=False)
        batch_op.create_index('ix_certificates_subject_issued', ['kind', 'subject', 'issued_at'], unique=False)

    op.create_table('device_valuations',
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('basis', sa.String(length=200), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_device_valuations_amount_positive')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_device_valuations_device_id_devices')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_device_valuations_set_by_id_users')),
    sa.PrimaryKeyConstraint('device_id', name=op.f('pk_device_valuations'))
    )


def downgrade() -> None:
    op.drop_table('device_valuations')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_subject_issued')
        batch_op.drop_index('ix_certificates_site_issued')

    op.drop_table('certificates')
