"""Test fixtures: a real database made by the migrations (SQLite file, or PostgreSQL when
REFURB_TEST_DATABASE_URL is set), emptied and refilled with a small network before each test."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from refurb import create_app, migrate
from refurb.accounts import services as accounts
from refurb.accounts.models import User
from refurb.models import metadata
from refurb.sites.models import Site

PASSWORD = "motdepasse-de-test"
PUBLIC_URL = "https://refurb.example.org"
# One PBKDF2 round instead of scrypt for every password and PIN hashed or checked in this process:
# scrypt costs 0.1-0.3 s a hash, about 20 s of each pass's CPU. (Processes started by tests keep scrypt;
# test_cli.py checks that the demo's accounts get it.)
accounts.HASH_METHOD = "pbkdf2:sha256:1"


@dataclass(frozen=True)
class Net:
    """Ids and names of the base fixture: site A is "own" for site-bound users, B is "other"."""
    site_a: str = "EPN-A"
    site_b: str = "EPN-B"
    bus: str = "BUS"


NET = Net()
USERS = {
    # username: (role, sites)
    "admin": ("admin", []),
    "manager": ("gestionnaire", ["EPN-A"]),
    "tech": ("technicien", ["EPN-A"]),
    "desk": ("accueil", ["EPN-A", "BUS"]),
    "kiosk": ("borne", ["EPN-A"]),
}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("REFURB_TEST_DATABASE_URL")
    if url is None:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'refurb-test.sqlite'}"  # one per xdist worker
    elif os.environ.get("PYTEST_XDIST_WORKER"):
        url = _worker_database(url, os.environ["PYTEST_XDIST_WORKER"])
    migrate.upgrade(url)
    return url


def _worker_database(url: str, worker: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database beside the one given (made anew)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return accounts.hash_secret(PASSWORD)


def _empty_all_tables(engine) -> None:
    """Every table emptied, ids starting again from 1, in one round trip. On PostgreSQL: a DELETE of small
    tables, and ``setval`` of the sequences used since (~3 ms; ALTER SEQUENCE … RESTART of every sequence
    cost ~40 ms, TRUNCATE … RESTART IDENTITY ~250 ms)."""
    # The stock tallies last: emptying the devices writes their -1 rows (triggers of migration 0021).
    tables = [t.name for t in reversed(metadata.sorted_tables) if t.name != "stock_tallies"] + ["stock_tallies"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f"'{t}'" for t in tables)
            conn.execute(text(
                "DO $$ DECLARE t text; s text; BEGIN "
                f"FOREACH t IN ARRAY ARRAY[{names}] LOOP EXECUTE format('DELETE FROM %I', t); END LOOP; "
                "FOR s IN SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema() "
                "AND last_value IS NOT NULL LOOP PERFORM setval(quote_ident(s), 1, false); END LOOP; END $$"))
        else:
            for t in tables:
                conn.exec_driver_sql(f'DELETE FROM "{t}"')


def _base_network(session, password_hash: str) -> None:
    """The sites and users every test starts with (made once through the models, then copied: see app)."""
    sites = {
        NET.site_a: Site(code=NET.site_a, name="EPN A", kind="epn", address="1 rue A", postal_code="37500",
                         city="Chinon", phone="02 47 00 00 01"),
        NET.site_b: Site(code=NET.site_b, name="EPN B", kind="epn", address="1 rue B", postal_code="37140",
                         city="Bourgueil", phone="02 47 00 00 02"),
        NET.bus: Site(code=NET.bus, name="Bus numérique", kind="unite_mobile", city="Chinon"),
    }
    session.add_all(sites.values())
    for username, (role, codes) in USERS.items():
        user_sites = [sites[c] for c in codes]
        session.add(User(username=username, full_name=username.title(), role=role, password_hash=password_hash,
                         sites=user_sites, home_site=user_sites[0] if user_sites else None))
    session.commit()


@pytest.fixture(scope="session")
def _session_app(database_url):
    """One app (one engine, warm SQL and template caches) for the whole run."""
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
                      "PUBLIC_URL": PUBLIC_URL})
    yield app
    app.extensions["refurb.db"].dispose()


BASE_TABLES = ("sites", "users", "user_sites")


@pytest.fixture(scope="session")
def _base_rows(_session_app, password_hash) -> dict[str, list[dict]]:
    """The base network's rows, made once through the models and read back, for a fast re-insert."""
    database = _session_app.extensions["refurb.db"]
    _empty_all_tables(database.engine)
    with database.session(write=True) as session:
        _base_network(session, password_hash)
    with database.engine.connect() as conn:
        return {t: [dict(r._mapping) for r in conn.execute(metadata.tables[t].select())] for t in BASE_TABLES}


def _restore_base_network(engine, rows: dict[str, list[dict]]) -> None:
    with engine.begin() as conn:
        for table in BASE_TABLES:
            conn.execute(metadata.tables[table].insert(), rows[table])
        if engine.dialect.name == "postgresql":  # the ids were given: move the sequences past them
            for table in ("sites", "users"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}"))


@pytest.fixture
def app(_session_app, _base_rows):
    """The app with an emptied database holding the base network; config changes are undone after."""
    app = _session_app
    saved = dict(app.config)
    engine = app.extensions["refurb.db"].engine
    _empty_all_tables(engine)
    _restore_base_network(engine, _base_rows)
    yield app
    # a job this case queued is run to its end here, not by the next case's worker (which would take the jobs
    # the next case queues for another process, and write into its emptied tables)
    assert app.extensions["refurb.jobs"].wait_idle(timeout=120), "a background job still runs after 2 minutes"
    app.config.clear()
    app.config.update(saved)


