"""uploads kept in the database (pending imports): stored_files, a file with its owner, purpose and
expiry time written in its row

Revision ID: 0010_uploads
Revises: 0009_media_disposal
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_uploads'
down_revision = '0009_media_disposal'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stored_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('size >= 0', name=op.f('ck_stored_files_size_positive')),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_stored_files_sha256_length')),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_stored_files_expires_after_created')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_stored_files_owner_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')),
    sa.UniqueConstraint('token', name=op.f('uq_stored_files_token'))
    )
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.create_index('ix_stored_files_expires', ['expires_at'], unique=False)
        batch_op.create_index('ix_stored_files_owner_purpose', ['owner_id', 'purpose'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.drop_index('ix_stored_files_owner_purpose')
        batch_op.drop_index('ix_stored_files_expires')

    op.drop_table('stored_files')
