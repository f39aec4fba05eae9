"""The performance benchmark: what a scan opens, the searches, the desk and the documents, measured on a
100,000-device network against the framework's floor in the same server.

    python benchmarks/run.py [--devices 100000] [--pg postgresql+psycopg://…] [--no-sqlite] [--rounds 200] [--cold]

For each database (a SQLite file kept in benchmarks/.cache/, and the PostgreSQL URL when one is given) the
data of ``refurb seed-demo --devices N`` is built once and reused while it holds N devices (a PostgreSQL
database is seeded only when it holds no device; the schema is brought up to date either way). A real
``refurb serve`` (waitress) is started on it and every probe is measured in interleaved rounds (each round
asks each probe once, in a shuffled order), so a slower moment of the machine weighs on all of them alike.
Each probe is printed as its median in milliseconds and as a ratio to the median of the floor,
``GET /api/v1/me`` with the same user's token in the same rounds. The activity report, the inventory PDF
and the labels PDF are timed after the rounds (medians of a few runs).

Before the rounds, the page of each device the probes may open (a few thousand drawn at random) is read once:
the floor reads the same few rows at every round, always in memory, while a probe of a random device read its
rows from the disk whenever the system had dropped them from its cache (a machine that reclaims what was not
read for a minute, after another job: up to 0.2× more on PostgreSQL), which measured the disk, not the code.
``--cold`` measures without that reading, the devices' pages as the system left them.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
SECRET = "benchmark-secret-key"
PUBLIC_URL = "https://refurb.example.org"


# --- the database ------------------------------------------------------------------------------

def refurb_command(url: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = os.environ | {"REFURB_DATABASE_URL": url, "REFURB_SECRET_KEY": SECRET, "REFURB_PUBLIC_URL": PUBLIC_URL}
    return subprocess.run([sys.executable, "-c", "from refurb.cli import main; main()", *args], env=env,
                          check=True, text=True, **kwargs)


def count_devices(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if "devices" not in conn.dialect.get_table_names(conn):
                return 0
            return conn.scalar(text("SELECT count(*) FROM devices"))
    finally:
        engine.dispose()


def prepare(url: str, devices: int) -> None:
    """The seeded database, built once: reused while it holds enough devices."""
    from refurb import migrate

    have = count_devices(url)
    if have >= devices:
        print(f"  base réutilisée : {have} appareils", flush=True)
    else:
        if url.startswith("sqlite:"):
            path = Path(url.split("///", 1)[1])
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        elif have:
            sys.exit(f"{url} holds {have} devices, fewer than {devices}: give an empty database (it is seeded) "
                     "or --devices {have}.")
        print(f"  refurb seed-demo --devices {devices} … (une fois ; la base est gardée)", flush=True)
        start = time.perf_counter()
        refurb_command(url, "seed-demo", "--devices", str(devices), stdout=subprocess.DEVNULL)
        print(f"  remplie en {time.perf_counter() - start:.0f} s", flush=True)
    migrate.upgrade(url)


def sample(url: str, rng: random.Random) -> dict:
    """What the probes ask for: tags seen by each user, the desk's devices and card, search words."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            one = conn.execute
            users = {name: one(text("SELECT id, home_site_id FROM users WHERE username = :u"), {"u": name}).one()
                     for name in ("gestionnaire", "technicien", "accueil")}
            tech_sites = [r[0] for r in one(text("SELECT site_id FROM user_sites WHERE user_id = :u"),
                                            {"u": users["technicien"][0]})]
            top = one(text("SELECT max(id) FROM devices")).scalar()
            ids = rng.sample(range(1, top + 1), 4000)
            rows = one(text("SELECT asset_tag, site_id, serial_number FROM devices WHERE id IN (%s)"
                            % ",".join(map(str, ids)))).all()
            desk_site = users["accueil"][1]
            lendable = one(text(
                "SELECT d.asset_tag FROM devices d WHERE d.site_id = :s AND d.state = 'loan_pool'"
                " AND NOT EXISTS (SELECT 1 FROM loans l WHERE l.device_id = d.id AND (l.returned_at IS NULL"
                "  OR l.return_condition = 'to_check'))"
                " AND NOT EXISTS (SELECT 1 FROM kit_devices k WHERE k.device_id = d.id)"
                " ORDER BY d.id DESC LIMIT 40"), {"s": desk_site}).scalars().all()
            card = one(text("SELECT card_number FROM borrowers WHERE home_site_id = :s AND NOT blocked"
                            " AND anonymised_at IS NULL ORDER BY id LIMIT 1"), {"s": desk_site}).scalar()
            label_tags = one(text("SELECT asset_tag FROM devices ORDER BY id DESC LIMIT 3000")).scalars().all()
            by_site = one(text("SELECT s.code, count(*) FROM devices d JOIN sites s ON s.id = d.site_id"
                               " GROUP BY s.code ORDER BY count(*) DESC")).all()
    finally:
        engine.dispose()
    serials = [s for _, _, s in rows if s and len(s) >= 6]
    # the site whose inventory is closest to 10,000 devices
    inventory_site = min(by_site, key=lambda r: abs(r[1] - 10_000))
    return {"any": [t for t, _, _ in rows], "tech": [t for t, s, _ in rows if s in tech_sites],
            "serial_prefixes": [s[:5] for s in serials], "lendable": lendable, "card": card,
            "label_tags": label_tags, "inventory_site": inventory_site,
            "tag_prefixes": [t[:len(t) - 2] for t, _, _ in rows]}


