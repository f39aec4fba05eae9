"""inventory: index for the device list filtered by state and category

- ``ix_devices_state_category_id`` (state, category, id): the list filtered by state and category (the
  workshop's "laptops to lend", the default newest-first order) reads its page from this index in order
  and counts from it, without sorting the 11,000 matching devices of a 100,000-device network to show 50.

Revision ID: 0019_device_list_index
Revises: 0018_report_indexes
"""
from alembic import op


revision = '0019_device_list_index'
down_revision = '0018_report_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_devices_state_category_id", "devices", ["state", "category", "id"])


def downgrade() -> None:
    op.drop_index("ix_devices_state_category_id", table_name="devices")
