"""Demonstration loans: borrowers (residents, a partner, a digital-mediation advisor), open loans
(some overdue), returns (one damaged), a kit and reservations — made through the services.

Runs after the inventory step. When a site has too few loan-pool devices, 4G routers and webcams
(no data storage, so no erasure is needed) are bought for it through ``create_device`` and the
workflow; a refused transition (a guard of another area) just means fewer demo loans.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from ..clock import today
from ..db import use_case, utcnow
from ..errors import RefurbError
from ..formatting import local
from ..inventory import services as inventory
from ..inventory.categories import WITH_STORAGE
from ..inventory.models import Device, DeviceEvent
from ..refurbishment import services as refurbishment
from . import services as loans
from .borrowers import name_key
from .models import Borrower, Loan

DEMO_PIN = "1234"

PEOPLE = [
    # first, last, phone, email, site, kind, organisation, pin
    ("Martine", "Girard", "06 11 22 33 44", "", "EPN-CHINON", "resident", "", True),
    ("Karim", "Benali", "06 22 33 44 55", "karim.benali@example.org", "EPN-CHINON", "resident", "", True),
    ("Lucie", "Fontaine", "", "lucie.fontaine@example.org", "EPN-CHINON", "resident", "", False),
    ("Jean-Pierre", "Moreau", "02 47 98 76 54", "", "BUS", "resident", "", False),
    ("Aïcha", "Diallo", "07 66 55 44 33", "", "BUS", "resident", "", True),
    ("Gérard", "Lemoine", "06 98 87 76 65", "", "FS-BOURGUEIL", "resident", "", False),
    ("Sophie", "Renard", "02 47 93 00 00", "accueil@cs-chinon.example.org", "EPN-CHINON", "partner",
     "Centre social de Chinon", False),
    ("Nadia", "Rousseau", "06 12 12 12 12", "n.rousseau@example.org", "BUS", "staff",
     "Conseillère numérique du Chinonais", False),
]

# Devices bought for the loan pool when a site has too few: (category, brand, model, specs)
TOP_UP = [
    ("laptop", "Lenovo", "ThinkPad T480", {"cpu": "Intel Core i5-8350U", "ram_gb": 8, "storage_type": "SSD",
                                           "storage_gb": 256, "os": "Linux Mint 22"}),
    ("router", "Huawei", "E5576", {"connectivity": "4G, Wi-Fi"}),
    ("tablet", "Samsung", "Galaxy Tab A8", {"storage_gb": 32, "os": "Android 14"}),
    ("router", "TP-Link", "M7350", {"connectivity": "4G, Wi-Fi"}),
    ("accessory", "Logitech", "C270", {"accessory_type": "webcam"}),
]


def _pool(db: Session, site) -> list[Device]:
    return list(db.scalars(select(Device).where(Device.site_id == site.id, Device.state == "loan_pool")
                           .order_by(Device.id)))


def _erase(db: Session, actor, device: Device, ended) -> None:
    """Devices with storage need an erasure record before the loan pool (refurbishment area)."""
    refurbishment.record_erasure(db, actor, device, {
        "media": [{"serial": f"S{device.asset_tag}", "model": "Disque d'origine",
                   "size_gb": (device.specs or {}).get("storage_gb") or 32}],
        "method": "overwrite", "nist_category": "clear", "tool": "nwipe", "tool_version": "0.36", "passes": 1,
        "verified": True, "result": "passed", "started_at": (ended - timedelta(hours=2)).isoformat(),
        "ended_at": ended.isoformat()})


def _top_up(db: Session, actor, site, wanted: int, echo) -> None:
    """Buy devices for the loan pool through the workflow, their history dated two months ago."""
    missing = wanted - len(_pool(db, site))
    base = utcnow() - timedelta(days=60)
    for i in range(max(0, missing)):
        category, brand, model, specs = TOP_UP[i % len(TOP_UP)]
        savepoint = db.begin_nested()
        try:
            spec = inventory.DeviceInput(category=category, site=site, brand=brand, model=model,
                                         has_storage=category in WITH_STORAGE, specs=dict(specs))
            device = inventory.create_device(db, actor, spec, note="Acheté pour le parc de prêt (subvention)")
            refurbishment.move(db, actor, device, "diagnosing", note="Contrôle à réception.")
            if device.has_storage:
                _erase(db, actor, device, base + timedelta(days=1))
            refurbishment.move(db, actor, device, "ready", note="Prêt à l'usage.")
            refurbishment.move(db, actor, device, "loan_pool", note="Pour le prêt aux usagers.")
            db.flush()
        except Exception as err:  # demo only: a rule or a format of another area; fewer demo loans
            savepoint.rollback()
            echo(f"  (prêts de démonstration : un {category} n'a pas pu être mis au parc de prêt : "
                 f"{getattr(err, 'message', err)})")
            continue
        savepoint.commit()
        events = list(db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == device.id)
                                 .order_by(DeviceEvent.id)))
        for k, event in enumerate(events):
            event.at = base + timedelta(days=k // 2, hours=k)
        device.created_at, device.updated_at = events[0].at, events[-1].at
    db.flush()


def _backdate(db: Session, loan: Loan, days_ago: int, due_days: int) -> None:
    """Move a demo loan (and its history event) into the past, after the device's earlier events."""
    db.flush()
    events = list(db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == loan.device_id)
                             .order_by(DeviceEvent.at, DeviceEvent.id)))
    mine = [e for e in events if e.action == "loan" and (e.data or {}).get("loan_id") == loan.id]
    before = [e.at for e in events if e not in mine and e.at <= utcnow()]
    now = utcnow()
    at = now - timedelta(days=days_ago)
    if before and at <= max(before):
        at = min(max(before) + timedelta(hours=1), now)
    loan.started_at = loan.rules_accepted_at = at
    loan.start_on = local(at).date()
    loan.due_on = loan.start_on + timedelta(days=due_days)
    for event in mine:
        event.at = at
    _settle(db, loan.device)


