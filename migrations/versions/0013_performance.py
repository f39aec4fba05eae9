"""performance: indexes for French collations and the device page (issue 12)

- ``ix_devices_asset_tag_pattern``, ``ix_devices_serial_pattern`` (PostgreSQL only): the asset tag and the
  serial number under ``text_pattern_ops``. A PostgreSQL initialised with a French locale (ICU fr-FR, or
  libc fr_FR.UTF-8) sorts text linguistically: its ordinary indexes cannot answer ``LIKE 'RF-0012%'``,
  and a prefix search read every row. These indexes compare characters one by one, whatever the
  database's collation. SQLite compares by code point: its ordinary indexes already serve a prefix.

Revision ID: 0013_performance
Revises: 0012_documents
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_performance'
down_revision = '0012_documents'
branch_labels = None
depends_on = None

PATTERN_INDEXES = (("ix_devices_asset_tag_pattern", "asset_tag"), ("ix_devices_serial_pattern", "serial_number"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in PATTERN_INDEXES:
        op.create_index(name, "devices", [column], postgresql_ops={column: "text_pattern_ops"})


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _ in PATTERN_INDEXES:
        op.drop_index(name, table_name="devices")
