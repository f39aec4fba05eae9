"""Public pages (no login): places, what can be borrowed now, the bus's next stops; open data in the national
"lieux de médiation numérique" schema, checked against the schema's rules; the managers' bus screen."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from conftest import csrf_token, login
from fixtures_documents import make_many, site_by_code
from sqlalchemy import select

from refurb.clock import today, utcnow
from refurb.public.models import BusStop
from refurb.sites.models import OPEN_DATA_SERVICES, Site
from refurb.sites.opendata import FIELDS, REQUIRED, luhn_ok, siret_ok

# The schema's rules, written out here independently of the code under test (LaMednum schema.json).
SERVICES_RULE = re.compile(r"(?:(?:^|\|)(" + "|".join(re.escape(s) for s in (
    "Aide aux démarches administratives", "Maîtrise des outils numériques du quotidien",
    "Insertion professionnelle via le numérique", "Utilisation sécurisée du numérique",
    "Parentalité et éducation avec le numérique", "Loisirs et créations numériques",
    "Compréhension du monde numérique", "Accès internet et matériel informatique",
    "Acquisition de matériel informatique à prix solidaire")) + "))+$")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def assert_valid_lieu(row: dict) -> None:
    for name in REQUIRED:
        assert row.get(name) not in (None, ""), f"{name} manquant dans {row}"
    pivot = str(row["pivot"])
    assert (re.fullmatch(r"\d{14}", pivot) and _luhn(pivot)) or re.fullmatch(r"W\d{9}", pivot), pivot
    assert re.fullmatch(r"\d{5}", str(row["code_postal"]))
    assert date.fromisoformat(row["date_maj"]) <= today() + timedelta(days=1)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date_maj"])
    assert SERVICES_RULE.fullmatch(row["services"]), row["services"]
    if row.get("code_insee"):
        assert re.fullmatch(r"([013-9]\d|2[AB1-9])\d{3}", row["code_insee"])
    if row.get("telephone"):
        assert re.fullmatch(r"\+33\d{9}", row["telephone"])
    if row.get("itinerance"):
        assert re.fullmatch(r"(?:(?:^|\|)(Itinérant|Fixe))+$", row["itinerance"])
    for name, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        if row.get(name) not in (None, ""):
            assert low <= float(row[name]) <= high


def _open_data_sites(db):
    a, b, bus = site_by_code(db, "EPN-A"), site_by_code(db, "EPN-B"), site_by_code(db, "BUS")
    a.pivot, a.insee_code, a.latitude, a.longitude = "21370072700042", "37072", 47.1672, 0.2428
    a.services = ["Maîtrise des outils numériques du quotidien", "Accès internet et matériel informatique"]
    a.opening_hours = "Tu-Fr 09:30-12:00,14:00-18:00"
    bus.pivot, bus.address, bus.postal_code, bus.itinerant = "W372001234", "12 rue des Tanneurs", "37500", True
    b.pivot = ""  # no identifier yet: not published
    db.commit()


def test_places_page_is_public_and_shows_availability_without_tags(app, client, db):
    _open_data_sites(db)
    make_many(db, 3, "EPN-A", state="loan_pool", category="laptop", start=1)
    make_many(db, 2, "EPN-A", state="loan_pool", category="tablet", start=10)
    make_many(db, 1, "EPN-A", state="on_loan", category="router", start=20)
    make_many(db, 4, "EPN-B", state="ready", category="laptop", start=30)
    bus = site_by_code(db, "BUS")
    db.add_all([
        BusStop(site_id=bus.id, day=today() + timedelta(days=2), start_time="09:30", end_time="12:00",
                commune="Huismes", place="Place du Marché", postal_code="37420"),
        BusStop(site_id=bus.id, day=today() - timedelta(days=2), start_time="09:30", end_time="12:00",
                commune="Ancienne-Commune", place="Passé"),
    ])
    db.commit()
    r = client.get("/lieux")
    assert r.status_code == 200
    assert "public" in r.headers["Cache-Control"]
    html = r.get_data(as_text=True)
    assert "EPN A" in html and "1 rue A" in html and "37500 Chinon" in html
    assert "Du mardi au vendredi : 9 h 30 – 12 h, 14 h – 18 h" in html  # OSM hours in plain French
    assert "Maîtrise des outils numériques du quotidien" in html
    assert "Ordinateurs portables : <strong>3</strong>" in html
    assert "Tablettes : <strong>2</strong>" in html
    assert "Routeurs 4G" not in html  # on loan: not available
    assert "Huismes" in html and "Ancienne-Commune" not in html
    # no asset tags, no serials, no staff or personal data; no login needed, no app scripts
    assert not re.search(r"RF-\d{6}", html) and "SN0000" not in html
    for username in ("manager", "Manager", "desk", "tech"):
        assert f">{username}<" not in html
    assert "htmx" not in html and "/login" not in html


def test_open_data_json_and_csv_follow_the_schema(app, client, db):
    _open_data_sites(db)
    r = client.get("/open-data/lieux-mediation-numerique.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    rows = r.json
    assert [row["nom"] for row in rows] == ["Bus numérique", "EPN A"]  # EPN-B has no SIRET/RNA yet
    for row in rows:
        assert_valid_lieu(row)
        assert set(row) <= set(FIELDS)
    epn = next(row for row in rows if row["nom"] == "EPN A")
    assert epn["pivot"] == "21370072700042" and epn["code_postal"] == "37500" and epn["commune"] == "Chinon"
    assert epn["services"] == "Maîtrise des outils numériques du quotidien|Accès internet et matériel informatique"
    assert epn["latitude"] == 47.1672 and epn["telephone"] == "+33247000001"
    assert epn["itinerance"] == "Fixe" and epn["horaires"] == "Tu-Fr 09:30-12:00,14:00-18:00"
    bus = next(row for row in rows if row["nom"] == "Bus numérique")
    assert bus["itinerance"] == "Itinérant" and "Acquisition de matériel informatique à prix solidaire" in bus["services"]

    r = client.get("/open-data/lieux-mediation-numerique.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert not r.data.startswith(b"\xef\xbb\xbf")
    reader = csv.DictReader(io.StringIO(r.data.decode("utf-8")))
    assert tuple(reader.fieldnames) == FIELDS
    csv_rows = list(reader)
    assert len(csv_rows) == 2
    for row in csv_rows:
        assert_valid_lieu(row)
    assert csv_rows[1]["services"].split("|") == ["Maîtrise des outils numériques du quotidien",
                                                  "Accès internet et matériel informatique"]


def test_open_data_csv_free_text_stays_text_in_a_spreadsheet(app, client, db):
    """A site's name or presentation typed as a formula is written inert (as every other export); the phone,
    written ``+33…`` by the schema's pattern, stays as it is; the JSON keeps the text unchanged."""
    _open_data_sites(db)
    a = site_by_code(db, "EPN-A")
    a.name, a.public_summary = '=HYPERLINK("http://evil.example","Cliquez")', "@SUM(1+1)"
    db.commit()
    rows = list(csv.DictReader(io.StringIO(client.get("/open-data/lieux-mediation-numerique.csv").data.decode())))
    epn = next(row for row in rows if "HYPERLINK" in row["nom"])
    assert epn["nom"] == "'" + a.name and epn["presentation_resume"] == "'@SUM(1+1)"
    assert epn["telephone"] == "+33247000001"
    epn_json = next(row for row in client.get("/open-data/lieux-mediation-numerique.json").json
                    if "HYPERLINK" in row["nom"])
    assert epn_json["nom"] == a.name


