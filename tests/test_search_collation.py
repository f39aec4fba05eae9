"""Prefix searches on asset tags and serial numbers return exactly the right devices whatever the database's
collation (hyphens, case, accents), and on PostgreSQL they go through an index even under a French
collation (the CI's PostgreSQL is made with ``--locale-provider=icu --icu-locale=fr-FR``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from refurb.accounts.services import get_user
from refurb.inventory import services
from refurb.inventory.models import Device

SERIALS = ["SN-ÉA1", "SN-EA2", "sn-éb3", "SN-É", "SN-ÉZ9", "SN-F1", "SNÉ4", "SN_É5", "SN-E-6", "SN-ÊA7"]


def _found(db, q: str) -> set[str]:
    db.rollback()
    admin = get_user(db, "admin")
    items, _ = services.list_devices(db, admin, services.parse_filter({"q": q, "per_page": "200"}))
    return {d.serial_number for d in items}


@pytest.fixture
def serials(make_device):
    return {make_device(serial_number=s): s.upper() for s in SERIALS}


@pytest.mark.parametrize(("q", "expected"), [
    ("SN-É", {"SN-ÉA1", "SN-ÉB3", "SN-É", "SN-ÉZ9"}),  # accents: É only, not E nor Ê
    ("sn-é", {"SN-ÉA1", "SN-ÉB3", "SN-É", "SN-ÉZ9"}),  # typed in lower case: serials are stored upper-case
    ("SN-E", {"SN-EA2", "SN-E-6"}),  # no É: a French collation sorts them together, a prefix does not
    ("SN-E-", {"SN-E-6"}),  # hyphens count
    ("SN_", {"SN_É5"}),  # "_" is a character here, not LIKE's wildcard
    ("SNÉ", {"SNÉ4"}),
    ("SN-ÊA", {"SN-ÊA7"}),
])
def test_serial_prefix_returns_exactly_the_devices_starting_with_it(db, serials, q, expected):
    assert _found(db, q) == expected


def test_tag_prefix_returns_exactly_the_tags_starting_with_it(db, make_device):
    tags = [make_device() for _ in range(12)]
    prefix = tags[-1][:-1]  # e.g. RF-00001: the tags RF-000010 … RF-000019
    assert {d for d in _tags(db, prefix)} == {t for t in tags if t.startswith(prefix)}
    assert _tags(db, prefix.lower()) == _tags(db, prefix)


def _tags(db, q: str) -> set[str]:
    db.rollback()
    admin = get_user(db, "admin")
    items, _ = services.list_devices(db, admin, services.parse_filter({"q": q, "per_page": "200"}))
    return {d.asset_tag for d in items}


def _postgresql(db) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("EXPLAIN of PostgreSQL plans: SQLite compares text by code point, its ordinary indexes "
                    "already serve a prefix (run with REFURB_TEST_DATABASE_URL=postgresql+psycopg://…)")


def _plan(db, q: str) -> str:
    # the search's own condition, alone: the list's joins and order let the planner pick another path on a
    # handful of rows, which says nothing of the index the condition can use
    stmt = select(Device.id).where(services.search_condition(db, get_user(db, "admin"), q))
    compiled = stmt.compile(dialect=db.get_bind().dialect, compile_kwargs={"literal_binds": True})
    db.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows: make the planner show what it can use
    return "\n".join(db.scalars(text(f"EXPLAIN {compiled}")))


@pytest.mark.parametrize(("q", "index"), [("RF-0001", "ix_devices_asset_tag_pattern"),
                                          ("SN-ÉA1", "ix_devices_serial_pattern")])
def test_postgresql_prefix_searches_use_an_index_under_the_database_collation(db, serials, q, index):
    _postgresql(db)
    collation = db.scalar(text("SELECT coalesce(daticulocale, datcollate) FROM pg_database "
                               "WHERE datname = current_database()"))
    plan = _plan(db, q)
    assert index in plan, f"collation {collation}:\n{plan}"
    assert "Seq Scan on devices" not in plan


def test_postgresql_prefix_search_takes_no_range_under_a_linguistic_collation(db):
    """Under a French collation the prefix is found by the pattern index, never by a range of the
    ordinary index (a range sorted linguistically drops "SN-ÉA1" from "SN-É")."""
    _postgresql(db)
    ordered = list(db.scalars(select(text("x")).select_from(
        text("unnest(CAST(ARRAY['É', 'F', 'a', 'B'] AS text[])) AS x")).order_by(text("x"))))
    condition = services.search_condition(db, get_user(db, "admin"), "SN-É")
    sql = str(condition.compile(dialect=db.get_bind().dialect))
    if ordered == sorted(ordered):  # a "C" cluster: the range of the ordinary index is right there
        assert ">=" in sql
    else:
        assert ">=" not in sql and "LIKE" in sql.upper()


def test_postgresql_word_search_in_brand_and_model_uses_the_trigram_indexes(db, make_device):
    """A word inside the brand or the model goes through the trigram indexes (migration 0020): a word that
    matches nothing no longer reads every device."""
    _postgresql(db)
    make_device(brand="Lenovo", model="ThinkPad T480")
    plan = _plan(db, "thinkpad")
    assert "ix_devices_brand_trgm" in plan and "ix_devices_model_trgm" in plan, plan
    assert "Seq Scan on devices" not in plan


def test_postgresql_trigram_indexes_are_on_the_c_collation_expressions(db):
    _postgresql(db)
    definitions = dict(db.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'devices' "
                                       "AND indexname LIKE '%\\_trgm'")).all())
    for column in ("brand", "model"):
        assert f'{column} COLLATE "C" gin_trgm_ops' in definitions[f"ix_devices_{column}_trgm"], definitions


def test_word_search_is_case_insensitive_and_exact(db, make_device):
    wanted = {make_device(brand="Lenovo", model="ThinkPad T480"), make_device(brand="LENOVO", model="IdeaPad 3")}
    make_device(brand="Dell", model="Latitude 5490")
    db.rollback()
    admin = get_user(db, "admin")
    items, _ = services.list_devices(db, admin, services.parse_filter({"q": "lenovo", "per_page": "200"}))
    assert {d.asset_tag for d in items} == wanted
    items, _ = services.list_devices(db, admin, services.parse_filter({"q": "thinkPAD", "per_page": "200"}))
    assert {d.model for d in items} == {"ThinkPad T480"}


def test_postgresql_word_with_an_accent_keeps_the_database_collation(db, make_device):
    """An ASCII word is compared with ASCII case folding (as on SQLite); a word with an accent is compared
    under the database's collation, where É and é are one letter in two cases."""
    _postgresql(db)
    wanted = make_device(brand="Iiyama", model="ÉCRAN ProLite")
    make_device(brand="Iiyama", model="Ecran ProLite")
    db.rollback()
    admin = get_user(db, "admin")
    items, _ = services.list_devices(db, admin, services.parse_filter({"q": "écran", "per_page": "200"}))
    assert {d.asset_tag for d in items} == {wanted}
    items, _ = services.list_devices(db, admin, services.parse_filter({"q": "prolite", "per_page": "200"}))
    assert len(items) == 2


def test_postgresql_prepares_statements_but_plans_each_search_for_its_words(db, make_device):
    """psycopg prepares a statement run five times, and PostgreSQL may then plan it once for any value: the
    eager loads are no longer planned at every request. Planned once, a device search would be blind to its
    words (which prefix, which trigrams: the indexes it can use), so a statement with a pattern is never
    prepared: the search's list, its count and its probe of tags and serial numbers are planned at each run."""
    _postgresql(db)
    make_device(brand="Lenovo", model="ThinkPad T480", serial_number="SN-PREP-1")
    db.rollback()
    admin = get_user(db, "admin")
    for _ in range(7):
        services.list_devices(db, admin, services.parse_filter({"q": "SN-PREP"}))  # a serial: the probe first
        services.list_devices(db, admin, services.parse_filter({"q": "thinkpad", "page": "2"}))  # and a count
        services.list_devices(db, admin, services.parse_filter({"state": "received"}))
    prepared = db.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("devices.state" in s and "LIKE" not in s.upper() for s in prepared), prepared  # the plain list
    assert not [s for s in prepared if "LIKE" in s.upper()]
