"""How a request's database session ends: a transaction that only read is committed, so that PostgreSQL's
connection keeps the statements psycopg prepared on it (psycopg forgets them all at a rollback); one that holds
changes no use case committed is rolled back, and nothing of it is kept."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from factories import new_device
from sqlalchemy import bindparam, event, func, select, text, update

from refurb.accounts.models import User
from refurb.accounts.services import get_user
from refurb.clock import today
from refurb.db import end_session, plain_rows, plain_value, rows_found
from refurb.inventory.models import Device
from refurb.reports.figures import build_report
from refurb.sites.models import Site


@pytest.fixture
def ends(app):
    engine = app.extensions["refurb.db"].engine
    seen: list[str] = []
    on_commit, on_rollback = (lambda conn: seen.append("commit")), (lambda conn: seen.append("rollback"))
    event.listen(engine, "commit", on_commit)
    event.listen(engine, "rollback", on_rollback)
    yield seen
    event.remove(engine, "commit", on_commit)
    event.remove(engine, "rollback", on_rollback)


def test_a_session_that_only_read_ends_with_a_commit(app, ends):
    session = app.extensions["refurb.db"].session()
    assert session.scalar(select(Site).where(Site.code == "EPN-A")) is not None
    end_session(session)
    assert ends == ["commit"]


def test_a_change_no_use_case_committed_is_rolled_back(app, ends):
    database = app.extensions["refurb.db"]
    session = database.session(write=True)
    session.scalar(select(Site).where(Site.code == "EPN-A")).name = "Changé hors d'un cas d'usage"
    end_session(session)
    assert ends == ["rollback"]
    with database.session() as fresh:
        assert fresh.scalar(select(Site.name).where(Site.code == "EPN-A")) != "Changé hors d'un cas d'usage"


@pytest.mark.parametrize("how", ["flushed", "executed", "as text"])
def test_a_change_already_sent_but_not_committed_is_rolled_back(app, ends, how):
    """A change flushed (by a query's autoflush, say) or executed outside a use case is in the transaction,
    not in the session's pending objects: it is rolled back too, never committed by the end of the request."""
    database = app.extensions["refurb.db"]
    session = database.session(write=True)
    if how == "flushed":
        session.scalar(select(Site).where(Site.code == "EPN-A")).name = "Envoyé hors d'un cas d'usage"
        session.flush()
    elif how == "executed":
        session.execute(update(Site).where(Site.code == "EPN-A").values(name="Envoyé hors d'un cas d'usage"))
    else:
        session.execute(text("UPDATE sites SET name = 'Envoyé hors d''un cas d''usage' WHERE code = 'EPN-A'"))
    assert not (session.new or session.dirty or session.deleted)
    end_session(session)
    assert ends == ["rollback"]
    with database.session() as fresh:
        assert fresh.scalar(select(Site.name).where(Site.code == "EPN-A")) == "EPN A"


def test_a_read_after_a_committed_use_case_ends_with_a_commit(app, ends):
    database = app.extensions["refurb.db"]
    session = database.session(write=True)
    session.execute(update(Site).where(Site.code == "EPN-A").values(name="EPN A"))
    session.commit()
    session.scalar(select(Site).where(Site.code == "EPN-B"))
    session.scalar(text("SELECT count(*) FROM sites"))
    end_session(session)
    assert ends == ["commit", "commit"]


def test_the_session_of_a_failed_request_is_rolled_back_even_if_it_only_read(app, ends):
    session = app.extensions["refurb.db"].session()
    session.scalar(select(Site).where(Site.code == "EPN-A"))
    end_session(session, failed=True)
    assert ends == ["rollback"]


def test_postgresql_keeps_the_prepared_statements_from_one_request_to_the_next(app, client, login_as):
    engine = app.extensions["refurb.db"].engine
    if engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    login_as("manager")
    used = []
    on_checkout = lambda dbapi_connection, _record, _proxy: used.append(dbapi_connection)  # noqa: E731
    event.listen(engine, "checkout", on_checkout)
    try:
        for _ in range(12):
            assert client.get("/stock").status_code == 200
    finally:
        event.remove(engine, "checkout", on_checkout)
    connection = max(set(used), key=used.count)  # the one the requests read through
    try:
        names = connection.execute("SELECT name FROM pg_prepared_statements").fetchall()
    finally:
        connection.commit()  # a rollback would drop them
    assert names


def test_postgresql_plans_a_statement_on_a_range_of_dates_at_each_run(db):
    """Planned once for any period, the activity report's statements read a two-year period as if it were a
    few days (0.5 s became 2 s after the fifth run): a statement comparing a column with a range of its values
    is never prepared, while a lookup by key run as often is."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    admin = get_user(db, "admin")
    for days in range(7):
        build_report(db, admin, site_code=None, start=(today() - timedelta(days=730 - days)).isoformat(),
                     end=today().isoformat())
        db.scalar(select(Site.name).where(Site.code == "EPN-A"))
    prepared = db.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("sites.code" in s for s in prepared), prepared
    assert not [s for s in prepared if ">=" in s or "<" in s], prepared


def test_rows_found_reads_ids_first_then_the_rows_in_their_order(db):
    """``rows_found``: a narrow query of the ids (no eager-loaded columns), then the rows found, in the order
    asked (ties broken by id); nothing found, nothing more read."""
    statements: list[str] = []
    listener = lambda _conn, _cursor, statement, *_args: statements.append(statement)  # noqa: E731
    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert rows_found(db, Site, select(Site.id).where(Site.code == bindparam("code")), {"code": "NOWHERE"}) == []
        selects = [s for s in statements if s.lstrip().startswith("SELECT")]
        assert len(selects) == 1 and selects[0].lstrip().startswith("SELECT sites.id \nFROM sites")
        found = rows_found(db, Site, select(Site.id).where(Site.active.is_(True)).order_by(Site.name.desc(), Site.id))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    expected = db.scalars(select(Site).where(Site.active.is_(True)).order_by(Site.name.desc(), Site.id)).all()
    assert len(found) >= 2 and found == expected


def test_plain_rows_see_the_sessions_pending_changes_as_its_own_queries_do(db):
    """``plain_rows`` and ``plain_value`` read through the session's connection, in its transaction: a change
    not yet flushed is flushed first, as the session's autoflush would, and not inside ``no_autoflush``."""
    count_named = select(func.count()).select_from(Site).where(Site.name == bindparam("name"))
    site = db.scalar(select(Site).where(Site.code == "EPN-A"))
    site.name = "Nom pas encore envoyé"
    with db.no_autoflush:
        assert plain_value(db, count_named, {"name": "Nom pas encore envoyé"}) == 0
    assert plain_value(db, count_named, {"name": "Nom pas encore envoyé"}) == 1
    assert plain_rows(db, select(Site.code).where(Site.id == site.id)) == [("EPN-A",)]
    db.rollback()


def test_the_sites_of_a_list_are_read_in_one_query_not_one_each(app, db):
    """A record's site is a lazy load: the first one of a session reads every site (a small table, held by the
    session), so a list of records from many sites costs two more queries, not one per site. A user's list of
    sites (a collection) is read as it is."""
    for code in ("EPN-A", "EPN-B", "BUS"):
        new_device(db, site=code)
    db.commit()
    statements: list[str] = []
    listener = lambda _conn, _cursor, statement, *_args: statements.append(statement)  # noqa: E731
    engine = app.extensions["refurb.db"].engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with app.extensions["refurb.db"].session() as fresh:
            devices = fresh.scalars(select(Device).order_by(Device.id)).all()
            codes = {d.site.code for d in devices}
            user_sites = [s.code for s in get_user(fresh, "tech").sites]
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert {"EPN-A", "EPN-B", "BUS"} <= codes and user_sites == ["EPN-A"]
    sites_read = [s for s in statements if "FROM sites" in s and "JOIN" not in s and "user_sites" not in s]
    assert len(sites_read) == 2, sites_read  # every site, then the first record's own


def test_the_session_statement_carries_the_settings_and_the_site_names_as_their_own_queries_read_them(
        app, client, login_as, db):
    """A page's first statement (the session behind its cookie) also reads the network's settings and the active
    sites' names a network role's header offers (``db.rows_as_json``): the same values as their own queries, the
    names in the database's order (a French collation on PostgreSQL: accents and case), text of any kind intact;
    the page then asks neither query again."""
    from refurb import settings
    from refurb.accounts import scope
    from refurb.db import rows_from_json

    for code, name, active in (("S-1", "Écluse", True), ("S-2", "eau vive", True), ("S-3", "Zèbre « Z »", True),
                               ("S-4", "abbaye", True), ("S-5", "Ébène \\ \"x\"", True), ("S-6", "Aaa fermé", False)):
        db.add(Site(code=code, name=name, kind="epn", active=active))
    settings.set_setting(db, "network_name", 'Réseau « test » \\ "n°1" 🙂')
    db.commit()
    stored, names = db.execute(select(settings.STORED_AS_JSON, scope.ACTIVE_SITE_NAMES_AS_JSON)).one()
    assert dict(rows_from_json(stored)) == dict(plain_rows(db, settings._ALL))
    assert [tuple(row) for row in rows_from_json(names)] == [tuple(row) for row in plain_rows(
        db, scope._SITE_NAMES[True])]
    assert "Aaa fermé" not in names and len(rows_from_json(names)) == 8  # the base's three and five new ones

    login_as("manager")
    engine = app.extensions["refurb.db"].engine
    statements: list[str] = []
    listener = lambda _conn, _cursor, statement, *_args: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        html = client.get("/password").get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert "Réseau « test » \\ &#34;n°1&#34; 🙂" in html and "Zèbre « Z »" in html
    assert not any(s.lstrip().startswith(("SELECT settings", "SELECT sites.id, sites.name")) for s in statements)


def _statements_of(app, call) -> list[str]:
    statements: list[str] = []
    engine = app.extensions["refurb.db"].engine
    listener = lambda _conn, _cursor, statement, *_args: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return statements


@pytest.mark.parametrize("signed_in_as, now", [("manager", "technicien"), ("tech", "gestionnaire")])
def test_the_session_reads_the_users_sites_with_them_and_the_scope_holds_when_the_role_changed(
        app, client, login_as, db, signed_in_as, now):
    """Every page's first statement reads the user with their own sites (ids, codes and names, one value), whatever
    their role, and the scope is decided from them: a role changed since sign-in (here straight in the database)
    is answered at once, a manager become a technician sees only their site's devices and stock, and the reverse
    every site's. The device page then asks no other statement about the user or their sites."""
    own, other = new_device(db, site="EPN-A").asset_tag, new_device(db, site="EPN-B").asset_tag
    db.commit()
    login_as(signed_in_as)
    first = next(s for s in _statements_of(app, lambda: client.get("/password")) if "user_sessions" in s)
    assert "user_sites" in first
    db.execute(update(User).where(User.username == signed_in_as).values(role=now))
    db.commit()
    statements = _statements_of(app, lambda: client.get(f"/d/{own}"))
    assert not [s for s in statements if "user_sites" in s and "user_sessions" not in s], statements
    assert not [s for s in statements if s.lstrip().startswith("SELECT users")], statements
    assert client.get(f"/d/{own}").status_code == 200
    expected = 403 if now == "technicien" else 200
    assert client.get(f"/d/{other}").status_code == expected
    page = client.get("/stock").get_data(as_text=True)
    assert ("EPN B" in page) == (now == "gestionnaire")


def test_a_site_bound_users_sites_are_read_at_each_request_and_decide_their_scope_at_once(app, client, login_as, db):
    """The sites a technician serves come with their session at each request (``accounts.scope.own_sites``): a site
    added or taken away by a manager, here straight in the database between two requests, opens or closes its
    devices at the next request, never later."""
    from refurb.accounts.models import user_sites

    other = new_device(db, site="EPN-B").asset_tag
    db.commit()
    login_as("tech")
    assert client.get(f"/d/{other}").status_code == 403
    tech = get_user(db, "tech")
    site_b = db.scalar(select(Site.id).where(Site.code == "EPN-B"))
    db.execute(user_sites.insert().values(user_id=tech.id, site_id=site_b))
    db.commit()
    assert client.get(f"/d/{other}").status_code == 200
    db.execute(user_sites.delete().where(user_sites.c.user_id == tech.id, user_sites.c.site_id == site_b))
    db.commit()
    assert client.get(f"/d/{other}").status_code == 403


def test_the_sites_carried_with_a_user_are_theirs_alone_and_give_way_to_their_sites_once_read_or_changed(app):
    """What the session's statement carried is the scope of the user it was read with, in that transaction: not of
    another user of the same session, not after a commit (read again then), and not once the user's ``sites`` were
    read or changed in the session (they are then the truth, as a use case that changes them expects)."""
    from refurb.accounts import scope, services

    database = app.extensions["refurb.db"]
    with database.session() as setup:
        tech, site_b = get_user(setup, "tech"), setup.scalar(select(Site).where(Site.code == "EPN-B"))
        secret, a_id, b_id = services.start_session(setup, tech), tech.sites[0].id, site_b.id
        setup.commit()
    with database.session() as db:
        found = services.open_session(db, secret)
        user = found.user
        assert "sites" not in user.__dict__  # the scope comes from what the statement carried
        assert scope.site_ids(user) == {a_id}
        assert [s.name for s in scope.sites_for(db, user, names_only=True)] == ["EPN A"]
        # another user of the same session: their own sites, read for them
        desk = get_user(db, "desk")
        ids = scope.site_ids(desk)
        assert ids == {s.id for s in desk.sites} and {s.code for s in desk.sites} == {"EPN-A", "BUS"}
        # the user's sites changed in the session: the change is the scope at once
        user.sites.append(db.get(Site, b_id))
        assert scope.site_ids(user) == {a_id, b_id}
        db.rollback()
    with database.session() as db:
        found = services.open_session(db, secret)
        db.commit()  # another transaction: what was carried is no longer used, the sites are read
        assert scope.site_ids(found.user) == {a_id}
        assert "sites" in found.user.__dict__


def test_a_page_that_works_with_the_users_sites_reads_them_with_the_session_from_its_second_request(
        app, client, login_as):
    """The desk works at the user's site, a record: the first time a page of a process asks for a site-bound
    user's sites they are read apart; its next requests read them with the session's statement (no statement of
    their own), and the desk shows the same."""
    from refurb.web.access import PAGES_WITH_USER_SITES

    login_as("desk")
    client.get("/prets/comptoir")  # the login's greeting shown; the page's sites read
    pages: list[str] = []
    statements = _statements_of(app, lambda: pages.append(client.get("/prets/comptoir").get_data(as_text=True)))
    session_statement = next(s for s in statements if "user_sessions" in s)
    assert "JOIN (user_sites" in session_statement.split("FROM user_sessions")[-1]  # its sites as records
    assert not [s for s in statements if "user_sites" in s and "user_sessions" not in s], statements
    PAGES_WITH_USER_SITES.clear()  # as a new process: the sites read apart, the same page
    assert _without_csrf(client.get("/prets/comptoir").get_data(as_text=True)) == _without_csrf(pages[0])


def _without_csrf(html: str) -> str:
    return re.sub(r'(csrf_token" value="|X-CSRFToken": ")[^"]+', r"\1", html)


def test_rows_carried_as_json_read_back_as_their_own_statement_gives_them(db):
    """``db.typed_rows_from_json``: the rows ``rows_as_json`` carried, named and typed as ``plain_rows`` gives them
    (a boolean, an aware UTC time, a number, text with quotes and accents, a JSON column's value, nothing); a type
    it cannot read back refused."""
    import pytest
    from sqlalchemy import LargeBinary, literal

    from refurb.db import rows_as_json, typed_rows_from_json

    db.add(Site(code="S-Q", name='Écluse « 2 » \\ "q"', kind="epn", active=False, latitude=47.1234567,
                services=["Accompagner les démarches", 'un "service"']))
    db.commit()
    stmt = select(Site.id, Site.code, Site.name, Site.active, Site.created_at, Site.latitude,
                  Site.longitude, Site.services).order_by(Site.name)
    carried = typed_rows_from_json(db.execute(select(rows_as_json(stmt))).scalar(), stmt)
    expected = plain_rows(db, stmt)
    assert [tuple(row) for row in carried] == [tuple(row) for row in expected] and len(expected) >= 4
    assert carried[0]._fields == ("id", "code", "name", "active", "created_at", "latitude", "longitude", "services")
    quoted = next(row for row in carried if row.code == "S-Q")
    assert quoted.active is False and quoted.created_at.tzinfo is not None and quoted.longitude is None
    assert quoted.services == ["Accompagner les démarches", 'un "service"']
    with pytest.raises(TypeError):
        typed_rows_from_json("[]", select(literal(b"x", LargeBinary)))