# --- the server and its clients ---------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One browser (or API client): a kept-alive connection, the cookies it was given, its CSRF token."""

    def __init__(self, port: int, *, token: str | None = None):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
        self.cookies: dict[str, str] = {}
        self.token = token
        self.csrf = ""

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None,
                expect: int = 200) -> bytes:
        head = {"Host": "127.0.0.1"} | (headers or {})
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            head["Authorization"] = f"Bearer {self.token}"
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            head["Content-Type"] = "application/x-www-form-urlencoded"
            if self.csrf:
                head["X-CSRFToken"] = self.csrf
        self.conn.request(method, path, body=body, headers=head)
        response = self.conn.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        if response.status != expect:
            raise RuntimeError(f"{method} {path[:80]}: {response.status} {data[:300]!r}")
        return data

    def get(self, path: str, **kwargs) -> bytes:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict, **kwargs) -> bytes:
        return self.request("POST", path, form, **kwargs)

    def login(self, username: str, home: str = "/devices") -> "Client":
        from refurb.demo import DEMO_PASSWORD
        page = self.get("/login").decode()
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        self.post("/login", {"username": username, "password": DEMO_PASSWORD, "csrf_token": self.csrf}, expect=302)
        page = self.get(home).decode()
        self.csrf = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
        return self


class Server:
    def __init__(self, url: str):
        self.port = free_port()
        env = os.environ | {"REFURB_DATABASE_URL": url, "REFURB_SECRET_KEY": SECRET, "REFURB_PUBLIC_URL": PUBLIC_URL}
        self.log = open(CACHE / "serve.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from refurb.cli import main; main()", "serve", "--port", str(self.port),
             "--threads", "4"], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"refurb serve stopped: see {CACHE / 'serve.log'}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        sys.exit("refurb serve did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def api_token(url: str, username: str) -> str:
    out = refurb_command(url, "users", "token", username, "--name", "benchmark", capture_output=True).stdout
    return out.strip().splitlines()[-1]


# --- the probes --------------------------------------------------------------------------------

PARTIAL = {"HX-Request": "true", "HX-Target": "devices-results"}
DESK = {"HX-Request": "true"}