def test_demo_sites_carry_valid_open_data(app, db):
    from refurb.demo import SITES
    from refurb.sites.opendata import exportable, lieu

    sites = [Site(**({"email": "", "active": True} | data), created_at=utcnow()) for data in SITES]
    assert all(exportable(s) for s in sites)
    rows = [lieu(s, network="Réseau numérique du Chinonais") for s in sites]
    for row in rows:
        assert_valid_lieu(row)
    bus = next(row for row in rows if row["id"] == "refurb-bus")
    assert bus["itinerance"] == "Itinérant" and bus["commune"] == "Chinon" and bus["adresse"]  # its home base
    assert sum(row["itinerance"] == "Itinérant" for row in rows) == 1
    # the demo also publishes the bus's next stops (our demo step alone: other areas have their own)
    from refurb.public.demo import seed_bus_stops
    seed_bus_stops(db, {"sites": {"BUS": site_by_code(db, "BUS")}})
    db.commit()
    stops = db.scalars(select(BusStop)).all()
    assert len(stops) >= 3 and all(s.day >= today() for s in stops)


def test_identifier_checks():
    assert siret_ok("21370072700042") and not siret_ok("21370072700043") and not siret_ok("2137007270004")
    assert siret_ok("35600000000001")  # La Poste: digit sum a multiple of 5, not Luhn
    assert luhn_ok("21370072700042") and not luhn_ok("21370072700043")


