"""Migrations go up to head and down to base on the test database (SQLite or PostgreSQL)."""

import pytest
from sqlalchemy import create_engine, inspect

from refurb import migrate
from refurb.models import metadata


def _tables(url):
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_roundtrip(app, database_url):
    app.extensions["refurb.db"].dispose()
    head = migrate.head_revision(database_url)
    assert migrate.current_revision(database_url) == head
    assert _tables(database_url) == set(metadata.tables)
    migrate.downgrade(database_url, "base")
    assert migrate.current_revision(database_url) is None
    assert _tables(database_url) == set()
    migrate.upgrade(database_url)
    assert migrate.current_revision(database_url) == head
    assert _tables(database_url) == set(metadata.tables)


@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_models_match_migrations(database_url):
    """Autogenerate finds nothing to add: the migrations made exactly the models' schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(database_url)

    def for_this_database(obj, name, type_, reflected, compare_to):
        if type_ != "index":
            return True
        model = compare_to if reflected else obj
        if model is not None and model.info.get("expression"):
            # an index on an expression alembic cannot compare (brand COLLATE "C"): its definition is checked
            # in tests/test_search_collation.py
            return False
        # an index the models declare for one database only (info["only_on"]) is not expected elsewhere
        return obj.info.get("only_on", engine.dialect.name) == engine.dialect.name

    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": for_this_database})
            diff = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == []
