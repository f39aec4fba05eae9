"""The stock the database tallies as devices move (migration 0021): the stock page reads these sums, so
they must equal the devices themselves after any change, however it was made, on both databases."""

from __future__ import annotations

import re

import pytest
from factories import new_device
from sqlalchemy import create_engine, event, func, select, text

from refurb import invariants
from refurb.accounts.models import User
from refurb.inventory import lifecycle, services
from refurb.inventory.models import Device, StockTally
from refurb.sites.models import Site


def _admin(db) -> User:
    return db.scalar(select(User).where(User.username == "admin"))


def _counted(db) -> dict:
    """The devices not gone, counted one by one: what the tallies must say."""
    rows = db.execute(select(Device.site_id, Device.category, Device.state, func.count())
                      .where(Device.state.not_in(("sold", "donated", "recycled", "parts")))
                      .group_by(Device.site_id, Device.category, Device.state))
    return {tuple(r[:3]): r[3] for r in rows}


def _tallied(db) -> dict:
    return {tuple(r[:3]): r[3] for r in services.stock_counts(db, _admin(db))}


def test_every_kind_of_change_is_tallied(db):
    """Registering, moving, transferring, a category corrected, a device deleted (an import withdrawn)."""
    admin = _admin(db)
    laptops = [new_device(db, state="loan_pool") for _ in range(3)]
    screen = new_device(db, category="screen", state="ready")
    db.commit()
    assert _tallied(db) == _counted(db) != {}

    lifecycle.apply(db, admin, laptops[1], "repairing")  # the one place a device changes state
    services.transfer_devices(db, admin, "BUS", [laptops[2].asset_tag, screen.asset_tag])
    db.execute(text("UPDATE devices SET category = 'desktop' WHERE id = :id"), {"id": laptops[0].id})
    db.execute(text("DELETE FROM device_events WHERE device_id = :id"), {"id": laptops[1].id})
    db.execute(text("DELETE FROM devices WHERE id = :id"), {"id": laptops[1].id})
    db.commit()
    assert _tallied(db) == _counted(db)
    assert invariants.stock_tallies_match_the_devices(db) == []
    bus = {(c, s): n for site_id, c, s, n in services.stock_counts(db, admin) if site_id == screen.site_id}
    assert bus == {("laptop", "loan_pool"): 1, ("screen", "ready"): 1}


def test_a_device_edited_without_moving_adds_no_row(db):
    device = new_device(db, state="ready")
    db.commit()
    rows = db.scalar(select(func.count()).select_from(StockTally))
    device.notes = "Clavier AZERTY"
    device.brand = "Lenovo"
    db.commit()
    assert db.scalar(select(func.count()).select_from(StockTally)) == rows


def test_the_rows_are_summed_every_thousand(db):
    """4,800 moves in bulk: the table keeps about one row per group plus the latest moves, and still adds up."""
    for i in range(60):
        new_device(db, category=("laptop", "tablet", "smartphone")[i % 3], state="received")
    db.commit()
    states = ("diagnosing", "repairing", "ready", "loan_pool", "received")
    for round_ in range(40):
        db.execute(text("UPDATE devices SET state = :s WHERE id % 2 = :parity"),
                   {"s": states[round_ % len(states)], "parity": round_ % 2})
    db.commit()
    rows = db.scalar(select(func.count()).select_from(StockTally))
    groups = db.scalar(select(func.count()).select_from(
        select(StockTally.site_id, StockTally.category, StockTally.state).distinct().subquery()))
    assert db.scalar(select(func.max(StockTally.id))) > 2000  # summed more than once
    assert rows < groups + 1000
    assert _tallied(db) == _counted(db)
    assert invariants.stock_tallies_match_the_devices(db) == []


