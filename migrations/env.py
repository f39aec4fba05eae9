"""Alembic environment: runs on SQLite (batch mode, foreign keys off) and PostgreSQL."""

from alembic import context
from sqlalchemy import create_engine, text

from refurb.models import metadata

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    is_sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if is_sqlite:
            # A batch rebuild of a referenced table fails, or cascades deletes, with foreign keys on.
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            connection.commit()
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=is_sqlite,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        if is_sqlite:
            problems = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
            if problems:
                raise RuntimeError(f"Clés étrangères incohérentes après migration : {problems[:5]}")
            connection.execute(text("PRAGMA foreign_keys=ON"))
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Le mode hors ligne d'Alembic n'est pas pris en charge.")
run_migrations_online()
