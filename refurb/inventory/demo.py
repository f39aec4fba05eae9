"""Demonstration stock: the minimum levels of the sites, the catalogue of the demonstration's devices,
and, on request, N synthetic devices inserted in bulk for performance measurements (``refurb seed-demo
--devices N``). The realistic devices walk through the workshop: ``refurbishment/demo.py`` makes them."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from ..db import utcnow
from ..settings import get_setting
from . import services, workflow
from .categories import WITH_STORAGE
from .models import Counter, Device, DeviceEvent, StockMinimum

CATALOGUE = {
    "laptop": [("Lenovo", "ThinkPad T480", {"cpu": "Intel Core i5-8350U", "ram_gb": 8, "storage_type": "SSD",
                                             "storage_gb": 256, "screen_inches": 14.0, "os": "Linux Mint 22"}),
               ("Dell", "Latitude 5490", {"cpu": "Intel Core i5-8250U", "ram_gb": 8, "storage_type": "SSD",
                                           "storage_gb": 240, "screen_inches": 14.0, "os": "Windows 11"}),
               ("HP", "EliteBook 840 G5", {"cpu": "Intel Core i7-8550U", "ram_gb": 16, "storage_type": "NVMe",
                                            "storage_gb": 512, "screen_inches": 14.0, "os": "Windows 11"}),
               ("Fujitsu", "Lifebook E548", {"cpu": "Intel Core i3-7130U", "ram_gb": 4, "storage_type": "HDD",
                                              "storage_gb": 500, "screen_inches": 14.0})],
    "desktop": [("Dell", "OptiPlex 7050", {"cpu": "Intel Core i5-6500", "ram_gb": 8, "storage_type": "SSD",
                                            "storage_gb": 256, "os": "Linux Mint 22"}),
                ("HP", "ProDesk 600 G3", {"cpu": "Intel Core i5-7500", "ram_gb": 8, "storage_type": "HDD",
                                           "storage_gb": 500})],
    "tablet": [("Samsung", "Galaxy Tab A8", {"storage_gb": 32, "screen_inches": 10.5, "os": "Android 14",
                                              "battery_health": 88}),
               ("Apple", "iPad 6e génération", {"storage_gb": 32, "screen_inches": 9.7, "os": "iPadOS 17",
                                                "battery_health": 81})],
    "smartphone": [("Samsung", "Galaxy A52", {"storage_gb": 128, "screen_inches": 6.5, "os": "Android 14",
                                              "battery_health": 84}),
                   ("Fairphone", "Fairphone 3", {"storage_gb": 64, "screen_inches": 5.7, "os": "/e/OS",
                                                 "battery_health": 90})],
    "screen": [("Dell", "P2219H", {"screen_inches": 21.5, "resolution": "1920×1080"}),
               ("Iiyama", "ProLite E2282HS", {"screen_inches": 21.5, "resolution": "1920×1080"})],
    "printer": [("Brother", "HL-L2350DW", {"printer_type": "Laser", "connectivity": "Wi-Fi, USB"})],
    "router": [("Huawei", "E5576", {"connectivity": "4G, Wi-Fi"}), ("TP-Link", "M7350", {"connectivity": "4G, Wi-Fi"})],
    "accessory": [("Logitech", "C270", {"accessory_type": "webcam"})],
}

MINIMUMS = [  # (site, category, state, minimum): some are met, some are short on purpose
    ("EPN-CHINON", "laptop", "loan_pool", 2),
    ("FS-BOURGUEIL", "laptop", "loan_pool", 2),
    ("BUS", "laptop", "loan_pool", 3),
    ("BUS", "router", "loan_pool", 2),
    ("EPN-CHINON", "tablet", "loan_pool", 1),
]

def seed_inventory(db: Session, ctx: dict) -> None:
    """Minimum levels of stock (once), and the synthetic devices asked for. The realistic devices of the
    stock walk through the workshop: the refurbishment demo makes them (``refurbishment/demo.py``)."""
    if db.scalar(select(StockMinimum.site_id).limit(1)) is None:
        manager = ctx["users"].get("gestionnaire") or ctx["users"].get("admin")
        for site_code, category, state, minimum in MINIMUMS:
            if site_code in ctx["sites"]:
                services.set_minimum(db, manager, ctx["sites"][site_code], category, state, minimum)
    if ctx.get("synthetic_devices"):
        seed_synthetic(db, ctx, ctx["synthetic_devices"])


def serial_number(rng: random.Random, brand: str) -> str:
    return brand[:2].upper() + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(8))


# --- synthetic devices (performance) ----------------------------------------------------------

CHUNK = 5_000
_WEIGHTS = {"laptop": 40, "desktop": 15, "tablet": 12, "smartphone": 12, "screen": 8, "printer": 4,
            "router": 4, "accessory": 4, "other": 1}
_FINAL_WEIGHT = 0.08  # chance, at each step, to take a final exit when one is possible


def _walk(rng: random.Random, length: int) -> list[str]:
    """States after "received", following the transition table. Loans are not walked here: a device goes
    "on_loan" only with a loan, which the loans' demo makes (``loans/demo.py`` ``seed_synthetic_loans``)."""
    state, path = "received", []
    forward = {"received": "diagnosing", "diagnosing": "ready", "repairing": "ready", "ready": "loan_pool",
               "lost": "received"}
    while len(path) < length:
        if state == "loan_pool" and rng.random() < 0.3:
            break  # in the loan pool it stays, lent and returned (the loans' demo)
        options = sorted(set(workflow.TRANSITIONS[state]) - {"on_loan"})
        if not options:
            break
        finals = [s for s in options if s in workflow.FINAL_STATES or s == "lost"]
        if finals and rng.random() < _FINAL_WEIGHT:
            state = rng.choice(finals)
        elif rng.random() < 0.8 and forward.get(state) in options:
            state = forward[state]
        else:
            state = rng.choice([s for s in options if s not in finals] or options)
        path.append(state)
    return path


