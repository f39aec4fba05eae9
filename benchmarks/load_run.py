"""8 desks for 60 s against real `refurb serve` processes, then the invariants checked (refurb/invariants.py).

    python benchmarks/load_run.py                                   # SQLite, one process
    python benchmarks/load_run.py --database postgresql+psycopg://app@127.0.0.1:54362/refurb_load --processes 2
    python benchmarks/load_run.py --kill                            # one process killed (-9) mid-run, restarted

The database must be empty (a new SQLite file is made when none is given). Prints, per kind of request, the
count and the 95th percentile, the server errors (5xx), "database is locked" seen in answers or logs, and the
invariants. Needs the bench extra: pip install -e ".[bench]" (locust).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import inspect, select
from werkzeug.security import generate_password_hash

HERE = Path(__file__).resolve().parent
PASSWORD = "charge-des-guichets"
SECRET = "load-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, desks: int, work: Path) -> dict:
    """Sites, one manager per desk (with an API token), loan-pool devices, devices to move, borrowers."""
    from refurb import migrate
    from refurb.accounts import services as accounts
    from refurb.accounts.models import User
    from refurb.clock import today, utcnow
    from refurb.db import Database
    from refurb.inventory.models import Counter, Device, DeviceEvent
    from refurb.loans.models import Borrower
    from refurb.loans.services import name_key
    from refurb.sites.models import Site

    database = Database(url)
    if "users" in inspect(database.engine).get_table_names():
        with database.session() as db:
            if db.scalar(select(User.id).limit(1)) is not None:
                sys.exit("La base n'est pas vide : donnez une base vide (elle est remplie pour la mesure).")
    migrate.upgrade(url)
    now = utcnow()
    with database.session(write=True) as db:
        sites = [Site(code=c, name=f"Site {c}", kind="epn", address="1 rue", postal_code="37500", city="Chinon",
                      phone="02 47 00 00 00") for c in ("EPN-A", "EPN-B", "EPN-C")]
        db.add_all(sites)
        db.flush()
        hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        users = [User(username=f"guichet{i + 1}", full_name=f"Guichet {i + 1}", role="gestionnaire",
                      password_hash=hashed, sites=sites[:2], home_site=sites[i % 2]) for i in range(desks)]
        db.add_all(users)
        db.flush()
        number = 0

        def device(state: str, site: Site, category: str) -> Device:
            nonlocal number
            number += 1
            d = Device(asset_tag=f"RF-{number:06d}", category=category, brand="Lenovo", model="ThinkPad T480",
                       has_storage=False, specs={}, condition="", notes="", site=site, state=state,
                       created_at=now, updated_at=now, version=1)
            db.add(d)
            db.flush()
            db.add(DeviceEvent(device_id=d.id, at=now, user_id=users[0].id, site_id=site.id, action="created",
                               from_state=None, to_state=state, note="Mesure de charge", data={}))
            return d

        pool = [device("loan_pool", sites[i % 2], "laptop").asset_tag for i in range(40 * desks)]
        movable = [device("received", sites[i % 2], "screen").asset_tag for i in range(20 * desks)]
        db.add(Counter(name="asset_tag", value=number))
        cards = []
        for i in range(200):
            card = f"U{90000000 + i:08d}"
            db.add(Borrower(card_number=card, kind="resident", first_name="Usager", last_name=f"Charge{i}",
                            organisation="", phone="0600000000", name_key=name_key(f"Charge{i}", "Usager"),
                            home_site=sites[i % 2], referring_partner="", pin_failures=0, consent_at=now,
                            blocked=False, block_reason="", created_at=now, updated_at=now, last_activity_at=now))
            cards.append(card)
        db.commit()
        tokens = [accounts.create_token(db, user, name="charge")[1] for user in users]
        db.commit()
        data = {"password": PASSWORD, "sites": ["EPN-A", "EPN-B"], "cards": cards, "today": today().isoformat(),
                "all_tags": pool + movable,
                "desks": [{"username": u.username, "token": t, "pool": pool[i::desks] + pool[(i + 1) % desks::desks][:5],
                           "movable": movable[i::desks]} for i, (u, t) in enumerate(zip(users, tokens))]}
    database.dispose()
    return data


class Server:
    def __init__(self, url: str, work: Path, name: str):
        self.url, self.port, self.log = url, free_port(), work / f"{name}.log"
        self.process = None

    def start(self) -> "Server":
        env = {**os.environ, "REFURB_DATABASE_URL": self.url, "REFURB_SECRET_KEY": SECRET}
        self.process = subprocess.Popen([sys.executable, "-c", "from refurb.cli import main; main()", "serve",
                                         "--port", str(self.port)], env=env, stdout=open(self.log, "ab"),
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"refurb serve ne répond pas : {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="base vide (défaut : un nouveau fichier SQLite)")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--desks", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--kill", action="store_true", help="tuer (-9) un processus à mi-course puis le relancer")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="refurb-load-"))
    url = args.database or f"sqlite:///{work / 'refurb.sqlite'}"
    data = prepare(url, args.desks, work)
    servers = [Server(url, work, f"serveur{i + 1}").start() for i in range(args.processes)]
    data["hosts"] = [f"http://127.0.0.1:{s.port}" for s in servers]
    (work / "data.json").write_text(json.dumps(data))
    env = {**os.environ, "REFURB_LOAD_DATA": str(work / "data.json"), "REFURB_LOAD_COUNTS": str(work / "counts.json")}
    locust = subprocess.Popen([sys.executable, "-m", "locust", "-f", str(HERE / "load_desks.py"), "--headless",
                               "-u", str(args.desks), "-r", str(args.desks), "-t", f"{args.seconds}s",
                               "--host", data["hosts"][0], "--csv", str(work / "stats"), "--only-summary",
                               "--loglevel", "WARNING"], env=env, stdout=open(work / "locust.log", "wb"),
                              stderr=subprocess.STDOUT)
    killed_at = None
    if args.kill:
        time.sleep(args.seconds / 2)
        victim = servers[-1]
        victim.kill()
        killed_at = time.monotonic()
        victim.start()  # on the same port
        print(f"processus tué (-9) à mi-course et relancé en {time.monotonic() - killed_at:.1f} s")
    locust.wait()
    for server in servers:
        server.stop()
    rows = list(csv.DictReader(open(work / "stats_stats.csv")))
    counts = json.loads((work / "counts.json").read_text()) if (work / "counts.json").exists() else {}
    logs = "".join(s.log.read_text(errors="replace") for s in servers)
    print(f"\n{args.desks} guichets, {args.seconds} s, {args.processes} processus, {url.split(':')[0]}"
          + (", un processus tué -9 à mi-course" if args.kill else ""))
    print(f"{'requête':<16}{'nombre':>8}{'échecs':>8}{'p50 ms':>8}{'p95 ms':>8}")
    for row in rows:
        print(f"{row['Name']:<16}{row['Request Count']:>8}{row['Failure Count']:>8}{row['50%']:>8}{row['95%']:>8}")
    print(f"erreurs serveur (5xx) : {counts.get('server_errors', '?')} ; « database is locked » : "
          f"{counts.get('locked', 0) + logs.count('database is locked')} ; tracebacks dans les journaux : "
          f"{logs.count('Traceback')}")
    from refurb import invariants
    status = invariants.main([url])
    print(f"(fichiers : {work})")
    return status


if __name__ == "__main__":
    sys.exit(main())
