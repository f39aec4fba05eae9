"""Demonstration of the refurbishment channel, all through the services: the network's stock (a few
dozen devices at every stage, at the sites and the workshop, with a believable history), then three
donors (a company, a commune, a resident) and their donations received at the workshop ("ATELIER"), with
devices at every step — diagnosed, erased, repaired, graded, sold at a social price, given, recycled."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import today, utcnow
from ..errors import Conflict, RefurbError
from ..inventory import services as inventory
from ..inventory.categories import WITH_STORAGE
from ..inventory.demo import CATALOGUE, serial_number
from ..inventory.models import Device, DeviceEvent
from . import services as refurb
from .models import Donor
from .services import category_checks


def siret(first13: str) -> str:
    """A SIRET with a valid Luhn key (demo data only)."""
    for last in "0123456789":
        candidate = first13 + last
        total = 0
        for i, digit in enumerate(reversed(candidate)):
            n = int(digit) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return candidate
    raise ValueError(first13)


LAPTOP = {"category": "laptop", "has_storage": True}


def _donations(received):
    return [
        {"donor": {"kind": "company", "name": "Transports Martin SARL", "siret": siret("4429871230001"),
                   "contact_name": "Sophie Martin", "email": "sophie.martin@transports-martin.example.fr",
                   "phone": "02 47 93 12 34", "address": "ZA du Véron", "postal_code": "37420", "city": "Avoine"},
         "received_on": received(40), "erasure_certificate_required": True, "conditions": "Reprise du parc bureautique",
         "devices": [
             {**LAPTOP, "brand": "Lenovo", "model": "ThinkPad T470", "serial_number": "PF0TM4701",
              "specs": {"cpu": "Intel Core i5-7300U", "ram_gb": 8, "storage_type": "SSD", "storage_gb": 256}},
             {**LAPTOP, "brand": "Lenovo", "model": "ThinkPad T470", "serial_number": "PF0TM4702",
              "specs": {"cpu": "Intel Core i5-7300U", "ram_gb": 8, "storage_type": "SSD", "storage_gb": 256}},
             {**LAPTOP, "brand": "Dell", "model": "Latitude 7480", "serial_number": "DL7480TM3",
              "specs": {"storage_type": "NVMe", "storage_gb": 512}},
             {"category": "screen", "brand": "Dell", "model": "P2217", "serial_number": "CN0P2217TM"},
         ]},
        {"donor": {"kind": "public_body", "name": "Commune de Chinon", "siret": siret("2137007230001"),
                   "contact_name": "Service informatique", "email": "informatique@ville-chinon.example.fr",
                   "phone": "02 47 93 53 00", "address": "Hôtel de ville, place du Général de Gaulle",
                   "postal_code": "37500", "city": "Chinon"},
         "received_on": received(25), "erasure_certificate_required": True,
         "convention_reference": "CC-2026-014", "conditions": "Revente à prix solidaires uniquement",
         "devices": [
             {**LAPTOP, "brand": "HP", "model": "ProBook 440 G5", "serial_number": "5CD8CHN001",
              "specs": {"storage_type": "SSD", "storage_gb": 256, "battery_health": 82}},
             {**LAPTOP, "brand": "HP", "model": "ProBook 440 G5", "serial_number": "5CD8CHN002",
              "specs": {"storage_type": "HDD", "storage_gb": 500}},
             {**LAPTOP, "brand": "HP", "model": "ProBook 440 G5", "serial_number": "5CD8CHN003"},
             {"category": "desktop", "brand": "HP", "model": "ProDesk 400 G4", "serial_number": "CZC8CHN004",
              "specs": {"storage_type": "HDD", "storage_gb": 500}},
         ]},
        {"donor": {"kind": "individual", "name": "Jeanne Dupont", "phone": "06 12 34 56 78",
                   "address": "4 rue Voltaire", "postal_code": "37500", "city": "Chinon"},
         "received_on": received(6), "erasure_certificate_required": False,
         "devices": [
             {**LAPTOP, "brand": "Asus", "model": "X540", "serial_number": "ASX540JD01"},
             {"category": "smartphone", "brand": "Samsung", "model": "Galaxy S9", "serial_number": "R58SGS9JD1"},
         ]},
    ]


def _checks(device: Device, failed=(), na=()) -> dict:
    return {k: "fail" if k in failed else "na" if k in na else "pass" for k in category_checks(device.category)}


# The stock: (category, model index in inventory.demo.CATALOGUE, site, steps after "received", note on
# creation). Steps are states, or ("transfer", site) for a move. A step refused by a rule (e.g. "ready"
# before a data erasure is recorded, or a sale outside the sale form) ends the scenario there: the
# donations below show those steps done properly.
_LOAN = ("diagnosing", "ready", "loan_pool")
SCENARIOS = [
    ("laptop", 0, "ATELIER", (), "Don de la mairie de Chinon"),
    ("laptop", 1, "ATELIER", ("diagnosing",), "Don de la mairie de Chinon"),
    ("laptop", 2, "ATELIER", ("diagnosing", "repairing"), "Don Crédit Agricole Touraine"),
    ("laptop", 3, "ATELIER", ("diagnosing", "parts"), "Collecte de quartier"),
    ("laptop", 0, "ATELIER", ("diagnosing", "ready"), "Don de la mairie de Chinon"),
    ("laptop", 1, "ATELIER", ("diagnosing", "ready"), "Don Crédit Agricole Touraine"),
    ("laptop", 2, "ATELIER", ("diagnosing", "ready", "sold"), "Don Crédit Agricole Touraine"),
    ("laptop", 0, "ATELIER", ("diagnosing", "repairing", "ready", "donated"), "Collecte de quartier"),
    ("laptop", 1, "ATELIER", _LOAN + (("transfer", "EPN-CHINON"),), "Don de la mairie de Chinon"),
    ("laptop", 0, "ATELIER", _LOAN + (("transfer", "EPN-CHINON"),), "Don de la mairie de Chinon"),
    ("laptop", 2, "ATELIER", _LOAN + (("transfer", "FS-BOURGUEIL"),), "Don Crédit Agricole Touraine"),
    ("laptop", 1, "ATELIER", _LOAN + (("transfer", "BUS"),), "Don de la communauté de communes"),
    ("laptop", 0, "ATELIER", _LOAN + (("transfer", "BUS"), "lost"), "Don de la communauté de communes"),
    ("laptop", 3, "ATELIER", ("recycled",), "Collecte de quartier"),
    ("desktop", 0, "ATELIER", ("diagnosing",), "Don du lycée Rabelais"),
    ("desktop", 0, "ATELIER", ("diagnosing", "ready", "sold"), "Don du lycée Rabelais"),
    ("desktop", 1, "ATELIER", ("diagnosing", "ready"), "Don du lycée Rabelais"),
    ("desktop", 1, "ATELIER", ("recycled",), "Don du lycée Rabelais"),
    ("desktop", 0, "ATELIER", ("diagnosing", "ready", ("transfer", "CS-CHINON")), "Don du lycée Rabelais"),
    ("tablet", 0, "ATELIER", _LOAN + (("transfer", "EPN-CHINON"),), "Don de la mairie de Chinon"),
    ("tablet", 0, "ATELIER", _LOAN + (("transfer", "MEDIA-AVOINE"),), "Don de la mairie de Chinon"),
    ("tablet", 1, "ATELIER", ("diagnosing", "repairing"), "Collecte de quartier"),
    ("tablet", 1, "ATELIER", ("diagnosing", "ready", "donated"), "Collecte de quartier"),
    ("smartphone", 0, "ATELIER", ("diagnosing",), "Collecte de quartier"),
    ("smartphone", 1, "ATELIER", ("diagnosing", "ready", "sold"), "Collecte de quartier"),
    ("screen", 1, "ATELIER", ("diagnosing", "parts"), "Collecte de quartier"),  # no storage: no erasure needed
    ("screen", 0, "ATELIER", ("diagnosing", "ready", ("transfer", "FS-LANGEAIS")), "Don du lycée Rabelais"),
    ("screen", 1, "ATELIER", ("diagnosing", "ready"), "Don du lycée Rabelais"),
    ("screen", 1, "ATELIER", ("recycled",), "Don du lycée Rabelais"),
    ("printer", 0, "ATELIER", ("diagnosing", "ready", ("transfer", "FS-CHATEAU")), "Don d'une entreprise"),
    ("router", 0, "BUS", ("diagnosing", "ready", "loan_pool"), "Achat sur subvention"),
    ("router", 1, "BUS", ("diagnosing", "ready", "loan_pool"), "Achat sur subvention"),
    ("router", 0, "FS-BOURGUEIL", ("diagnosing", "ready", "loan_pool"), "Achat sur subvention"),
    ("accessory", 0, "EPN-PORTS", ("diagnosing", "ready", "loan_pool"), "Achat sur subvention"),
    ("accessory", 0, "EPN-CHINON", ("diagnosing", "ready", "loan_pool"), "Achat sur subvention"),
    ("laptop", 2, "FS-LANGEAIS", ("diagnosing",), "Déposé à l'accueil par un habitant"),
    # lending kit without storage (4G routers, webcams, screens), spread over the sites
    ("router", 1, "ATELIER", _LOAN + (("transfer", "EPN-CHINON"),), "Achat sur subvention"),
    ("router", 0, "ATELIER", _LOAN + (("transfer", "FS-LANGEAIS"),), "Achat sur subvention"),
    ("router", 1, "ATELIER", _LOAN + (("transfer", "FS-CHATEAU"),), "Achat sur subvention"),
    ("accessory", 0, "ATELIER", _LOAN + (("transfer", "MEDIA-AVOINE"),), "Achat sur subvention"),
    ("accessory", 0, "ATELIER", _LOAN + (("transfer", "BUS"),), "Achat sur subvention"),
    ("accessory", 0, "ATELIER", _LOAN + (("transfer", "FS-BOURGUEIL"), "lost"), "Achat sur subvention"),
    ("screen", 0, "ATELIER", ("diagnosing", "ready", ("transfer", "CS-CHINON")), "Don du lycée Rabelais"),
    ("printer", 0, "ATELIER", ("diagnosing", "repairing"), "Don d'une entreprise"),
    # collection points: devices left at a site, brought to the workshop by the bus
    ("laptop", 3, "EPN-PORTS", (("transfer", "ATELIER"),), "Déposé à l'EPN par un habitant"),
    ("desktop", 1, "MEDIA-AVOINE", (("transfer", "ATELIER"), "diagnosing"), "Don d'une association"),
    ("tablet", 1, "CS-CHINON", (("transfer", "ATELIER"),), "Déposé au centre social"),
    ("smartphone", 1, "FS-BOURGUEIL", (("transfer", "ATELIER"), "diagnosing", "recycled"), "Déposé à l'accueil"),
    ("smartphone", 0, "FS-CHATEAU", (), "Déposé à l'accueil, à collecter"),
]

NOTES = {
    "diagnosing": "Démarre, tests matériels en cours.",
    "repairing": "Clavier à remplacer.",
    "ready": "Grade B : quelques rayures.",
    "loan_pool": "Pour le prêt aux usagers.",
    "sold": "Vendu au prix solidaire.",
    "donated": "Donné à une association d'aide aux devoirs.",
    "parts": "Carte mère HS : démonté pour pièces.",
    "recycled": "Trop ancien : filière DEEE.",
    "lost": "Non rendu après une tournée du bus.",
}


def seed_stock(db: Session, ctx: dict) -> None:
    """The network's stock, each device through its scenario (the workshop's moves, transfers, losses)."""
    rng = random.Random(37500)
    sites, users = ctx["sites"], ctx["users"]
    tech = users.get("technicien")
    manager = users.get("gestionnaire") or users.get("admin")
    now = utcnow()
    transfers = []
    for category, index, site_code, steps, origin in SCENARIOS:
        brand, model, specs = CATALOGUE[category][index]
        actor = tech if tech is not None and site_code in {s.code for s in tech.sites} else manager
        spec = inventory.DeviceInput(category=category, site=sites[site_code], brand=brand, model=model,
                                     serial_number=serial_number(rng, brand), has_storage=category in WITH_STORAGE,
                                     specs=dict(specs), condition=rng.choice(["", "Rayures légères", "Bon état"]))
        device = inventory.create_device(db, actor, spec, note=origin)
        events = [db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == device.id)).one()]
        for step in steps:
            try:
                if isinstance(step, tuple):
                    transfer = inventory.transfer_devices(db, manager, step[1], [device.asset_tag],
                                                          note="Tournée de livraison")
                    events.append(db.scalars(select(DeviceEvent).where(DeviceEvent.device_id == device.id)
                                             .order_by(DeviceEvent.id.desc()).limit(1)).one())
                    transfers.append((transfer, events[-1]))
                elif step == "lost":
                    events.append(inventory.transition(db, manager, device, step, note=NOTES[step]))
                else:
                    events.append(refurb.move(db, actor, device, step, note=NOTES.get(step, "")))
            except Conflict:
                break  # a rule (e.g. no data erasure recorded yet): the device waits here
        # Spread the history over the last months so that the timeline reads like real life.
        at = now - timedelta(days=rng.randint(20, 120), hours=rng.randint(0, 8))
        for event in events:
            event.at = at
            at += timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 5))
        device.created_at = events[0].at
        device.updated_at = events[-1].at
    for transfer, event in transfers:
        transfer.at = event.at
    db.flush()


def _erase(db, tech, device, *, result="passed", hours_ago=30, method="overwrite", nist="clear"):
    end = utcnow() - timedelta(hours=hours_ago)
    refurb.record_erasure(db, tech, device, {
        "media": [{"serial": f"S{device.serial_number or device.asset_tag}", "model": "Disque d'origine",
                   "size_gb": (device.specs or {}).get("storage_gb") or 256}],
        "method": method, "nist_category": nist, "tool": "nwipe" if method != "destruction" else "Broyeur HSM",
        "tool_version": "0.36" if method != "destruction" else "", "passes": 1 if method != "destruction" else 0,
        "verified": True, "result": result, "started_at": (end - timedelta(hours=2)).isoformat(),
        "ended_at": end.isoformat()})


def seed_refurbishment(db: Session, ctx: dict) -> None:
    if db.scalar(select(Donor.id).limit(1)) is not None or "ATELIER" not in ctx["sites"]:
        return  # already seeded (or a network without the workshop)
    seed_stock(db, ctx)
    users = ctx["users"]
    tech = users.get("technicien") or users.get("admin")
    desk = users.get("gestionnaire") or users.get("admin")
    day = today()

    def received(days_ago: int) -> str:
        return (day - timedelta(days=days_ago)).isoformat()

    made = []
    for data in _donations(received):
        try:
            _donation, devices = refurb.create_donation(db, desk, {**data, "site": "ATELIER"})
        except RefurbError as err:  # e.g. a serial number the inventory demo already used
            ctx.get("echo", lambda *_: None)(f"  don de démonstration ignoré : {err.message}")
            continue
        made.append(devices)
    if len(made) < 3:
        return
    (t1, t2, d3, screen), (c1, c2, c3, desktop), (_resident_laptop, phone) = made

    # Company laptop 1: the full path, sold.
    refurb.record_diagnosis(db, tech, t1, {"checks": _checks(t1), "verdict": "ready", "battery_health": 78})
    _erase(db, tech, t1)
    refurb.record_grading(db, tech, t1, {"grade": "B"})
    refurb.move(db, tech, t1, "ready")
    refurb.sell(db, desk, t1, {"price": "120.00", "buyer": {"name": "Karim Benali", "contact": "06 98 76 54 32"},
                               "eligible": True, "eligibility_reason": "demandeur_emploi", "payment_method": "card"})
    # Company laptop 2: keyboard failed, repaired with a part, erased, graded, ready.
    refurb.record_diagnosis(db, tech, t2, {"checks": _checks(t2, failed=("keyboard",)), "verdict": "repair",
                                           "battery_health": 71})
    # Dell: motherboard dead, for parts; its disk was never erased: it waits, then the recycler
    # destroys it with the batch below and certifies it.
    refurb.record_diagnosis(db, tech, d3, {"checks": _checks(d3, failed=("power",)), "verdict": "parts",
                                           "battery_health": 40, "notes": "Carte mère hors service."})
    refurb.record_repair(db, tech, t2, {"problem": "Clavier : touches E et R inopérantes",
                                        "action": "Remplacement du clavier", "checks_fixed": ["keyboard"],
                                        "minutes": 35, "parts": [{"description": "Clavier AZERTY", "source": "bought",
                                                                  "cost": "24.90"}]})
    _erase(db, tech, t2, hours_ago=20)
    refurb.record_grading(db, tech, t2, {"grade": "A"})
    refurb.move(db, tech, t2, "ready")
    # Screen: no storage, diagnosed and graded, ready to give.
    refurb.record_diagnosis(db, tech, screen, {"checks": _checks(screen), "verdict": "ready"})
    refurb.record_grading(db, tech, screen, {"grade": "B"})
    refurb.move(db, tech, screen, "ready")
    refurb.give(db, desk, screen, {"recipient_kind": "association", "recipient_name": "Secours populaire de Chinon",
                                   "eligible": True, "eligibility_reason": "association"})

    # Commune laptops: prix solidaires.
    refurb.record_diagnosis(db, tech, c1, {"checks": _checks(c1), "verdict": "ready", "battery_health": 82})
    _erase(db, tech, c1, method="ata_secure_erase", nist="purge")
    refurb.record_grading(db, tech, c1, {"grade": "A"})
    refurb.move(db, tech, c1, "ready")
    refurb.sell(db, desk, c1, {"price": "150.00", "buyer": {"name": "Lucie Moreau"}, "eligible": True,
                               "eligibility_reason": "minima_sociaux", "payment_method": "cash"})
    refurb.record_diagnosis(db, tech, c2, {"checks": _checks(c2), "verdict": "ready", "battery_health": 65})
    _erase(db, tech, c2, result="failed", hours_ago=4)  # bad sectors: blocked until destroyed or redone
    refurb.record_diagnosis(db, tech, c3, {"checks": _checks(c3, failed=("screen", "battery")),
                                           "verdict": "recycle", "battery_health": 12,
                                           "notes": "Dalle fissurée, batterie gonflée."})
    _erase(db, tech, c3, method="destruction", nist="destroy", hours_ago=3)
    refurb.create_batch(db, tech, {"asset_tags": [c3.asset_tag, d3.asset_tag], "weight_kg": "4.60",
                                   "carrier": "Envie 2E Touraine", "carrier_siret": siret("4011234560001"),
                                   "carrier_address": "ZI des Gués, 37700 Saint-Pierre-des-Corps",
                                   "carrier_receipt": "37-2024-0017",
                                   "facility": "Envie 2E Touraine — Saint-Pierre-des-Corps",
                                   "facility_address": "ZI des Gués, 37700 Saint-Pierre-des-Corps",
                                   "facility_siret": siret("4011234560002"), "treatment_code": "R4",
                                   "tracking_number": f"BSD-{day:%Y%m%d}-0001",
                                   "media_destruction_certificate": f"CD-{day:%Y%m%d}-17"})
    # Desktop: diagnosed, waits for its erasure.
    refurb.record_diagnosis(db, tech, desktop, {"checks": _checks(desktop, na=("wifi",)), "verdict": "ready"})
    # The resident's laptop waits for diagnosis; the phone is being diagnosed.
    refurb.move(db, tech, phone, "diagnosing")
    db.flush()