def probes(port: int, url: str, data: dict, rng: random.Random) -> list[tuple[str, str, object]]:
    """(name, goal, one request) in the order printed; the floor first."""
    manager = Client(port).login("gestionnaire")
    tech = Client(port).login("technicien")
    token = Client(port, token=api_token(url, "gestionnaire"))
    desk = prepare_desk(Client(port).login("accueil", "/prets/comptoir"), data)
    pick = rng.choice
    word = "thinkpad"
    return [
        ("plancher GET /api/v1/me", "", lambda: token.get("/api/v1/me")),
        ("fiche appareil /d/<tag> (gestionnaire)", "≤ 2×", lambda: manager.get(f"/d/{pick(data['any'])}")),
        ("fiche appareil /d/<tag> (technicien)", "≤ 2×", lambda: tech.get(f"/d/{pick(data['tech'])}")),
        ("API appareil /api/v1/devices/<tag>", "≤ 1,5×", lambda: token.get(f"/api/v1/devices/{pick(data['any'])}")),
        ("liste filtrée état + catégorie", "≤ 2×",
         lambda: manager.get("/devices?state=loan_pool&category=laptop", headers=PARTIAL)),
        ("tableau des stocks /stock", "≤ 2×", lambda: manager.get("/stock")),
        ("recherche début d'étiquette", "",
         lambda: manager.get(f"/devices?q={pick(data['tag_prefixes'])}", headers=PARTIAL)),
        ("recherche début de n° de série", "",
         lambda: manager.get(f"/devices?q={pick(data['serial_prefixes'])}", headers=PARTIAL)),
        (f"recherche marque/modèle « {word} »", "≤ 3×", lambda: manager.get(f"/devices?q={word}", headers=PARTIAL)),
        ("comptoir : 10e appareil scanné (panier plein)", "≤ 3×", lambda: desk_scan(desk, data)),
    ]


def prepare_desk(client: Client, data: dict) -> Client:
    """The desk of the reception user: a borrower's card presented and nine devices in the basket."""
    client.post("/prets/comptoir/vider", {}, headers=DESK)
    client.post("/prets/comptoir/scan", {"code": data["card"]}, headers=DESK)
    basket = []
    for tag in data["lendable"]:
        try:
            client.post("/prets/comptoir/scan", {"code": tag}, headers=DESK)
        except RuntimeError:
            continue  # held by a reservation, for instance: another one
        basket.append(tag)
        if len(basket) == 10:
            break
    if len(basket) < 10:
        sys.exit(f"the desk site has only {len(basket)} lendable devices: cannot fill a basket")
    data["tenth"] = basket[-1]
    client.post("/prets/comptoir/retirer", {"tag": data["tenth"]}, headers=DESK)
    return client


def desk_scan(client: Client, data: dict) -> float:
    """The 10th device scanned into the basket (timed); then taken out again (not timed)."""
    start = time.perf_counter()
    client.post("/prets/comptoir/scan", {"code": data["tenth"]}, headers=DESK)
    elapsed = time.perf_counter() - start
    client.post("/prets/comptoir/retirer", {"tag": data["tenth"]}, headers=DESK)
    return elapsed


def warm(port: int, data: dict) -> None:
    """Read once the page of each device the probes may open (see the module's description)."""
    tags = list(dict.fromkeys(data["any"] + data["tech"]))
    print(f"  lecture préalable des pages des {len(tags)} appareils tirés (--cold : sans) …", flush=True)
    manager = Client(port).login("gestionnaire")
    for tag in tags:
        manager.get(f"/d/{tag}")


def run_rounds(named: list, rounds: int, rng: random.Random) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name, _, _ in named}
    for _ in range(3):  # warm-up: templates compiled, connections opened
        for name, _, probe in named:
            probe()
    for _ in range(rounds):
        order = list(named)
        rng.shuffle(order)
        for name, _, probe in order:
            start = time.perf_counter()
            own = probe()
            elapsed = own if isinstance(own, float) else time.perf_counter() - start
            times[name].append(elapsed * 1000)
    return times