@pytest.fixture
def pg_connections(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("two transactions at once: PostgreSQL (SQLite writes one transaction at a time)")
    app.extensions["refurb.db"].dispose()
    engine = create_engine(database_url, isolation_level="READ COMMITTED")
    yield engine
    engine.dispose()


def _set_next_tally_id(conn, next_id: int) -> None:
    conn.execute(text("SELECT setval(pg_get_serial_sequence('stock_tallies', 'id'), :v, false)"), {"v": next_id})


def test_summing_leaves_another_transactions_moves_to_the_next_sum(db, pg_connections):
    """A move not yet committed when another transaction sums is neither summed nor lost."""
    a, b = new_device(db, state="received"), new_device(db, state="received")
    db.commit()
    with pg_connections.connect() as first, pg_connections.connect() as second:
        first.execute(text("UPDATE devices SET state = 'diagnosing' WHERE id = :id"), {"id": a.id})  # low ids
        _set_next_tally_id(second, 1999)
        second.execute(text("UPDATE devices SET state = 'repairing' WHERE id = :id"), {"id": b.id})  # 1999, 2000: sums
        second.commit()
        first.commit()
    db.expire_all()
    assert db.scalar(select(func.count()).where(StockTally.id < 1999)) == 2  # only the first's moves, not summed
    assert _tallied(db) == _counted(db)
    assert invariants.stock_tallies_match_the_devices(db) == []


def test_a_second_summing_meanwhile_skips_its_turn_without_waiting(db, pg_connections):
    a, b = new_device(db, state="received"), new_device(db, state="received")
    db.commit()
    with pg_connections.connect() as first, pg_connections.connect() as second:
        _set_next_tally_id(first, 999)
        first.execute(text("UPDATE devices SET state = 'diagnosing' WHERE id = :id"), {"id": a.id})  # sums, holds
        _set_next_tally_id(second, 1999)
        second.execute(text("SET LOCAL lock_timeout = '2s'"))
        second.execute(text("UPDATE devices SET state = 'repairing' WHERE id = :id"), {"id": b.id})  # no wait
        second.commit()
        first.commit()
    db.expire_all()
    assert db.scalar(select(func.count()).where(StockTally.id == 2000)) == 1  # the second did not sum
    assert db.scalar(select(func.count()).where(StockTally.id <= 1000)) == 0  # the first did
    assert _tallied(db) == _counted(db)
    assert invariants.stock_tallies_match_the_devices(db) == []


def test_a_list_without_a_text_search_is_counted_exactly_from_the_tallies(db):
    """The device list filtered by site, state and category: its total from the tallies, in the user's scope."""
    for _ in range(4):
        new_device(db, state="loan_pool")
    new_device(db, category="tablet", state="loan_pool")
    new_device(db, site="EPN-B", state="loan_pool")
    new_device(db, state="ready")
    db.commit()
    manager = db.scalar(select(User).where(User.username == "manager"))
    tech = db.scalar(select(User).where(User.username == "tech"))  # EPN-A only

    def total(actor, **filters):
        f = services.DeviceFilter(per_page=2, **filters)
        items, n = services.list_devices(db, actor, f)
        assert len(items) == 2 and n == services.count_devices(db, services.device_query(db, actor, f), None)
        return n

    assert total(manager, state="loan_pool", category="laptop") == 5
    assert total(tech, state="loan_pool", category="laptop") == 4
    assert total(manager, state="loan_pool") == 6
    assert total(manager, site="EPN-A", category="laptop") == 5
    assert total(manager) == 7
    assert services.count_cap(services.DeviceFilter(state="ready")) is None  # exact: never "plus de"
    assert services.count_cap(services.DeviceFilter(q="dell")) == services.SEARCH_COUNT_CAP


def _sums_read(db, *calls) -> list[tuple]:
    """(statement, parameters) of the sums of the tallies that ``calls`` sent."""
    seen = []
    engine = db.get_bind()
    listener = lambda _conn, _cursor, statement, parameters, *_args: seen.append((statement, parameters))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for call in calls:
            call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return [(statement, parameters) for statement, parameters in seen if "FROM stock_tallies" in statement]


def test_postgresql_the_stock_sums_read_the_tallies_index(db):
    """The table's rows come and go with every move and every summing: after a bulk import its live rows are
    spread over thousands of pages. The list's total and the stock page's sums read an index (migrations 0022 and
    0023), whatever the table's size."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("EXPLAIN of PostgreSQL plans")
    new_device(db, state="loan_pool")
    db.commit()
    manager = db.scalar(select(User).where(User.username == "manager"))
    sums = _sums_read(db, lambda: services.tallied_count(db, manager, services.DeviceFilter(state="loan_pool",
                                                                                         category="laptop")),
                      lambda: services.stock_counts(db, manager))
    assert len(sums) == 2
    db.execute(text("SET LOCAL enable_seqscan = off"))  # a handful of rows: make the planner show what it can use
    for statement, parameters in sums:
        plan = "\n".join(row[0] for row in db.connection().exec_driver_sql(f"EXPLAIN {statement}", parameters))
        # one of the tallies' indexes (by state, or by site: migration 0023), as the statistics of the moment say
        assert re.search(r"(Index (Only )?Scan using|Bitmap Index Scan on) ix_stock_tallies_", plan), plan


def test_sqlite_sums_the_stock_in_the_order_of_its_index_by_site(db):
    """SQLite reads the stock page's sums from the index by site and category (migration 0023), in their order:
    no search of the index by state for the seven states held, then a sort of those rows again (``db.not_searched``),
    with or without statistics, for the network, a user's sites or one site."""
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN of SQLite")
    new_device(db, state="loan_pool")
    db.commit()
    manager = db.scalar(select(User).where(User.username == "manager"))
    tech = db.scalar(select(User).where(User.username == "tech"))
    site = db.scalar(select(Site).where(Site.code == "EPN-A"))
    sums = _sums_read(db, lambda: services.stock_counts(db, manager), lambda: services.stock_counts(db, tech),
                      lambda: services.stock_counts(db, tech, site))
    assert len(sums) == 3
    for statement, parameters in sums:
        plan = " / ".join(row[3] for row in db.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                                                            parameters))
        assert "ix_stock_tallies_site_category" in plan and "TEMP B-TREE" not in plan, plan
