"""loans: kiosk returns to check, scope fixes

A return at the kiosk closes the loan with the condition "to_check" until the staff check the
device at the desk (then complete, damaged or incomplete, with who and when).

Revision ID: 0008_loan_trust
Revises: 0007_sessions
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_loan_trust'
down_revision = '0007_sessions'
branch_labels = None
depends_on = None

_OLD_CONDITIONS = "return_condition IS NULL OR return_condition IN ('complete','damaged','incomplete','lost')"
_NEW_CONDITIONS = ("return_condition IS NULL OR return_condition IN "
                   "('complete','damaged','incomplete','lost','to_check')")
_CHECKED = ("checked_at IS NULL OR (checked_by_id IS NOT NULL AND return_condition IN "
            "('complete','damaged','incomplete'))")


def upgrade() -> None:
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('checked_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_loans_checked_by_id_users'), 'users', ['checked_by_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_loans_return_condition'), type_='check')
        batch_op.create_check_constraint(op.f('ck_loans_return_condition'), _NEW_CONDITIONS)
        batch_op.create_check_constraint(op.f('ck_loans_checked'), _CHECKED)
        batch_op.create_index('ix_loans_to_check_site', ['return_site_id'], unique=False,
                              sqlite_where=sa.text("return_condition = 'to_check'"),
                              postgresql_where=sa.text("return_condition = 'to_check'"))


def downgrade() -> None:
    # Kiosk returns still waiting for their check are taken as complete (the device is in the loan pool).
    op.execute("UPDATE loans SET return_condition = 'complete' WHERE return_condition = 'to_check'")
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index('ix_loans_to_check_site', sqlite_where=sa.text("return_condition = 'to_check'"),
                            postgresql_where=sa.text("return_condition = 'to_check'"))
        batch_op.drop_constraint(op.f('ck_loans_checked'), type_='check')
        batch_op.drop_constraint(op.f('ck_loans_return_condition'), type_='check')
        batch_op.create_check_constraint(op.f('ck_loans_return_condition'), _OLD_CONDITIONS)
        batch_op.drop_constraint(batch_op.f('fk_loans_checked_by_id_users'), type_='foreignkey')
        batch_op.drop_column('checked_by_id')
        batch_op.drop_column('checked_at')