def timed(action, repeat: int) -> float:
    """Median seconds of ``repeat`` runs of ``action(i)``."""
    runs = []
    for i in range(repeat):
        start = time.perf_counter()
        action(i)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def documents(port: int, url: str, data: dict, repeat: int):
    """(name, goal, median seconds) of each document, as each is timed."""
    manager = Client(port).login("gestionnaire")
    end = date.today()
    start = end - timedelta(days=730)
    period = urlencode({"from": start.isoformat(), "to": end.isoformat(), "site": "*"})
    tags = data["label_tags"]
    yield ("1 000 étiquettes jamais imprimées (PDF L7160)", "≤ 0,6 s", timed(
        lambda i: manager.get("/labels.pdf?" + urlencode({"tag": tags[i * 1000:(i + 1) * 1000]}, doseq=True)),
        min(repeat, len(tags) // 1000)))
    code, count = data["inventory_site"]
    yield (f"inventaire PDF de {count} appareils ({code})", "≤ 1 s", inventory_pdf(url, code, repeat))
    yield ("rapport d'activité, deux ans, réseau (page)", "≤ 1 s",
           timed(lambda i: manager.get(f"/rapports/activite?{period}"), repeat))
    yield ("rapport d'activité, deux ans, réseau (PDF)", "",
           timed(lambda i: manager.get(f"/rapports/activite.pdf?{period}"), repeat))


def inventory_pdf(url: str, site_code: str, repeat: int) -> float:
    """The inventory document (query, layout, drawing) timed through its service: the page hands a
    document this size to a background job, whose own cost is this."""
    from sqlalchemy import select

    from refurb import create_app
    from refurb.accounts.models import User
    from refurb.documents import services

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "PUBLIC_URL": PUBLIC_URL})
    database = app.extensions["refurb.db"]
    try:
        with app.app_context(), database.session() as db:
            actor = db.scalar(select(User).where(User.username == "gestionnaire"))
            return timed(lambda i: services.render_inventory_pdf(services.build_inventory(db, actor, site_code)),
                         repeat)
    finally:
        database.dispose()


# --- the report --------------------------------------------------------------------------------

def report_probes(named: list, rounds: int, rng: random.Random) -> None:
    print(f"  {rounds} tours entrelacés de {len(named)} sondes, refurb serve (waitress) …", flush=True)
    times = run_rounds(named, rounds, rng)
    floor = statistics.median(times[named[0][0]])
    print(f"\n  {'sonde':<52} {'médiane':>9} {'p90':>9} {'rapport':>8}  objectif")
    for name, goal, _ in named:
        ordered = sorted(times[name])
        median = statistics.median(ordered)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        print(f"  {name:<52} {median:6.2f} ms {p90:6.2f} ms {median / floor:7.2f}×  {goal}", flush=True)


def bench(label: str, url: str, args) -> None:
    print(f"\n== {label}", flush=True)
    prepare(url, args.devices)
    rng = random.Random(12)
    data = sample(url, rng)
    server = Server(url)
    try:
        if args.rounds:
            if not args.cold:
                warm(server.port, data)
            report_probes(probes(server.port, url, data, rng), args.rounds, rng)
        if not args.no_documents:
            print(f"\n  {'document':<52} {'médiane':>9}  objectif")
            for name, goal, seconds in documents(server.port, url, data, args.repeat):
                print(f"  {name:<52} {seconds:7.3f} s  {goal}", flush=True)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=100_000, help="devices of the seeded network")
    parser.add_argument("--pg", metavar="URL", help="also measure on this PostgreSQL database")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--rounds", type=int, default=200, help="interleaved rounds of the probes (0: none)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each document timed")
    parser.add_argument("--no-documents", action="store_true", help="the probes only")
    parser.add_argument("--cold", action="store_true",
                        help="no reading of the probed devices' pages before the rounds (see above)")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    if not args.no_sqlite:
        bench("SQLite", f"sqlite:///{CACHE / f'refurb-{args.devices}.sqlite'}", args)
    if args.pg:
        bench(f"PostgreSQL {args.pg.rsplit('@', 1)[-1]}", args.pg, args)


if __name__ == "__main__":
    main()
