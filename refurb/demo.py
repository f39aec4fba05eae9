"""Demonstration data: the real places of the Chinon area (seed document) and a user per role.

Then each area seeds its part, in the order listed in ``seed_demo_data`` (devices, workshop, loans, bus).
Running it twice adds nothing twice.
"""

from __future__ import annotations


from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import services as accounts
from .accounts.models import User
from .sites.models import Site

DEMO_PASSWORD = "demo-refurb-2026"

SITES = [
    dict(code="ATELIER", name="Atelier de reconditionnement du Chinonais", kind="atelier",
         address="12 rue des Tanneurs", postal_code="37500", city="Chinon", phone="02 47 00 10 10",
         opening_hours="Mo-Fr 09:00-12:30,13:30-17:00"),
    dict(code="EPN-CHINON", name="EPN de Chinon", kind="epn", address="2 place Jeanne d'Arc",
         postal_code="37500", city="Chinon", phone="02 47 00 10 20", email="epn@chinon.example.fr",
         opening_hours="Tu-Fr 09:30-12:00,14:00-18:00; Sa 09:30-12:30"),
    dict(code="EPN-PORTS", name="EPN de Ports-sur-Vienne", kind="epn", address="1 place de la Mairie",
         postal_code="37800", city="Ports", phone="02 47 00 10 30", opening_hours="We 14:00-18:00; Sa 09:00-12:00"),
    dict(code="MEDIA-AVOINE", name="Médiathèque d'Avoine", kind="mediatheque", address="5 rue Jean Jaurès",
         postal_code="37420", city="Avoine", phone="02 47 00 10 40",
         opening_hours="Tu 14:00-18:00; We 10:00-12:00,14:00-18:00; Sa 10:00-17:00"),
    dict(code="CS-CHINON", name="Centre social de Chinon", kind="centre_social", address="8 rue du Puy des Bancs",
         postal_code="37500", city="Chinon", phone="02 47 00 10 50", opening_hours="Mo-Fr 09:00-12:00,14:00-17:30"),
    dict(code="FS-BOURGUEIL", name="France Services Bourgueil", kind="france_services",
         address="4 rue de la Mairie", postal_code="37140", city="Bourgueil", phone="02 47 00 10 60",
         opening_hours="Mo-Fr 09:00-12:00,13:30-17:00"),
    dict(code="FS-LANGEAIS", name="France Services Langeais", kind="france_services",
         address="10 place du 14 Juillet", postal_code="37130", city="Langeais", phone="02 47 00 10 70",
         opening_hours="Mo-Fr 09:00-12:00,14:00-17:00"),
    dict(code="FS-CHATEAU", name="France Services Château-la-Vallière", kind="france_services",
         address="3 place de la Mairie", postal_code="37330", city="Château-la-Vallière", phone="02 47 00 10 80",
         opening_hours="Mo,Tu,Th,Fr 09:00-12:00,14:00-17:00"),
    dict(code="BUS", name="Bus numérique", kind="unite_mobile", address="12 rue des Tanneurs",
         postal_code="37500", city="Chinon", phone="06 00 00 10 90",
         opening_hours="Tournée : voir les prochains arrêts"),
]

