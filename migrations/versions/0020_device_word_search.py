"""inventory: trigram indexes for the brand/model word search (PostgreSQL)

- ``ix_devices_brand_trgm``, ``ix_devices_model_trgm`` (PostgreSQL only, GIN ``gin_trgm_ops`` of the
  ``pg_trgm`` extension, on ``brand COLLATE "C"`` and ``model COLLATE "C"``): a word searched inside the
  brand or the model is found through these indexes when it is rare. A word that matches no device (a
  serial-number prefix without a digit, a typo) read every row of a 100,000-device network under a French
  collation, about 90 ms. A frequent word is still read in order, which stops early. The search compares
  an ASCII word under the "C" collation (ASCII case folding, as SQLite's LIKE): under ICU every row was
  lowered through ICU first, three times slower.

``pg_trgm`` ships with PostgreSQL (Debian's server package includes it) and is a trusted extension: the
database's owner may create it. Where it is missing or refused, the search works as before, without these
indexes, and the upgrade says so.

Revision ID: 0020_device_word_search
Revises: 0019_device_list_index
"""
import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = '0020_device_word_search'
down_revision = '0019_device_list_index'
branch_labels = None
depends_on = None

TRIGRAM_INDEXES = (("ix_devices_brand_trgm", "brand"), ("ix_devices_model_trgm", "model"))
log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError as err:
        log.warning("pg_trgm indisponible (%s) : la recherche par marque ou modèle reste sans index.",
                    str(err.orig).strip().splitlines()[0])
        return
    for name, column in TRIGRAM_INDEXES:
        op.execute(f'CREATE INDEX {name} ON devices USING gin (({column} COLLATE "C") gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _ in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
