"""Locust: one user is one desk of the network (a manager's account, two sites) doing a day's mix: open device
pages, scan at the desk, lend, take back, renew, create devices, transfer 3 devices, record a donation of 2.
Started by benchmarks/load_run.py, which prepares the database and reads the figures; the data it made is
given in the JSON file named by REFURB_LOAD_DATA."""

from __future__ import annotations

import json
import os
import random
import re
import threading

from locust import HttpUser, between, events, task

DATA = json.loads(open(os.environ["REFURB_LOAD_DATA"]).read())
_desk_numbers = iter(range(len(DATA["desks"])))
_lock = threading.Lock()
# Server errors and SQLite's "database is locked", whatever the kind of request (read by load_run.py).
COUNTS = {"server_errors": 0, "locked": 0}


@events.request.add_listener
def _count(response=None, exception=None, **_kw):
    if response is not None and response.status_code >= 500:
        with _lock:
            COUNTS["server_errors"] += 1
            if "verrou" in response.text or "database is locked" in response.text or "busy" in response.text:
                COUNTS["locked"] += 1


@events.quitting.add_listener
def _write_counts(environment, **_kw):
    path = os.environ.get("REFURB_LOAD_COUNTS")
    if path:
        with open(path, "w") as out:
            json.dump(COUNTS, out)


class Desk(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self):
        with _lock:
            number = next(_desk_numbers)
        me = DATA["desks"][number % len(DATA["desks"])]
        hosts = DATA.get("hosts") or [self.host]
        self.client.base_url = hosts[number % len(hosts)]  # the desks split over the processes
        self.api = {"Authorization": f"Bearer {me['token']}"}
        self.rng = random.Random(me["username"])
        self.pool = list(me["pool"])  # loan-pool devices this desk lends (others may too: conflicts are fine)
        self.movable = list(me["movable"])
        self.cards = list(DATA["cards"])
        self.loans: list[int] = []
        page = self.client.get("/login", name="login page")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        self.client.post("/login", data={"username": me["username"], "password": DATA["password"],
                                         "csrf_token": token}, name="login")

    def _ok(self, response, *allowed):
        """A refusal the rules make (409, 422…) is an answer, not a failure; 5xx is."""
        status = response.status_code  # 0: no answer (the process was down)
        if 0 < status < 500 and (status < 400 or status in allowed):
            response.success()

    @task(6)
    def open_device_page(self):
        self.client.get(f"/d/{self.rng.choice(DATA['all_tags'])}", name="device page")

    @task(4)
    def scan_at_desk(self):
        self.client.get(f"/scan?code={self.rng.choice(DATA['all_tags'])}", name="scan", allow_redirects=False)

    @task(4)
    def lend(self):
        tag = self.rng.choice(self.pool)
        with self.client.post("/api/v1/loans", headers=self.api, name="lend", catch_response=True,
                              json={"asset_tag": tag, "borrower_card": self.rng.choice(self.cards),
                                    "rules_accepted": True}) as r:
            if r.status_code == 201:
                self.loans.append(r.json()["id"])
            self._ok(r, 409, 422)

    @task(3)
    def take_back(self):
        if self.loans:
            loan = self.loans.pop(self.rng.randrange(len(self.loans)))
            with self.client.post(f"/api/v1/loans/{loan}/return", headers=self.api, json={"condition": "complete"},
                                  name="return", catch_response=True) as r:
                self._ok(r, 409)

    @task(1)
    def renew(self):
        if self.loans:
            with self.client.post(f"/api/v1/loans/{self.rng.choice(self.loans)}/renew", headers=self.api,
                                  name="renew", catch_response=True) as r:
                self._ok(r, 409)

    @task(2)
    def create_device(self):
        with self.client.post("/api/v1/devices", headers=self.api, name="create device", catch_response=True,
                              json={"category": "screen", "site": self.rng.choice(DATA["sites"]),
                                    "brand": "Dell", "model": "P2219H"}) as r:
            self._ok(r)

    @task(1)
    def transfer_three(self):
        tags = self.rng.sample(self.movable, 3)
        with self.client.post("/api/v1/transfers", headers=self.api, name="transfer of 3", catch_response=True,
                              json={"to_site": self.rng.choice(DATA["sites"]), "asset_tags": tags}) as r:
            self._ok(r, 409)

    @task(1)
    def donation_of_two(self):
        n = self.rng.randrange(10**8)
        with self.client.post("/api/v1/donations", headers=self.api, name="donation of 2", catch_response=True,
                              json={"donor": {"name": f"Donateur {n}", "kind": "individual", "email": "don@example.org"},
                                    "site": self.rng.choice(DATA["sites"]), "received_on": DATA["today"],
                                    "devices": [{"category": "laptop", "brand": "HP", "model": "ProBook 440 G5"},
                                                {"category": "screen", "brand": "Dell", "model": "P2217"}]}) as r:
            self._ok(r)
