"""``refurb backup`` and ``refurb restore``: one file holds the whole state (jobs, stored files, signing keys
are all in the database).

SQLite is copied with its online backup API (a consistent snapshot while the application keeps writing);
PostgreSQL with ``pg_dump --format=custom`` and restored with ``pg_restore``. A restore goes only into an empty
database (unless forced), and refuses a file that is not a Refurb backup or comes from a newer version:
nothing is changed then. ``refurb db upgrade`` brings a restored older backup to the current schema.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from . import migrate

SQLITE_HEADER = b"SQLite format 3\x00"
PG_HEADER = b"PGDMP"


class BackupError(Exception):
    """A French message for the administrator; nothing was changed."""


def _sqlite_file(url: str) -> Path:
    return Path(make_url(url).database)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _shown(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=True)


def suffix(url: str) -> str:
    return ".sqlite" if url.startswith("sqlite") else ".dump"


def backup(url: str, path: Path) -> Path:
    """Write a consistent copy of the database at ``url`` to ``path`` (written whole, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".refurb-backup-")
    os.close(fd)
    try:
        if url.startswith("sqlite"):
            source = sqlite3.connect(f"file:{_sqlite_file(url)}?mode=ro", uri=True)
            target = sqlite3.connect(tmp)
            try:
                source.backup(target)  # one step: one read snapshot, writers go on (WAL)
            finally:
                target.close()
                source.close()
        else:
            pg_dump = shutil.which("pg_dump")
            if pg_dump is None:
                raise BackupError("pg_dump est introuvable sur ce poste (il est fourni avec PostgreSQL : paquet "
                                  "postgresql-client sous Debian/Ubuntu). Installez-le, ou lancez la sauvegarde "
                                  f"depuis le serveur PostgreSQL : pg_dump --format=custom --file={path} "
                                  f"\"{_shown(url)}\"")
            done = subprocess.run([pg_dump, "--format=custom", "--no-owner", "--file", tmp, "--dbname", _libpq(url)],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise BackupError(f"pg_dump a échoué : {done.stderr.strip()[:500]}")
        revision_of(Path(tmp))  # what was written is a Refurb backup we can read back
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def kind_of(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as err:
        raise BackupError(f"Impossible de lire {path} : {err.strerror or err}.") from None
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_HEADER):
        return "postgresql"
    raise BackupError(f"{path} n'est pas une sauvegarde Refurb (ni une base SQLite ni un fichier de pg_dump) : "
                      "rien n'a été changé.")


def revision_of(path: Path) -> str:
    """The schema revision a backup file was made at; refuses anything that is not a Refurb backup."""
    kind = kind_of(path)
    revision = None
    if kind == "sqlite":
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if {"alembic_version", "users", "sites"} <= tables:
                    revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            finally:
                conn.close()
        except sqlite3.DatabaseError:
            revision = None
        revision = revision[0] if revision else None
    else:
        pg_restore = shutil.which("pg_restore")
        if pg_restore is None:
            raise BackupError("pg_restore est introuvable sur ce poste (il est fourni avec PostgreSQL) : "
                              "installez le client PostgreSQL.")
        done = subprocess.run([pg_restore, "--data-only", "--table", "alembic_version", "--file", "-", str(path)],
                              capture_output=True, text=True)
        lines = done.stdout.splitlines()
        for i, line in enumerate(lines):
            if line.startswith("COPY ") and "alembic_version" in line and i + 1 < len(lines):
                revision = lines[i + 1].strip() or None
                break
    if not revision:
        raise BackupError(f"{path} n'est pas une sauvegarde Refurb (pas de tables de Refurb ni de version de "
                          "schéma) : rien n'a été changé.")
    return revision


def _check_known(url: str, revision: str) -> None:
    from alembic.script import ScriptDirectory
    try:
        ScriptDirectory.from_config(migrate.alembic_config(url)).get_revision(revision)
    except Exception:  # noqa: BLE001 - alembic's errors for an unknown revision vary
        raise BackupError(f"Cette sauvegarde vient d'une version plus récente de Refurb (schéma « {revision[:40]} », "
                          "inconnu de celle-ci) : mettez Refurb à jour avant de la restaurer. Rien n'a été changé.") \
            from None


def tables_in(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def restore(url: str, path: Path, *, force: bool = False) -> str:
    """Restore ``path`` into the database at ``url``; returns the backup's schema revision."""
    kind = kind_of(path)
    revision = revision_of(path)
    _check_known(url, revision)
    target = "sqlite" if url.startswith("sqlite") else "postgresql"
    if kind != target:
        raise BackupError(f"Cette sauvegarde vient d'une base {kind} ; la base configurée est {target} : "
                          "restaurez-la dans une base du même type. Rien n'a été changé.")
    if tables_in(url) and not force:
        raise BackupError("La base configurée n'est pas vide : la restauration la remplacerait. Restaurez dans une "
                          "base neuve, ou ajoutez --force pour remplacer son contenu. Rien n'a été changé.")
    if kind == "sqlite":
        destination = _sqlite_file(url)
        destination.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target_conn = sqlite3.connect(destination)
        try:
            source.backup(target_conn)  # replaces every page of the destination
        finally:
            target_conn.close()
            source.close()
    else:
        pg_restore = shutil.which("pg_restore")
        args = [pg_restore, "--no-owner", "--exit-on-error", "--dbname", _libpq(url)]
        if force:
            args[1:1] = ["--clean", "--if-exists"]
        done = subprocess.run([*args, str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_restore a échoué : {done.stderr.strip()[:500]}")
    return revision