# Open-data fields ("lieux de médiation numérique" schema): plausible SIRET/RNA, INSEE codes, coordinates,
# services. The bus keeps the workshop as its home base (address above) and is itinerant.
_SOLIDAIRE = "Acquisition de matériel informatique à prix solidaire"
_ACCES = "Accès internet et matériel informatique"
_OPEN_DATA = {
    "ATELIER": dict(pivot="W372001234", insee_code="37072", latitude=47.1661, longitude=0.2392,
                    services=[_SOLIDAIRE, "Utilisation sécurisée du numérique"],
                    public_summary="Atelier associatif : reconditionnement d'ordinateurs donnés, vente à prix solidaire."),
    "EPN-CHINON": dict(pivot="21370072700042", insee_code="37072", latitude=47.1672, longitude=0.2428,
                       services=["Maîtrise des outils numériques du quotidien", _ACCES, _SOLIDAIRE]),
    "EPN-PORTS": dict(pivot="21370186500015", insee_code="37186", latitude=47.0025, longitude=0.5469,
                      services=["Maîtrise des outils numériques du quotidien", _ACCES]),
    "MEDIA-AVOINE": dict(pivot="21370011500024", insee_code="37011", latitude=47.2058, longitude=0.1831,
                         services=[_ACCES, "Loisirs et créations numériques"]),
    "CS-CHINON": dict(pivot="21370072700067", insee_code="37072", latitude=47.1689, longitude=0.2311,
                      services=["Parentalité et éducation avec le numérique", _ACCES]),
    "FS-BOURGUEIL": dict(pivot="21370031300033", insee_code="37031", latitude=47.2833, longitude=0.1667,
                         services=["Aide aux démarches administratives", _ACCES]),
    "FS-LANGEAIS": dict(pivot="21370123800023", insee_code="37123", latitude=47.3247, longitude=0.4064,
                        services=["Aide aux démarches administratives", _ACCES]),
    "FS-CHATEAU": dict(pivot="21370062800018", insee_code="37062", latitude=47.5464, longitude=0.3233,
                       services=["Aide aux démarches administratives", _ACCES]),
    "BUS": dict(pivot="21370072700083", insee_code="37072", latitude=47.1661, longitude=0.2392, itinerant=True,
                services=["Aide aux démarches administratives", _ACCES, _SOLIDAIRE],
                public_summary="Le bus numérique vient dans les communes : démarches, prêt et vente de matériel."),
}
for _site in SITES:
    _site.update(_OPEN_DATA.get(_site["code"], {}))

USERS = [
    # username, full name, role, sites (first = home site)
    ("admin", "Camille Admin", "admin", []),
    ("gestionnaire", "Claire Gestion", "gestionnaire", ["ATELIER"]),
    ("technicien", "Théo Atelier", "technicien", ["ATELIER", "EPN-CHINON"]),
    ("accueil", "Amina Accueil", "accueil", ["EPN-CHINON", "BUS"]),
    ("accueil-bourgueil", "Bruno Accueil", "accueil", ["FS-BOURGUEIL"]),
    ("borne-chinon", "Borne EPN de Chinon", "borne", ["EPN-CHINON"]),
]



def _seed_sites(db: Session) -> dict[str, Site]:
    existing = {s.code: s for s in db.scalars(select(Site))}
    for data in SITES:
        if data["code"] not in existing:
            site = Site(**({"email": "", "active": True} | data))
            db.add(site)
            existing[site.code] = site
    db.flush()
    return existing


def _seed_users(db: Session) -> list[tuple[str, str, str]]:
    logins = []
    for username, full_name, role, sites in USERS:
        if db.scalar(select(User.id).where(User.username == username)) is None:
            accounts.create_user(db, {"username": username, "full_name": full_name, "role": role,
                                      "sites": sites, "home_site": sites[0] if sites else "",
                                      "password": DEMO_PASSWORD, "active": True})
        logins.append((username, role, ", ".join(sites) or "tout le réseau"))
    db.flush()
    return logins


def seed_demo_data(db: Session, *, synthetic_devices: int = 0, echo=lambda *_: None) -> list[tuple[str, str, str]]:
    sites = _seed_sites(db)
    logins = _seed_users(db)
    context = {"sites": sites, "users": {u.username: u for u in db.scalars(select(User))},
               "synthetic_devices": synthetic_devices, "echo": echo}
    from .inventory.demo import seed_inventory
    from .loans.demo import seed_loans
    from .public.demo import seed_bus_stops
    from .refurbishment.demo import seed_refurbishment

    for step in (seed_inventory, seed_refurbishment, seed_loans, seed_bus_stops):
        step(db, context)
    return logins
