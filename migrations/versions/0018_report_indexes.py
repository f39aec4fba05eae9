"""reports: indexes for the activity report over a long period

- ``ix_device_events_first`` (to_state, device_id, at, from_state, site_id): each device's first move into
  a state (refurbished, put in the loan pool, kept for parts) is read from this index alone, grouped by
  device, without reading the events themselves (a two-year report of a 100,000-device network read the
  whole history row by row).
- ``ix_device_events_action_at`` (action, at, device_id, site_id): the devices registered in a period, from
  the index alone.

Revision ID: 0018_report_indexes
Revises: 0017_job_staged_rows
"""
from alembic import op


revision = '0018_report_indexes'
down_revision = '0017_job_staged_rows'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_device_events_first", "device_events", ["to_state", "device_id", "at", "from_state", "site_id"])
    op.create_index("ix_device_events_action_at", "device_events", ["action", "at", "device_id", "site_id"])


def downgrade() -> None:
    op.drop_index("ix_device_events_action_at", table_name="device_events")
    op.drop_index("ix_device_events_first", table_name="device_events")