def test_site_form_open_data_fields(app, client, db, login_as):
    login_as("admin")
    url = "/sites/EPN-A/edit"
    html = client.get(url).get_data(as_text=True)
    assert 'name="pivot"' in html and 'name="services"' in html and "Acquisition de matériel" in html
    token = csrf_token(client, url)
    base = {"csrf_token": token, "name": "EPN A", "kind": "epn", "address": "1 rue A", "postal_code": "37500",
            "city": "Chinon", "phone": "", "email": "", "opening_hours": "Mo-Fr 09:00-12:00", "active": "on"}
    r = client.post(url, data=base | {"pivot": "12345678901234", "insee_code": "3707", "latitude": "147",
                                      "longitude": "0.2", "website": "epn.fr", "services": ["Faire le café"]})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "clé de contrôle" in html and "code INSEE" in html and "latitude" in html.lower()
    assert "https://" in html and "liste du schéma national" in html
    db.rollback()
    assert site_by_code(db, "EPN-A").pivot == ""
    r = client.post(url, data=base | {"pivot": "213 700 727 00042", "insee_code": "37072", "latitude": "47,1672",
                                      "longitude": "0.2428", "website": "https://epn.example.fr",
                                      "public_summary": "Accès libre et ateliers.",
                                      "services": [OPEN_DATA_SERVICES[7], OPEN_DATA_SERVICES[1]]})
    assert r.status_code == 303, re.findall(r'field-error">[^<]*', r.get_data(as_text=True))
    db.rollback()
    site = site_by_code(db, "EPN-A")
    assert site.pivot == "21370072700042" and site.insee_code == "37072"
    assert site.latitude == 47.1672 and site.longitude == 0.2428
    assert site.services == [OPEN_DATA_SERVICES[1], OPEN_DATA_SERVICES[7]] and site.updated_at is not None
    assert client.get("/open-data/lieux-mediation-numerique.json").json[0]["site_web"] == "https://epn.example.fr"


def test_bus_stops_screen(app, client, db, login_as):
    login_as("manager")
    html = client.get("/bus/arrets").get_data(as_text=True)
    assert "Calendrier du bus numérique" in html and "Bus numérique" in html
    token = csrf_token(client, "/bus/arrets")
    day = (today() + timedelta(days=5)).isoformat()
    good = {"csrf_token": token, "site": "BUS", "day": day, "start_time": "09:30", "end_time": "12:00",
            "commune": "Cravant-les-Côteaux", "postal_code": "37500", "place": "Place de l'Église", "note": ""}
    r = client.post("/bus/arrets", data=good | {"end_time": "09:00"})
    assert r.status_code == 422 and "après l&#39;heure d&#39;arrivée" in r.get_data(as_text=True)
    r = client.post("/bus/arrets", data=good | {"day": (today() - timedelta(days=1)).isoformat()})
    assert r.status_code == 422 and "passée" in r.get_data(as_text=True)
    r = client.post("/bus/arrets", data=good | {"commune": "", "start_time": "9h"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "La commune est obligatoire" in html and "HH:MM" in html
    r = client.post("/bus/arrets", data=good | {"site": "EPN-A"})
    assert r.status_code == 422 and "lieu itinérant" in r.get_data(as_text=True)
    db.rollback()
    assert db.scalars(select(BusStop)).all() == []
    r = client.post("/bus/arrets", data=good)
    assert r.status_code == 303 and r.headers["Location"].endswith("/bus/arrets")
    db.rollback()
    stop = db.scalar(select(BusStop))
    assert stop.commune == "Cravant-les-Côteaux" and stop.site.code == "BUS"
    public = app.test_client().get("/lieux").get_data(as_text=True)
    assert "Cravant-les-Côteaux" in public and "Place de l&#39;Église" in public and "09 h 30" in public
    r = client.post(f"/bus/arrets/{stop.id}", data=good | {"place": "Salle des fêtes"})
    assert r.status_code == 303
    db.rollback()
    assert db.get(BusStop, stop.id).place == "Salle des fêtes"
    stop_id = stop.id
    assert client.post(f"/bus/arrets/{stop_id}/delete", data={"csrf_token": token}).status_code == 303
    db.rollback()
    assert db.scalar(select(BusStop.id).where(BusStop.id == stop_id)) is None
    tech = app.test_client()
    assert login(tech, "tech").status_code == 302
    assert tech.get("/bus/arrets").status_code == 403
    assert client.get("/bus/arrets/999").status_code == 404


def test_site_without_mobile_site(app, client, db, login_as):
    db.rollback()
    bus = db.scalar(select(Site).where(Site.code == "BUS"))
    bus.active = False
    db.commit()
    login_as("manager")
    html = client.get("/bus/arrets").get_data(as_text=True)
    assert "Aucun lieu itinérant actif" in html


def test_open_data_update_day_is_the_day_in_france(app, db):
    """A place edited at 00:30 in Paris was updated that day, which is still the day before in UTC."""
    from refurb.clock import start_of_day_utc
    from refurb.sites.opendata import lieu

    _open_data_sites(db)
    a = site_by_code(db, "EPN-A")
    day = today() - timedelta(days=3)
    a.updated_at = start_of_day_utc(day) + timedelta(minutes=30)
    assert a.updated_at.date() == day - timedelta(days=1)  # (the UTC date)
    assert lieu(a, network="Réseau")["date_maj"] == day.isoformat()
