"""``refurb backup`` while the application writes, ``refurb restore`` into a fresh database: same rows, same
invariants; a file that is not a Refurb backup, or comes from a newer schema, is refused and nothing changes."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from fixtures_documents import make_many
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from refurb import backup, migrate

COUNTED = ("devices", "device_events", "users", "sites", "signing_keys", "certificates", "stored_files", "jobs")
LAST_EVENT_MISMATCH = text(
    "SELECT count(*) FROM devices d WHERE d.state <> (SELECT e.to_state FROM device_events e "
    "WHERE e.device_id = d.id ORDER BY e.at DESC, e.id DESC LIMIT 1)")


def _facts(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            facts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in COUNTED}
            facts["state_not_last_event"] = conn.scalar(LAST_EVENT_MISMATCH)
            facts["revision"] = conn.scalar(text("SELECT version_num FROM alembic_version"))
        return facts
    finally:
        engine.dispose()


@pytest.fixture
def fresh_url(database_url, tmp_path):
    """An empty database of the same kind as the test database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    base = make_url(database_url)
    name = f"{base.database}_restore"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_backup_during_writes_restores_into_a_fresh_database(app, db, database_url, fresh_url, tmp_path):
    from refurb.certificates import services as certificates

    make_many(db, 200, "EPN-A")
    certificates.ensure_signing_key(db)
    db.commit()
    database = app.extensions["refurb.db"]
    stop = threading.Event()
    written = []

    def desk():  # another user keeps creating devices, batch after batch, during the backup
        start = 1000
        while not stop.is_set() and start < 60_000:
            with database.session(write=True) as session:
                make_many(session, 50, "EPN-B", start=start)
                session.commit()
            written.append(start)
            start += 50

    writer = threading.Thread(target=desk)
    writer.start()
    try:
        while not written:
            stop.wait(0.01)
        path = backup.backup(database_url, tmp_path / f"sauvegarde{backup.suffix(database_url)}")
        while len(written) < 3:
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join()
    assert backup.revision_of(path) == migrate.head_revision(database_url)

    backup.restore(fresh_url, path)
    migrate.upgrade(fresh_url)
    restored, now = _facts(fresh_url), _facts(database_url)
    assert restored["state_not_last_event"] == 0 and restored["revision"] == now["revision"]
    assert restored["devices"] == restored["device_events"]  # every device with its event: no half batch
    assert 200 + 50 <= restored["devices"] < now["devices"]  # taken while the desk wrote
    assert restored["signing_keys"] == now["signing_keys"] == 1 and restored["users"] == now["users"]

    # a restore into a database that is not empty is refused, unless forced
    with pytest.raises(backup.BackupError, match="n'est pas vide"):
        backup.restore(fresh_url, path)
    backup.restore(fresh_url, path, force=True)
    assert _facts(fresh_url)["devices"] == restored["devices"]


def test_a_file_that_is_not_a_backup_is_refused(database_url, fresh_url, tmp_path):
    junk = tmp_path / "notes.sqlite"
    junk.write_bytes(b"ceci n'est pas une base\n" * 10)
    with pytest.raises(backup.BackupError, match="pas une sauvegarde Refurb"):
        backup.restore(fresh_url, junk)
    other = tmp_path / "autre.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(backup.BackupError, match="pas une sauvegarde Refurb"):
        backup.restore(fresh_url, other)
    assert not backup.tables_in(fresh_url)


def test_a_backup_of_a_newer_schema_is_refused(app, database_url, fresh_url, tmp_path):
    if not database_url.startswith("sqlite"):
        pytest.skip("the schema version is edited in a SQLite copy")
    path = backup.backup(database_url, tmp_path / "recente.sqlite")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    conn.commit()
    conn.close()
    with pytest.raises(backup.BackupError, match="plus récente"):
        backup.restore(fresh_url, path)
    assert not backup.tables_in(fresh_url)


def test_backup_command_writes_a_file(app, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "cli" / "refurb.sauvegarde"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "Sauvegarde écrite" in result.output and Path(target).stat().st_size > 0
    assert "d'effacement encore en fichier" not in result.output  # every report is in the database
    refused = runner.invoke(args=["restore", str(target)])
    assert refused.exit_code != 0 and "n'est pas vide" in refused.output
