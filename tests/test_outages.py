"""When the database cannot serve (PostgreSQL stopped, SQLite file unreadable or read-only, SQLite's write lock
held too long), every request gets a French 503 made without the database (JSON under /api/v1), one log line
each, and the same process serves again as soon as the database is back, without a restart."""

from __future__ import annotations

import ctypes
import logging
import os
import re
import shutil
import sqlite3
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from refurb import create_app, migrate
from refurb.accounts.models import User
from refurb.accounts.services import hash_secret
from refurb.settings import set_setting
from refurb.sites.models import Site

from conftest import PASSWORD, login

UNAVAILABLE = "Service momentanément indisponible"


_CAP_DAC = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


@contextmanager
def file_permissions_apply():
    """File permissions do not stop root: when the tests run as root, this thread drops the two capabilities
    that bypass them (as a real server account has none), so that a chmod means what it means in service."""
    if os.geteuid() != 0:
        yield
        return
    libc = ctypes.CDLL(None, use_errno=True)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this thread
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable (x2: capabilities 0-31, 32-63)
    if libc.capget(header, data) != 0:
        pytest.skip("capget indisponible : impossible de simuler un compte sans privilèges")
    saved = data[0]
    data[0] = saved & ~_CAP_DAC
    if libc.capset(header, data) != 0:
        pytest.skip("capset indisponible : impossible de simuler un compte sans privilèges")
    try:
        yield
    finally:
        data[0] = saved
        libc.capset(header, data)


def _make_app(url: str, name: str = "Réseau des Tests"):
    """The app on a database already at the schema's head, holding one site and an administrator."""
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "outage-secret",
                      "PUBLIC_URL": "https://refurb.example.org"})
    with app.extensions["refurb.db"].session(write=True) as db:
        site = Site(code="EPN-A", name="EPN A", kind="epn", address="1 rue A", postal_code="37500",
                    city="Chinon", phone="02 47 00 00 01")
        db.add(User(username="admin", full_name="Admin", role="admin", sites=[], home_site=None,
                    password_hash=hash_secret(PASSWORD)))
        db.add(site)
        set_setting(db, "network_name", name)
        db.commit()
    return app


def _bearer(app) -> dict:
    from refurb.accounts import services

    with app.extensions["refurb.db"].session(write=True) as db:
        _token, secret = services.create_token(db, services.get_user(db, "admin"), name="tests")
        db.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def _migrated_sqlite(tmp_path_factory):
    """An empty SQLite file at the schema's head, migrated once and copied for each test."""
    path = tmp_path_factory.mktemp("migrated") / "refurb.sqlite"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_app(tmp_path, _migrated_sqlite):
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "refurb.sqlite"
    shutil.copyfile(_migrated_sqlite, path)
    app = _make_app(f"sqlite:///{path}")
    yield app, path
    app.extensions["refurb.db"].dispose()


def _assert_unavailable(response, *, api: bool = False):
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    if api:
        body = response.get_json()
        assert body["error"]["code"] == "unavailable"
        assert "indisponible" in body["error"]["message"] or "ne répond pas" in body["error"]["message"]
    else:
        page = response.get_data(as_text=True)
        assert UNAVAILABLE in page
        assert "Internal Server Error" not in page


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def captured_log(app):
    handler = _Lines()
    root = logging.getLogger()  # the app's logger and SQLAlchemy's pool log there too
    root.addHandler(handler)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)


def test_an_unreadable_sqlite_file_gives_the_french_page_then_serves_again_when_readable(sqlite_app):
    app, path = sqlite_app
    client = app.test_client()
    with file_permissions_apply():
        assert client.get("/lieux").status_code == 200  # the network's name is read (and kept) here
        staff, bearer = app.test_client(), _bearer(app)
        assert login(staff, "admin").status_code == 302
        for extra in path.parent.iterdir():
            extra.chmod(0o000)
        app.extensions["refurb.db"].dispose()  # a new connection must open the file (as after a restart)
        try:
            with captured_log(app) as records:
                for c, url in ((client, "/login"), (client, "/lieux"), (client, "/verify/ABC"), (staff, "/")):
                    response = c.get(url)
                    _assert_unavailable(response)
                    # The page was made without the database, with the name read before the outage.
                    assert "Réseau des Tests" in response.get_data(as_text=True)
                _assert_unavailable(client.get("/api/v1/devices", headers=bearer), api=True)
            # One line per failed request, no traceback.
            assert len(records) == 5, [r.getMessage() for r in records]
            assert not any(r.exc_info for r in records)
        finally:
            for extra in path.parent.iterdir():
                extra.chmod(0o644)
        assert client.get("/lieux").status_code == 200
        assert login(client, "admin").status_code == 302


