"""Time a 10,000-device inventory PDF: database query + layout + drawing, today and at a past date
(rebuilt from the device history), on a fresh SQLite database (or REFURB_BENCH_DATABASE_URL).

    python benchmarks/bench_documents.py [--count 10000] [--events 4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import select


def arrange(db, count: int, events: int) -> None:
    from refurb.accounts.models import User
    from refurb.inventory.models import Device, DeviceEvent
    from refurb.sites.models import Site

    site = Site(code="EPN-BENCH", name="EPN de banc d'essai", kind="epn", postal_code="37500", city="Chinon")
    user = User(username="bench", full_name="Banc d'essai", role="gestionnaire", password_hash="x")
    db.add_all([site, user])
    db.flush()
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
    states = ["received", "diagnosing", "ready", "loan_pool"]
    db.execute(Device.__table__.insert(), [
        dict(asset_tag=f"RF-{i:06d}", category=("laptop", "desktop", "tablet", "screen")[i % 4], brand="Dell",
             model=f"Latitude {5000 + i % 500}", serial_number=f"SN{i:09d}", has_storage=True, specs={},
             condition="", notes="", grade="ABC"[i % 3], site_id=site.id, state=states[min(events, 4) - 1],
             created_at=t0, updated_at=t0, version=events) for i in range(1, count + 1)])
    ids = db.scalars(select(Device.id).order_by(Device.id)).all()
    rows = []
    for device_id in ids:
        for k in range(events):
            rows.append(dict(device_id=device_id, at=t0 + timedelta(days=k), user_id=user.id, site_id=site.id,
                             action="created" if k == 0 else "transition",
                             from_state=None if k == 0 else states[k - 1], to_state=states[min(k, 3)], note="",
                             data={}))
    for i in range(0, len(rows), 5000):
        db.execute(DeviceEvent.__table__.insert(), rows[i:i + 5000])
    db.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=4, help="history events per device")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from refurb import create_app, migrate
    from refurb.documents import inventory

    folder = tempfile.mkdtemp(prefix="refurb-bench-")
    url = os.environ.get("REFURB_BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite"
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
    database = app.extensions["refurb.db"]
    with app.app_context():
        with database.session(write=True) as db:
            start = time.perf_counter()
            arrange(db, args.count, args.events)
            print(f"arranged {args.count} devices × {args.events} events in {time.perf_counter() - start:.1f} s")
        with database.session() as db:
            from refurb.accounts.models import User
            actor = db.scalar(select(User).where(User.username == "bench"))
            inventory.render_inventory_pdf(inventory.build_inventory(db, actor, "EPN-BENCH"))  # warm-up
            for label, at in (("today (devices table)", None), ("at a past date (history)", "2026-01-31")):
                totals, queries, size, pages = [], [], 0, 0
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    inv = inventory.build_inventory(db, actor, "EPN-BENCH", at)
                    mid = time.perf_counter()
                    pdf = inventory.render_inventory_pdf(inv)
                    totals.append(time.perf_counter() - start)
                    queries.append(mid - start)
                    size = len(pdf)
                    pages = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
                print(f"{inv.total} devices, inventory {label}: best {min(totals):.2f} s, "
                      f"median {statistics.median(totals):.2f} s (query {statistics.median(queries):.2f} s), "
                      f"{size / 1e6:.2f} MB, ~{pages} pages")
    database.dispose()


if __name__ == "__main__":
    main()