@pytest.fixture
def db(app):
    """A session for arranging and checking data outside requests.

    It uses a deferred BEGIN (not the write lock), so requests made meanwhile can write;
    call ``db.commit()`` after arranging and ``db.rollback()`` before re-reading (SQLite keeps
    the snapshot of an open transaction: ``expire_all()`` alone would re-read old rows)."""
    session = app.extensions["refurb.db"].session(write=False)
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path: str = "/") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def login_as(client):
    def _login(username: str):
        response = login(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client
    return _login


@pytest.fixture
def api_token(app):
    """Create a Bearer token for a user of the base network."""
    from refurb.accounts import services

    def _token(username: str) -> dict:
        with app.extensions["refurb.db"].session(write=True) as session:
            user = services.get_user(session, username)
            _t, secret = services.create_token(session, user, name="tests")
            session.commit()
        return {"Authorization": f"Bearer {secret}"}
    return _token


# --- browser journeys (real Chromium through Playwright) -------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browser here. Its headless shell (package
    chromium-headless-shell, the engine Playwright itself runs headless) renders the same pages; the journeys
    take about half the time they take in the full browser's headless mode (129 s -> 72 s here)."""
    import shutil
    path = shutil.which("chromium-headless-shell") or shutil.which("chromium") or "/usr/bin/chromium"
    return {**browser_type_launch_args, "executable_path": path, "headless": True,
            "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync"]}


@pytest.fixture
def live_server(app):
    """The app served on a free local port in a thread, on the test database."""
    import threading

    from werkzeug.serving import make_server

    app.config["PUBLIC_URL"] = ""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # polled every 50 ms for its stop (the default half second made each journey's end wait about that long)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


SCAN_FIELDS = ("desk-code", "kiosk-code", "kiosk-device", "basket-code")


def scan_in_browser(page, code: str, fields=SCAN_FIELDS) -> None:
    """As a USB scanner does: the focused field receives the code, then Enter. The page puts the focus back
    in its scan field once an answer is in place: wait for it, as a person does (at most 5 s)."""
    page.wait_for_function("ids => ids.includes(document.activeElement && document.activeElement.id)",
                           arg=list(fields), timeout=5000)
    page.keyboard.type(code)
    page.keyboard.press("Enter")


@pytest.fixture
def browser_login(page, live_server):
    """Log in through the real login form; returns the page."""
    def _login(username: str):
        page.goto(f"{live_server}/login")
        page.get_by_label("Identifiant").fill(username)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{live_server}/**")
        assert "/login" not in page.url, page.content()[:1000]
        return page
    return _login


# Area-specific fixtures live in tests/fixtures_<area>.py (loaded here, so areas don't edit this file).
pytest_plugins = sorted(
    f"fixtures_{p.stem[len('fixtures_'):]}" for p in __import__("pathlib").Path(__file__).parent.glob("fixtures_*.py")
)


@pytest.fixture
def axe_check(page):
    """Run axe-core (vendored) on the current page; fail on any WCAG 2 A/AA violation."""
    from pathlib import Path
    source = (Path(__file__).parent / "assets" / "axe.min.js").read_text()
    # Sent once, run by the browser in each new document of the test's page (an init script is not subject
    # to the page's CSP, unlike add_script_tag): sending its 650 kB before each check took 70 ms.
    page.add_init_script(script=source)

    def _check(page):
        if not page.evaluate("typeof axe !== 'undefined'"):  # another page, or opened before this fixture
            page.evaluate(source + "\n;0")
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
            return r.violations.map(v => v.id + ': ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(' | '));
        }""")
        assert result == [], "\n".join(result)
    return _check


def pytest_configure(config):
    """REFURB_TEST_CLOCK_DAYS=N moves the clock N days ahead for the whole run (CI runs it at +400 days):
    the suite must pass on any day. time-machine moves Python's clocks in every thread (dates, datetimes,
    time.time) and leaves the monotonic clock and sleeps real, so timed waits behave."""
    days = os.environ.get("REFURB_TEST_CLOCK_DAYS")
    if days:
        import time_machine

        start = datetime.now(timezone.utc) + timedelta(days=int(days))
        config._refurb_clock = time_machine.travel(start, tick=True)
        config._refurb_clock.start()


def pytest_collection_modifyitems(config, items):
    """CI's later pass runs only what it can change, so that nothing is run twice for nothing. Its PostgreSQL
    pass (REFURB_TEST_DATABASE_ONLY=1) also moves the clock (REFURB_TEST_CLOCK_DAYS), and runs:
    - the tests that use the test database (the ``database_url`` fixture, through ``app``, ``db``,
      ``client``…): another database;
    - and, with the clock moved, the others too, but those marked ``not_dated`` (the package build, the
      command line's help), which read no date.
    What it skips ran in the SQLite pass at the real time and would run the same here."""
    database_only = bool(os.environ.get("REFURB_TEST_DATABASE_ONLY"))
    clock_moved = bool(os.environ.get("REFURB_TEST_CLOCK_DAYS"))
    if not (database_only or clock_moved):
        return
    for item in items:
        uses_database = "database_url" in getattr(item, "fixturenames", ())
        dated = item.get_closest_marker("not_dated") is None
        if (database_only and uses_database) or (clock_moved and dated):
            continue
        reason = ("ne lit aucune date et n'utilise pas la base de test : lancé dans la passe SQLite"
                  if clock_moved else "n'utilise pas la base de test : lancé dans la passe SQLite")
        item.add_marker(pytest.mark.skip(reason=reason))