def _settle(db: Session, device: Device) -> None:
    db.flush()
    device.updated_at = db.scalar(select(func.max(DeviceEvent.at)).where(DeviceEvent.device_id == device.id))


def _returned(db: Session, loan: Loan, days_after_start: int) -> None:
    """Date a demo return some days after the loan started (never in the future)."""
    db.flush()
    at = min(loan.started_at + timedelta(days=days_after_start), utcnow())
    loan.returned_at = at
    for event in db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == loan.device_id,
                                                      DeviceEvent.action == "loan_return")):
        if (event.data or {}).get("loan_id") == loan.id:
            event.at = at
    _settle(db, loan.device)


def _lend(db, actor, borrower, device, **kw) -> Loan | None:
    try:
        return loans.check_out(db, actor, borrower, [device.asset_tag], rules_accepted=True, **kw)[0]
    except RefurbError:
        return None


@use_case
def seed_loans(db: Session, ctx: dict) -> None:
    if not db.scalar(select(func.count(Borrower.id)).where(Borrower.referring_partner != SYNTHETIC)):
        _seed_people_and_loans(db, ctx)  # once
    if ctx.get("synthetic_device_ids"):
        seed_synthetic_loans(db, ctx, *ctx["synthetic_device_ids"])


def _seed_people_and_loans(db: Session, ctx: dict) -> None:
    echo = ctx.get("echo") or (lambda *_: None)
    sites, users = ctx["sites"], ctx["users"]
    admin = users.get("admin")
    desk = users.get("accueil") or admin
    desk_b = users.get("accueil-bourgueil") or admin
    if admin is None:
        return
    for code, wanted in (("EPN-CHINON", 6), ("BUS", 4), ("FS-BOURGUEIL", 2)):
        if code in sites:
            _top_up(db, admin, sites[code], wanted, echo)

    people = {}
    for first, last, phone, email, site, kind, organisation, pin in PEOPLE:
        if site not in sites:
            continue
        people[last] = loans.create_borrower(db, admin, {
            "first_name": first, "last_name": last, "phone": phone, "email": email, "home_site": site,
            "kind": kind, "organisation": organisation, "consent": True, "pin": DEMO_PIN if pin else ""})

    chinon, bus, bourgueil = (sites.get(c) for c in ("EPN-CHINON", "BUS", "FS-BOURGUEIL"))
    made = 0
    pool = _pool(db, chinon) if chinon else []
    if chinon and len(pool) >= 6:
        # a kit for workshops: the last two loan-pool devices of the EPN
        kit = loans.create_kit(db, desk, {"name": "Kit atelier mobile (2 appareils)", "site": chinon.code,
                                             "asset_tags": [d.asset_tag for d in pool[-2:]],
                                             "note": "Pour les ateliers dans les villages."})
        plan = [("Girard", pool[0], 40, 21), ("Benali", pool[1], 10, 21), ("Fontaine", pool[2], 3, 14)]
        for last, device, ago, due in plan:
            loan = _lend(db, desk, people[last], device, site=chinon)
            if loan:
                _backdate(db, loan, ago, due)
                made += 1
        # the partner borrows the kit for a workshop, overdue by two days
        kit_loans = loans.check_out(db, desk, people["Renard"], [d.asset_tag for d in kit.devices],
                                        site=chinon, kit=kit, rules_accepted=True)
        for loan in kit_loans:
            _backdate(db, loan, 32, 30)
        made += len(kit_loans)
        # a past loan, returned complete
        returned = _lend(db, desk, people["Fontaine"], pool[3], site=chinon)
        if returned:
            _backdate(db, returned, 30, 14)
            loans.return_loan(db, desk, returned, condition="complete", site=chinon)
            _returned(db, returned, 13)
        # reservations: any tablet next week, and a given device
        try:
            loans.create_reservation(db, desk, {"category": pool[0].category, "site": chinon.code,
                                                   "borrower_card": people["Benali"].card_number,
                                                   "start_on": (today() + timedelta(days=25)).isoformat(),
                                                   "end_on": (today() + timedelta(days=32)).isoformat(),
                                                   "note": "Pour un stage de remise à niveau."})
        except RefurbError as err:
            echo(f"  (réservation de démonstration non faite : {err.message})")
    if bus:
        pool = _pool(db, bus)
        if len(pool) >= 2:
            loan = _lend(db, desk, people["Moreau"], pool[0], site=bus)
            if loan:
                _backdate(db, loan, 20, 14)  # overdue
                made += 1
            damaged = _lend(db, desk, people["Rousseau"], pool[1], site=bus)
            if damaged:
                _backdate(db, damaged, 12, 30)
                loans.return_loan(db, desk, damaged, condition="damaged", site=bus,
                                      note="Écran fissuré au retour d'une tournée.")
                _returned(db, damaged, 9)
        if len(pool) >= 3:
            try:
                loans.create_reservation(db, desk, {"asset_tag": pool[2].asset_tag,
                                                       "borrower_card": people["Diallo"].card_number,
                                                       "start_on": (today() + timedelta(days=2)).isoformat(),
                                                       "end_on": (today() + timedelta(days=9)).isoformat()})
            except RefurbError as err:
                echo(f"  (réservation de démonstration non faite : {err.message})")
    if bourgueil:
        pool = _pool(db, bourgueil)
        if pool:
            loan = _lend(db, desk_b, people["Lemoine"], pool[0], site=bourgueil)
            if loan:
                _backdate(db, loan, 5, 14)
                made += 1
    db.flush()
    echo(f"Prêts de démonstration : {len(people)} usagers (code PIN de borne : {DEMO_PIN}), {made} prêts en cours.")


# --- synthetic loans (performance) --------------------------------------------------------------

SYNTHETIC = "Usager synthétique (mesures)"  # marks the synthetic borrowers (their referring partner)
_LENT_NOW = 0.45  # share of the synthetic loan-pool devices out on loan at the end
_PAST_LOANS = (0, 0, 1, 1, 2, 3)  # loans each has already made, returned


def _synthetic_borrowers(db: Session, rng: random.Random, sites: list, count: int) -> list[tuple[int, str]]:
    """``count`` synthetic borrowers inserted in bulk: (id, kind)."""
    taken = set(db.scalars(select(Borrower.card_number).where(Borrower.card_number.is_not(None))))
    rows, now = [], utcnow()
    for n in range(count):
        card = None
        while card is None or card in taken:
            card = "U" + "".join(rng.choice("0123456789") for _ in range(8))
        taken.add(card)
        first, last = f"Usager{n:05d}", "Synthétique"
        rows.append({"card_number": card, "kind": "resident", "first_name": first, "last_name": last,
                     "organisation": "", "phone": f"06{n:08d}", "email": None, "name_key": name_key(last, first),
                     "home_site_id": rng.choice(sites).id, "referring_partner": SYNTHETIC, "pin_failures": 0,
                     "consent_at": now, "blocked": False, "block_reason": "", "created_at": now, "updated_at": now,
                     "last_activity_at": now})
    db.execute(insert(Borrower), rows)
    return [(b.id, b.kind) for b in db.execute(select(Borrower.id, Borrower.kind)
                                                 .where(Borrower.referring_partner == SYNTHETIC))]


