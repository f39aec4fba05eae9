"""loans: borrowers, loans, kits, reservations, kiosk

Revision ID: 0004_loans
Revises: 0003_refurbishment
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_loans'
down_revision = '0003_refurbishment'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('borrowers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_number', sa.String(length=16), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('first_name', sa.String(length=80), nullable=False),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('organisation', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=120), nullable=True),
    sa.Column('name_key', sa.String(length=170), nullable=False),
    sa.Column('home_site_id', sa.Integer(), nullable=False),
    sa.Column('referring_partner', sa.String(length=120), nullable=False),
    sa.Column('pin_hash', sa.String(length=255), nullable=True),
    sa.Column('pin_failures', sa.Integer(), nullable=False),
    sa.Column('pin_failed_at', sa.DateTime(), nullable=True),
    sa.Column('consent_at', sa.DateTime(), nullable=True),
    sa.Column('blocked', sa.Boolean(), nullable=False),
    sa.Column('block_reason', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(), nullable=False),
    sa.Column('anonymised_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("NOT blocked OR block_reason <> ''", name=op.f('ck_borrowers_block_reason')),
    sa.CheckConstraint("kind IN ('resident','partner','staff')", name=op.f('ck_borrowers_kind')),
    sa.CheckConstraint('anonymised_at IS NOT NULL OR phone IS NOT NULL OR email IS NOT NULL', name=op.f('ck_borrowers_contact')),
    sa.CheckConstraint('anonymised_at IS NULL OR card_number IS NULL', name=op.f('ck_borrowers_anonymised_card')),
    sa.ForeignKeyConstraint(['home_site_id'], ['sites.id'], name=op.f('fk_borrowers_home_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_borrowers')),
    sa.UniqueConstraint('card_number', name=op.f('uq_borrowers_card_number'))
    )
    with op.batch_alter_table('borrowers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_borrowers_home_site_id'), ['home_site_id'], unique=False)
        batch_op.create_index('ix_borrowers_last_activity', ['last_activity_at'], unique=False)
        batch_op.create_index('ix_borrowers_name_key', ['name_key'], unique=False)

    op.create_table('kits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_kits_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kits')),
    sa.UniqueConstraint('code', name=op.f('uq_kits_code'))
    )
    with op.batch_alter_table('kits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kits_site_id'), ['site_id'], unique=False)

    op.create_table('loan_category_rules',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('borrower_kind', sa.String(length=12), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('loan_days', sa.Integer(), nullable=False),
    sa.Column('deposit', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.CheckConstraint("borrower_kind IN ('resident','partner','staff')", name=op.f('ck_loan_category_rules_borrower_kind')),
    sa.CheckConstraint("category IN ('laptop','desktop','tablet','smartphone','screen','printer','router','accessory','other')", name=op.f('ck_loan_category_rules_category')),
    sa.CheckConstraint('deposit >= 0', name=op.f('ck_loan_category_rules_deposit')),
    sa.CheckConstraint('loan_days >= 1', name=op.f('ck_loan_category_rules_loan_days')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_loan_category_rules_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('site_id', 'borrower_kind', 'category', name=op.f('pk_loan_category_rules'))
    )
    op.create_table('loan_kind_rules',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('borrower_kind', sa.String(length=12), nullable=False),
    sa.Column('max_devices', sa.Integer(), nullable=False),
    sa.Column('max_renewals', sa.Integer(), nullable=False),
    sa.Column('max_days', sa.Integer(), nullable=False),
    sa.CheckConstraint("borrower_kind IN ('resident','partner','staff')", name=op.f('ck_loan_kind_rules_borrower_kind')),
    sa.CheckConstraint('max_days >= 1', name=op.f('ck_loan_kind_rules_max_days')),
    sa.CheckConstraint('max_devices >= 1', name=op.f('ck_loan_kind_rules_max_devices')),
    sa.CheckConstraint('max_renewals >= 0', name=op.f('ck_loan_kind_rules_max_renewals')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_loan_kind_rules_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('site_id', 'borrower_kind', name=op.f('pk_loan_kind_rules'))
    )
    op.create_table('loan_site_rules',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('accept_other_site_returns', sa.Boolean(), nullable=False),
    sa.Column('no_show_days', sa.Integer(), nullable=False),
    sa.Column('kiosk_ip_ranges', sa.Text(), nullable=False),
    sa.Column('kiosk_idle_seconds', sa.Integer(), nullable=False),
    sa.CheckConstraint('kiosk_idle_seconds >= 15', name=op.f('ck_loan_site_rules_kiosk_idle')),
    sa.CheckConstraint('no_show_days >= 0', name=op.f('ck_loan_site_rules_no_show_days')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_loan_site_rules_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('site_id', name=op.f('pk_loan_site_rules'))
    )
    op.create_table('kiosk_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kiosk_user_id', sa.Integer(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('pin_failures', sa.Integer(), nullable=False),
    sa.Column('pin_failed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_kiosk_sessions_closed_by_id_users')),
    sa.ForeignKeyConstraint(['kiosk_user_id'], ['users.id'], name=op.f('fk_kiosk_sessions_kiosk_user_id_users')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_kiosk_sessions_opened_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_kiosk_sessions_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_sessions'))
    )
    with op.batch_alter_table('kiosk_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_sessions_site_id'), ['site_id'], unique=False)

    op.create_table('kit_devices',
    sa.Column('kit_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_kit_devices_device_id_devices')),
    sa.ForeignKeyConstraint(['kit_id'], ['kits.id'], name=op.f('fk_kit_devices_kit_id_kits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('kit_id', 'device_id', name=op.f('pk_kit_devices')),
    sa.UniqueConstraint('device_id', name=op.f('uq_kit_devices_device_id'))
    )
    op.create_table('loans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('borrower_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kit_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('borrower_kind', sa.String(length=12), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('renewals', sa.Integer(), nullable=False),
    sa.Column('rules_accepted_at', sa.DateTime(), nullable=False),
    sa.Column('deposit_amount', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('deposit_method', sa.String(length=10), nullable=True),
    sa.Column('deposit_status', sa.String(length=10), nullable=True),
    sa.Column('lent_by_id', sa.Integer(), nullable=True),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.Column('return_site_id', sa.Integer(), nullable=True),
    sa.Column('return_condition', sa.String(length=12), nullable=True),
    sa.Column('loss_reason', sa.String(length=10), nullable=True),
    sa.Column('return_note', sa.Text(), nullable=False),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("borrower_kind IN ('resident','partner','staff')", name=op.f('ck_loans_borrower_kind')),
    sa.CheckConstraint("channel IN ('desk','kiosk','api')", name=op.f('ck_loans_channel')),
    sa.CheckConstraint("deposit_method IS NULL OR deposit_method IN ('cash','cheque','card','other')", name=op.f('ck_loans_deposit_method')),
    sa.CheckConstraint("deposit_status IS NULL OR deposit_status IN ('held','returned','kept')", name=op.f('ck_loans_deposit_status')),
    sa.CheckConstraint("return_condition IS NULL OR return_condition IN ('complete','damaged','incomplete','lost')", name=op.f('ck_loans_return_condition')),
    sa.CheckConstraint("loss_reason IS NULL OR loss_reason IN ('lost','stolen')", name=op.f('ck_loans_loss_reason')),
    sa.CheckConstraint("(return_condition = 'lost' AND loss_reason IS NOT NULL) OR (COALESCE(return_condition, '') <> 'lost' AND loss_reason IS NULL)", name=op.f('ck_loans_loss_complete')),
    sa.CheckConstraint('(returned_at IS NULL AND return_condition IS NULL) OR (returned_at IS NOT NULL AND return_condition IS NOT NULL)', name=op.f('ck_loans_return_complete')),
    sa.CheckConstraint('deposit_amount IS NULL OR (deposit_amount > 0 AND deposit_method IS NOT NULL AND deposit_status IS NOT NULL)', name=op.f('ck_loans_deposit')),
    sa.CheckConstraint('due_on >= start_on', name=op.f('ck_loans_due_after_start')),
    sa.CheckConstraint('renewals >= 0', name=op.f('ck_loans_renewals')),
    sa.ForeignKeyConstraint(['borrower_id'], ['borrowers.id'], name=op.f('fk_loans_borrower_id_borrowers')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_loans_device_id_devices')),
    sa.ForeignKeyConstraint(['kit_id'], ['kits.id'], name=op.f('fk_loans_kit_id_kits')),
    sa.ForeignKeyConstraint(['lent_by_id'], ['users.id'], name=op.f('fk_loans_lent_by_id_users')),
    sa.ForeignKeyConstraint(['return_site_id'], ['sites.id'], name=op.f('fk_loans_return_site_id_sites')),
    sa.ForeignKeyConstraint(['returned_by_id'], ['users.id'], name=op.f('fk_loans_returned_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_loans_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loans'))
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index('ix_loans_borrower_returned', ['borrower_id', 'returned_at'], unique=False)
        batch_op.create_index('ix_loans_device_started', ['device_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_loans_kit_id'), ['kit_id'], unique=False)
        batch_op.create_index('ix_loans_site_started', ['site_id', 'started_at'], unique=False)
        batch_op.create_index('ix_loans_open_site_due', ['site_id', 'due_on'], unique=False, sqlite_where=sa.text('returned_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL'))
        batch_op.create_index('uq_loans_open_device', ['device_id'], unique=True, sqlite_where=sa.text('returned_at IS NULL'), postgresql_where=sa.text('returned_at IS NULL'))

    op.create_table('reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('borrower_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=20), nullable=True),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=False),
    sa.Column('release_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('loan_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("category IS NULL OR category IN ('laptop','desktop','tablet','smartphone','screen','printer','router','accessory','other')", name=op.f('ck_reservations_category')),
    sa.CheckConstraint("status IN ('active','fulfilled','cancelled','no_show')", name=op.f('ck_reservations_status')),
    sa.CheckConstraint('device_id IS NOT NULL OR category IS NOT NULL', name=op.f('ck_reservations_device_or_category')),
    sa.CheckConstraint('end_on >= start_on', name=op.f('ck_reservations_dates')),
    sa.ForeignKeyConstraint(['borrower_id'], ['borrowers.id'], name=op.f('fk_reservations_borrower_id_borrowers')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reservations_created_by_id_users')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_reservations_device_id_devices')),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], name=op.f('fk_reservations_loan_id_loans')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_reservations_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reservations'))
    )
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.create_index('ix_reservations_borrower', ['borrower_id'], unique=False)
        batch_op.create_index('ix_reservations_device_status', ['device_id', 'status'], unique=False)
        batch_op.create_index('ix_reservations_site_status', ['site_id', 'status', 'start_on'], unique=False)


def downgrade() -> None:
    for table in ("reservations", "loans", "kit_devices", "kiosk_sessions", "loan_site_rules", "loan_kind_rules",
                  "loan_category_rules", "kits", "borrowers"):
        op.drop_table(table)
