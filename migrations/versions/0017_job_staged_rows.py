"""documents: the rows a long import has written in its earlier batches, per job

- ``job_staged_rows``: (job, row) for every row an import running as a job wrote before its last
  transaction; cleared when the job is done, withdrawn when it fails or is interrupted (its process
  killed), so that an import is whole or absent whatever happens to the process running it.

Revision ID: 0017_job_staged_rows
Revises: 0016_kiosk_return_place
"""
from alembic import op
import sqlalchemy as sa


revision = '0017_job_staged_rows'
down_revision = '0016_kiosk_return_place'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_staged_rows',
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_staged_rows_job_id_jobs'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'row_id', name=op.f('pk_job_staged_rows'))
    )


def downgrade() -> None:
    op.drop_table('job_staged_rows')
