"""inventory: index of the stock tallies by site and category

- ``ix_stock_tallies_site_category`` (site_id, category, state, n): the stock page sums the tallies of each site
  and category, a column per state. Through the index by state (0022), SQLite read the rows state after state
  and sorted them again for the sums by site and category (a temporary B-tree); in this order it reads the
  index once and sums as it goes: 0.36 → 0.30 ms for the network's stock at 100,000 devices (the stock page
  −4 %). The index by state stays, for a list's total by state and category.

Revision ID: 0023_stock_tallies_by_site
Revises: 0022_stock_tallies_index
"""
from alembic import op


revision = '0023_stock_tallies_by_site'
down_revision = '0022_stock_tallies_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_stock_tallies_site_category", "stock_tallies", ["site_id", "category", "state", "n"])


def downgrade() -> None:
    op.drop_index("ix_stock_tallies_site_category", table_name="stock_tallies")
