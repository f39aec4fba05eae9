"""inventory: the stock counted as devices move (``stock_tallies``, kept by triggers)

The stock page counted every device still held by the network at each view (68,000 of a 100,000-device
network, grouped by site, category and state: 9 ms on SQLite, more on PostgreSQL). It now reads
``stock_tallies``, which the database keeps:

- a device inserted adds a row +1 for its (site, category, state); a device deleted adds a row -1; a device
  whose site, category or state changes adds -1 for the old and +1 for the new (triggers on ``devices``,
  whatever statement made the change);
- every thousandth row (``id`` a multiple of 1,000), the rows up to it are replaced by their sums. On
  PostgreSQL the rows are taken with ``DELETE … RETURNING``: a row of a transaction not yet committed is
  neither deleted nor summed, and counts at the next summing. One transaction sums at a time (an advisory
  lock it only tries: another one skips its turn, nobody waits); only summing deletes rows, so a move never
  waits on another for the tallies and no two transactions can deadlock on them.

The rows start from the devices already there.

Revision ID: 0021_stock_tallies
Revises: 0020_device_word_search
"""
import sqlalchemy as sa
from alembic import op

revision = '0021_stock_tallies'
down_revision = '0020_device_word_search'
branch_labels = None
depends_on = None

SUM_EVERY = 1000
ADVISORY_KEY = 7_318_002_021  # pg_try_advisory_xact_lock: this summing, in any Refurb database

_ADD = "INSERT INTO stock_tallies (site_id, category, state, n) VALUES ({row}.site_id, {row}.category, {row}.state, {n})"
_SUM = ("INSERT INTO stock_tallies (site_id, category, state, n) SELECT site_id, category, state, sum(n) FROM {rows} "
        "GROUP BY site_id, category, state HAVING sum(n) <> 0")
_CHANGED = ("OLD.site_id IS DISTINCT FROM NEW.site_id OR OLD.category IS DISTINCT FROM NEW.category "
            "OR OLD.state IS DISTINCT FROM NEW.state")

SQLITE = [
    f"CREATE TRIGGER tr_devices_tally_insert AFTER INSERT ON devices BEGIN {_ADD.format(row='NEW', n=1)}; END",
    f"CREATE TRIGGER tr_devices_tally_delete AFTER DELETE ON devices BEGIN {_ADD.format(row='OLD', n=-1)}; END",
    "CREATE TRIGGER tr_devices_tally_update AFTER UPDATE OF site_id, category, state ON devices "
    f"WHEN {_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} "
    f"BEGIN {_ADD.format(row='OLD', n=-1)}; {_ADD.format(row='NEW', n=1)}; END",
    # SQLite writes one transaction at a time: every row up to NEW.id is this transaction's or committed. The
    # sums get ids above NEW.id; recursive triggers are off, so their insertion does not sum again.
    f"CREATE TRIGGER tr_stock_tallies_sum AFTER INSERT ON stock_tallies WHEN NEW.id % {SUM_EVERY} = 0 "
    f"BEGIN {_SUM.format(rows='stock_tallies WHERE id <= NEW.id')}; DELETE FROM stock_tallies WHERE id <= NEW.id; END",
]

POSTGRESQL = [
    f"""CREATE FUNCTION stock_tally_device() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_ADD.format(row='OLD', n=-1)}; END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN {_ADD.format(row='NEW', n=1)}; END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER tr_devices_tally AFTER INSERT OR DELETE ON devices FOR EACH ROW EXECUTE FUNCTION stock_tally_device()",
    f"CREATE TRIGGER tr_devices_tally_update AFTER UPDATE OF site_id, category, state ON devices FOR EACH ROW "
    f"WHEN ({_CHANGED}) EXECUTE FUNCTION stock_tally_device()",
    # The sums' own insertion may reach a multiple of 1,000 again: one level of that is allowed (summing
    # again is harmless), never more (pg_trigger_depth: a device's trigger inserts at depth 1, its summing at 2).
    f"""CREATE FUNCTION stock_tallies_sum() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() <= 2 AND pg_try_advisory_xact_lock({ADVISORY_KEY}) THEN
    WITH gone AS (DELETE FROM stock_tallies WHERE id <= NEW.id RETURNING site_id, category, state, n)
    {_SUM.format(rows='gone')};
  END IF;
  RETURN NULL;
END $$""",
    f"CREATE TRIGGER tr_stock_tallies_sum AFTER INSERT ON stock_tallies FOR EACH ROW "
    f"WHEN (NEW.id % {SUM_EVERY} = 0) EXECUTE FUNCTION stock_tallies_sum()",
]


def upgrade() -> None:
    op.create_table(
        "stock_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_tallies")),
    )
    op.execute("INSERT INTO stock_tallies (site_id, category, state, n) "
               "SELECT site_id, category, state, count(*) FROM devices GROUP BY site_id, category, state")
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS tr_devices_tally ON devices")
        op.execute("DROP TRIGGER IF EXISTS tr_devices_tally_update ON devices")
        op.execute("DROP TABLE stock_tallies")
        op.execute("DROP FUNCTION IF EXISTS stock_tally_device()")
        op.execute("DROP FUNCTION IF EXISTS stock_tallies_sum()")
        return
    for name in ("tr_devices_tally_insert", "tr_devices_tally_delete", "tr_devices_tally_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("stock_tallies")
