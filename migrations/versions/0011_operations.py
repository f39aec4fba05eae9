"""operations: what must survive lives in the database

- ``jobs``: background documents (state, progress, heartbeat, the result's stored file), claimed by any
  server process.
- ``signing_keys`` and ``certificates.key_id``: certificates are signed with a key kept in the database,
  named by each certificate, instead of the session secret key.
- ``erasures.report_file_id``: an erasure tool's report kept in ``stored_files`` (older reports stay files
  under ``report_path`` until ``refurb import-report-files`` takes them in).

Revision ID: 0011_operations
Revises: 0010_uploads
"""
from alembic import op
import sqlalchemy as sa


revision = '0011_operations'
down_revision = '0010_uploads'
branch_labels = None
depends_on = None

OLD_REPORT_HASH = ("(report_path IS NULL AND report_sha256 IS NULL) OR "
                   "(report_path IS NOT NULL AND report_sha256 IS NOT NULL)")
NEW_REPORT_HASH = ("(report_path IS NULL AND report_file_id IS NULL AND report_sha256 IS NULL) OR "
                   "(report_sha256 IS NOT NULL AND (report_path IS NOT NULL OR report_file_id IS NOT NULL))")


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('mimetype', sa.String(length=100), nullable=False),
    sa.Column('result_token', sa.String(length=64), nullable=True),
    sa.Column('worker', sa.String(length=64), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('queued','running','done','failed','interrupted')", name=op.f('ck_jobs_state')),
    sa.CheckConstraint('progress >= 0 AND progress <= 100', name=op.f('ck_jobs_progress_range')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_jobs_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_jobs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index('ix_jobs_state_created', ['state', 'created_at'], unique=False)
        batch_op.create_index('ix_jobs_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('signing_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('secret', sa.String(length=512), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('length(secret) > 0', name=op.f('ck_signing_keys_secret_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_keys'))
    )
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.create_index('uq_signing_keys_one_active', ['purpose'], unique=True,
                              sqlite_where=sa.text('retired_at IS NULL'),
                              postgresql_where=sa.text('retired_at IS NULL'))

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_certificates_key_id_signing_keys'), 'signing_keys',
                                    ['key_id'], ['id'])

    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_file_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_erasures_report_file_id_stored_files'), 'stored_files',
                                    ['report_file_id'], ['id'], ondelete='RESTRICT')
        batch_op.drop_constraint(batch_op.f('ck_erasures_report_hash'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_erasures_report_hash'), NEW_REPORT_HASH)


def downgrade() -> None:
    # Reports kept in the database have no file to point at under the older schema: their link is lost
    # (the stored file itself stays in stored_files).
    op.execute("UPDATE erasures SET report_sha256 = NULL, report_filename = NULL, report_size = NULL, "
               "report_kind = NULL WHERE report_path IS NULL AND report_file_id IS NOT NULL")
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_erasures_report_hash'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_erasures_report_hash'), OLD_REPORT_HASH)
        batch_op.drop_constraint(batch_op.f('fk_erasures_report_file_id_stored_files'), type_='foreignkey')
        batch_op.drop_column('report_file_id')

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_certificates_key_id_signing_keys'), type_='foreignkey')
        batch_op.drop_column('key_id')

    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_index('uq_signing_keys_one_active', sqlite_where=sa.text('retired_at IS NULL'),
                            postgresql_where=sa.text('retired_at IS NULL'))
    op.drop_table('signing_keys')

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_user_created')
        batch_op.drop_index('ix_jobs_state_created')
    op.drop_table('jobs')