def seed_synthetic_loans(db: Session, ctx: dict, first_id: int, last_id: int) -> None:
    """Lend the synthetic loan-pool devices as the desks would: past loans returned, and ~45 % out now, each
    a loan row with its "loan" (and "loan_return") history events, in bulk. A device is "on_loan" only with
    its open loan: the invariants (``refurb/invariants.py``) hold on the synthetic data too."""
    echo = ctx.get("echo") or (lambda *_: None)
    rng = random.Random(last_id)
    pool = db.execute(select(Device.id, Device.site_id, Device.category, Device.updated_at, Device.version)
                      .where(Device.id.between(first_id, last_id), Device.state == "loan_pool")
                      .order_by(Device.id)).all()
    if not pool:
        return
    sites = [s for s in ctx["sites"].values() if s.active]
    desks = [u.id for u in ctx["users"].values() if u.role in ("accueil", "gestionnaire", "admin")]
    borrowers = _synthetic_borrowers(db, rng, sites, max(10, len(pool) // 3))
    next_loan = (db.scalar(select(func.max(Loan.id))) or 0) + 1
    now = utcnow()
    loans_rows, events, devices = [], [], []
    for device_id, site_id, category, last_at, version in pool:
        at = last_at + timedelta(hours=rng.uniform(2, 48))
        lent_now = rng.random() < _LENT_NOW
        planned = rng.choice(_PAST_LOANS) + (1 if lent_now else 0)
        for k in range(planned):
            days = rng.choice((7, 14, 21, 30))
            is_open = lent_now and k == planned - 1
            back = at + timedelta(days=rng.uniform(3, days + 5))
            if at >= now - timedelta(hours=1) or (not is_open and back >= now - timedelta(hours=1)):
                break  # no loan in the future: this device's story stops here
            borrower_id, kind = rng.choice(borrowers)
            desk = rng.choice(desks)
            start_on = local(at).date()
            loans_rows.append({"id": next_loan, "device_id": device_id, "borrower_id": borrower_id, "site_id": site_id,
                               "category": category, "borrower_kind": kind, "channel": "desk", "started_at": at,
                               "start_on": start_on, "due_on": start_on + timedelta(days=days), "renewals": 0,
                               "rules_accepted_at": at, "lent_by_id": desk, "return_note": "",
                               "returned_at": None if is_open else back,
                               "return_site_id": None if is_open else site_id,
                               "return_condition": None if is_open else "complete",
                               "returned_by_id": None if is_open else desk})
            events.append({"device_id": device_id, "at": at, "user_id": desk, "site_id": site_id, "action": "loan",
                           "from_state": "loan_pool", "to_state": "on_loan", "note": f"Prêt n° {next_loan}",
                           "data": {"loan_id": next_loan, "borrower_id": borrower_id}})
            version += 1
            last_state, last_at = "on_loan", at
            if not is_open:
                events.append({"device_id": device_id, "at": back, "user_id": desk, "site_id": site_id,
                               "action": "loan_return", "from_state": "on_loan", "to_state": "loan_pool",
                               "note": f"Retour du prêt n° {next_loan} : complet", "data": {"loan_id": next_loan}})
                version += 1
                last_state, last_at = "loan_pool", back
            devices.append({"b_id": device_id, "b_state": last_state, "b_at": last_at, "b_version": version})
            next_loan += 1
            at = back + timedelta(days=rng.uniform(1, 20))
    if loans_rows:
        db.execute(insert(Loan), loans_rows)
        db.execute(insert(DeviceEvent), events)
        last = {}
        for row in devices:  # the last change of each device wins
            last[row["b_id"]] = row
        db.execute(update(Device.__table__).where(Device.__table__.c.id == bindparam("b_id"))
                   .values(state=bindparam("b_state"), updated_at=bindparam("b_at"), version=bindparam("b_version")),
                   list(last.values()))
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT setval(pg_get_serial_sequence('loans', 'id'), (SELECT max(id) FROM loans))"))
    db.flush()
    out = sum(1 for row in loans_rows if row["returned_at"] is None)
    echo(f"  {len(loans_rows)} prêts synthétiques ({out} en cours), {len(borrowers)} usagers synthétiques.")