def test_a_read_only_sqlite_file_refuses_writes_with_503_then_writes_again_without_restart(sqlite_app):
    app, path = sqlite_app
    client = app.test_client()
    with file_permissions_apply():
        path.chmod(0o444)
        app.extensions["refurb.db"].dispose()  # connections opened while the file is read-only
        try:
            response = login(client, "admin")  # a login writes (its session, the throttling)
            _assert_unavailable(response)
        finally:
            path.chmod(0o644)
        # The same process, the same pool: the connection that met a read-only file was thrown away.
        response = login(client, "admin")
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        assert client.get("/").status_code == 200


def _short_lock_wait(app) -> None:
    """SQLite waits 5 s for another writer's lock (``refurb.db``); 0.3 s here, for the same answer sooner."""
    database = app.extensions["refurb.db"]
    database.dispose()
    event.listen(database.engine, "connect", lambda connection, _record: connection.execute("PRAGMA busy_timeout=300"))


def test_a_write_waiting_too_long_for_sqlites_lock_is_asked_to_try_again_never_a_500(sqlite_app):
    app, path = sqlite_app
    _short_lock_wait(app)
    client = app.test_client()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock (a long import, say)
    try:
        response = login(client, "admin")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert "Réessayez" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers
    assert login(client, "admin").status_code == 302


def test_a_write_through_the_api_waiting_too_long_for_the_lock_gets_json_busy(sqlite_app):
    app, path = sqlite_app
    _short_lock_wait(app)
    bearer = _bearer(app)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = app.test_client().post("/api/v1/devices", json={"category": "laptop", "site": "EPN-A"},
                                          headers=bearer)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    body = response.get_json()
    assert body["error"]["code"] == "busy"
    assert "Réessayez" in body["error"]["message"]


def test_postgresql_stopped_then_started_the_same_app_serves_again(own_postgres):
    app = _make_app(own_postgres.url)
    try:
        client, staff, bearer = app.test_client(), app.test_client(), _bearer(app)
        assert client.get("/lieux").status_code == 200
        assert login(staff, "admin").status_code == 302
        own_postgres.stop()
        with captured_log(app) as records:
            for url in ("/login", "/lieux", "/verify/ABC"):
                _assert_unavailable(client.get(url))
            _assert_unavailable(staff.get("/"))  # a staff page: the session itself cannot be read
            _assert_unavailable(client.get("/api/v1/devices", headers=bearer), api=True)
        lines = [r.getMessage() for r in records]
        assert len(lines) == 5, lines
        assert not any(r.exc_info for r in records), lines
        own_postgres.start()
        assert client.get("/lieux").status_code == 200
        assert staff.get("/").status_code == 200  # the session opened before the outage still holds
        assert re.search("Réseau des Tests", staff.get("/").get_data(as_text=True))
    finally:
        app.extensions["refurb.db"].dispose()


def test_the_outage_page_under_concurrent_requests_keeps_one_line_each(own_postgres):
    app = _make_app(own_postgres.url)
    try:
        assert app.test_client().get("/lieux").status_code == 200
        own_postgres.stop()
        statuses: list[int] = []

        def hit():
            statuses.append(app.test_client().get("/lieux").status_code)

        with captured_log(app) as records:
            threads = [threading.Thread(target=hit) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert statuses == [503] * 8
        assert len(records) == 8, [r.getMessage() for r in records]
        own_postgres.start()
        assert app.test_client().get("/lieux").status_code == 200
    finally:
        app.extensions["refurb.db"].dispose()
