"""Build a large inventory with ``refurb seed-demo --devices N`` and time the pages that must stay
fast: the device page, filtered list pages, the stock table and a 1,000-label PDF.

    python benchmarks/bench_inventory.py [--devices 100000] [--url postgresql+psycopg://…] [--repeat 40]

Without --url the database is a SQLite file in a temporary folder (removed at the end unless
--keep). With --url, the database is used as is when it already holds enough devices
(--reuse), otherwise seeded. Requests go through the Flask test client (no network), logged in
as the demo manager (whole network) and the demo technician (two sites).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, func, select, text


def seed(url: str, devices: int) -> float:
    env = os.environ | {"REFURB_DATABASE_URL": url, "REFURB_SECRET_KEY": "bench"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from refurb.cli import main; main()", "seed-demo", "--devices",
                    str(devices)], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def count_devices(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = conn.dialect.get_table_names(conn)
            if "devices" not in names:
                return 0, 0
            return (conn.scalar(text("SELECT count(*) FROM devices")),
                    conn.scalar(text("SELECT count(*) FROM device_events")))
    finally:
        engine.dispose()


def timed(client, url: str, repeat: int, *, expect: int = 200, headers=None) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, headers=headers or {})
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == expect, (url, response.status_code, response.get_data(as_text=True)[:300])
    return times


def report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    print(f"  {name:<58} median {statistics.median(times):8.1f} ms   p95 {p95:8.1f} ms   (n={len(times)})")


def login(app, username: str):
    from refurb.demo import DEMO_PASSWORD
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"login {username}: {response.status_code}"
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--url", help="database URL (default: a SQLite file in a temporary folder)")
    parser.add_argument("--repeat", type=int, default=40, help="requests per page measured")
    parser.add_argument("--labels", type=int, default=1000, help="labels in the PDF measured")
    parser.add_argument("--reuse", action="store_true", help="reuse the database when it holds enough devices")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    args = parser.parse_args()

    folder = None
    url = args.url
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="refurb-bench-"))
        url = f"sqlite:///{folder / 'bench.sqlite'}"
    have, _ = count_devices(url)
    if args.reuse and have >= args.devices:
        from refurb import migrate
        migrate.upgrade(url)  # a database kept from an older build gets the newer tables
        print(f"Base réutilisée : {have} appareils")
    else:
        print(f"refurb seed-demo --devices {args.devices} …", flush=True)
        print(f"  rempli en {seed(url, args.devices):.1f} s")
    devices, events = count_devices(url)
    print(f"Base : {devices} appareils, {events} événements d'historique ({url.split(':')[0]})")

    from refurb import create_app
    from refurb.inventory.models import Device
    from refurb.sites.models import Site

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "PUBLIC_URL": "https://refurb.example.org"})
    rng = random.Random(1)
    with app.extensions["refurb.db"].session() as db:
        workshop = db.scalars(select(Site.id).where(Site.code.in_(["ATELIER", "EPN-CHINON"]))).all()
        total = db.scalar(select(func.max(Device.id)))
        ids = [rng.randint(1, total) for _ in range(args.repeat * 4)]
        tags = db.execute(select(Device.asset_tag, Device.site_id).where(Device.id.in_(ids))).all()
        label_tags = db.scalars(select(Device.asset_tag).order_by(Device.id.desc()).limit(3 * args.labels)).all()
    any_tags = [t for t, _ in tags][:args.repeat]
    tech_tags = [t for t, s in tags if s in workshop][:args.repeat]

    manager, tech = login(app, "gestionnaire"), login(app, "technicien")
    partial = {"HX-Request": "true", "HX-Target": "devices-results"}
    has_stock = "inventory.stock" in app.view_functions
    for client in (manager, tech):  # warm up: templates compiled, connections open
        client.get("/devices")
        client.get(f"/d/{any_tags[0] if client is manager else tech_tags[0]}")

    print(f"\nTemps de réponse (client de test Flask, {args.repeat} requêtes par ligne) :")
    for who, client, sample in (("gestionnaire", manager, any_tags), ("technicien", tech, tech_tags)):
        device_times = []
        for tag in sample:
            device_times += timed(client, f"/d/{tag}", 1)
        report(f"[{who}] fiche appareil /d/<tag>", device_times)
        for name, page_url in (("liste sans filtre", "/devices"),
                               ("liste filtrée état + catégorie", "/devices?state=loan_pool&category=laptop"),
                               ("liste filtrée site + état, tri", "/devices?site=ATELIER&state=received&sort=-updated"),
                               ("liste, page 50", "/devices?state=ready&page=50"),
                               ("recherche « thinkpad » (marque/modèle)", "/devices?q=thinkpad"),
                               ("recherche début d'étiquette « RF-0012 »", "/devices?q=RF-0012"),
                               ("recherche n° de série « LE4 »", "/devices?q=LE4"),
                               ("recherche sans résultat « zzz » (lit les lignes)", "/devices?q=zzz"),
                               ("recherche étiquette exacte", f"/devices?q={sample[0]}")):
            report(f"[{who}] {name}", timed(client, page_url, args.repeat, headers=partial))
        if has_stock:
            report(f"[{who}] tableau des stocks /stock", timed(client, "/stock", args.repeat))

    pdf_times = []
    for run in range(3):  # other devices each time: no QR code already in the renderer's cache
        batch = label_tags[run * args.labels:(run + 1) * args.labels]
        pdf_times += timed(manager, "/labels.pdf?" + "&".join(f"tag={t}" for t in batch), 1)
    report(f"PDF de {args.labels} étiquettes (planche L7160, sans cache)", pdf_times)
    app.extensions["refurb.db"].dispose()
    if folder is not None and not args.keep:
        for f in folder.iterdir():
            f.unlink()
        folder.rmdir()
    elif folder is not None:
        print(f"\nBase conservée : {url}")


if __name__ == "__main__":
    main()
