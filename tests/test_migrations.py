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


def test_postgresql_upgrade_without_the_right_to_create_pg_trgm_still_succeeds(database_url):
    """A hosted PostgreSQL may refuse the application's role the extension: the upgrade goes on without the
    trigram indexes (it says so), and the word search works without them."""
    from sqlalchemy.engine import make_url

    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: the extension pg_trgm")
    admin_url = make_url(database_url)
    name = f"{admin_url.database}_notrgm"
    role = f"{name}_owner"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.exec_driver_sql("SELECT rolsuper OR rolcreaterole FROM pg_roles "
                                        "WHERE rolname = current_user").scalar():
                pytest.skip("the test database's role cannot create the role this test needs")
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
            conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" OWNER "{role}" TEMPLATE template0')
            conn.exec_driver_sql(f'REVOKE CREATE ON DATABASE "{name}" FROM "{role}", PUBLIC')
        url = admin_url.set(database=name, username=role, password=None).render_as_string(hide_password=False)
        migrate.upgrade(url)
        assert migrate.current_revision(url) == migrate.head_revision(url)
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").scalar() == 0
                assert "ix_devices_brand_trgm" not in {i["name"] for i in inspect(conn).get_indexes("devices")}
                assert conn.exec_driver_sql("SELECT count(*) FROM devices WHERE (brand COLLATE \"C\") ILIKE "
                                            "'%%thinkpad%%'").scalar() == 0
        finally:
            engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()