def seed_synthetic(db: Session, ctx: dict, count: int) -> None:
    """Insert ``count`` devices with ~10 events each, in bulk (no ORM objects)."""
    echo = ctx.get("echo") or (lambda *_: None)
    rng = random.Random(count)
    sites = [s for s in ctx["sites"].values() if s.active]
    codes = {s.id: s.code for s in sites}
    user_ids = [u.id for u in ctx["users"].values() if u.role != "borne"]
    prefix = get_setting(db, "asset_tag_prefix")
    db.flush()
    counter = db.get(Counter, "asset_tag")
    first_number = (counter.value if counter else 0) + 1
    next_id = (db.scalar(select(func.max(Device.id))) or 0) + 1
    categories, weights = list(_WEIGHTS), list(_WEIGHTS.values())
    now = utcnow()
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        devices, events = [], []
        for k in range(size):
            n = done + k
            category = rng.choices(categories, weights)[0]
            brand, model, specs = rng.choice(CATALOGUE.get(category) or CATALOGUE["accessory"])
            site_id = rng.choice(sites).id
            created = at = now - timedelta(days=rng.uniform(30, 730))
            device_id = next_id + n
            history = [{"device_id": device_id, "at": at, "user_id": rng.choice(user_ids), "site_id": site_id,
                        "action": "created", "from_state": None, "to_state": "received",
                        "note": "Appareil synthétique", "data": {}}]
            state = "received"
            for step in _walk(rng, rng.randint(7, 11)):
                at += timedelta(hours=rng.uniform(1, 60))
                if rng.random() < 0.1 and state not in workflow.FINAL_STATES:
                    to_site = rng.choice(sites).id
                    if to_site != site_id:
                        history.append({"device_id": device_id, "at": at, "user_id": rng.choice(user_ids),
                                        "site_id": to_site, "action": "transfer", "from_state": None,
                                        "to_state": None, "note": "",
                                        "data": {"from_site": codes[site_id], "to_site": codes[to_site]}})
                        site_id = to_site
                        at += timedelta(hours=rng.uniform(1, 48))
                history.append({"device_id": device_id, "at": at, "user_id": rng.choice(user_ids),
                                "site_id": site_id, "action": "transition", "from_state": state, "to_state": step,
                                "note": "", "data": {}})
                state = step
            events.extend(history)
            devices.append({"id": device_id, "asset_tag": f"{prefix}-{first_number + n:06d}", "category": category,
                            "brand": brand, "model": model, "serial_number": serial_number(rng, brand),
                            "has_storage": category in WITH_STORAGE, "specs": specs, "condition": "", "notes": "",
                            "grade": None, "site_id": site_id, "state": state, "created_at": created,
                            "updated_at": at, "version": len(history)})
        db.execute(insert(Device), devices)
        db.execute(insert(DeviceEvent), events)
        done += size
        echo(f"  {done} / {count} appareils synthétiques…")
    ctx["synthetic_device_ids"] = (next_id, next_id + count - 1)  # the loans' demo lends some of them
    last = first_number + count - 1
    if counter is None:
        db.add(Counter(name="asset_tag", value=last))
    else:
        db.execute(update(Counter).where(Counter.name == "asset_tag").values(value=last))
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT setval(pg_get_serial_sequence('devices', 'id'), (SELECT max(id) FROM devices))"))
    db.flush()
    # Fresh statistics after a bulk load, so the query planner picks the right indexes.
    db.execute(text("ANALYZE"))
