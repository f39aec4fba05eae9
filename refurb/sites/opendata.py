"""Open data: the network's places in the national "lieux de médiation numérique" schema
(LaMednum / ANCT, schema.data.gouv.fr, Table Schema "Lieux de médiation numérique").

Required fields: id, pivot (SIRET, or RNA for an association without SIRET), nom, commune, code_postal
(5 digits), adresse, date_maj (ISO 8601 date), services (values from the schema's list, several joined
with ";" and no space). Optional fields filled when known: code_insee, latitude, longitude (WGS84),
telephone (international format +33…, no spaces), courriels, site_web, horaires (OpenStreetMap
opening_hours), presentation_resume (280 characters at most), source, itinerance ("Itinérant" or "Fixe"),
structure_parente, dispositif_programmes_nationaux ("France Services"…).

The CSV is UTF-8, comma-separated, with the schema's column names; the JSON is the same table as a list of
objects (list values joined with ";", as in the CSV, so one validator fits both).
"""

from __future__ import annotations

import csv
import io
import re

from ..clock import local
from .models import OPEN_DATA_SERVICES, Site

FIELDS = ("id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse", "complement_adresse",
          "latitude", "longitude", "typologie", "telephone", "courriels", "site_web", "horaires",
          "presentation_resume", "presentation_detail", "source", "itinerance", "structure_parente", "date_maj",
          "services", "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
          "dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels", "modalites_acces",
          "modalites_accompagnement", "fiche_acces_libre", "prise_rdv")
REQUIRED = ("id", "pivot", "nom", "commune", "code_postal", "adresse", "date_maj", "services")

# Schema value lists (only those we fill).
TYPOLOGIES = {"epn": "EPN", "france_services": "RFS", "mediatheque": "BIB", "centre_social": "CS"}
PROGRAMMES = {"france_services": "France Services"}
SERVICES_PATTERN = re.compile("(?:(?:^|;)(" + "|".join(re.escape(s) for s in OPEN_DATA_SERVICES) + "))+$")
ITINERANCE_PATTERN = re.compile(r"(?:(?:^|;)(Itinérant|Fixe))+$")
INSEE_PATTERN = re.compile(r"^([013-9]\d|2[AB1-9])\d{3}$")
POSTAL_PATTERN = re.compile(r"^\d{5}$")
PHONE_PATTERN = re.compile(r"^(\+33|\+590|\+594|\+262|\+596|\+269|\+687|\+689|\+508|\+681)(\d){6,9}$")
RNA_PATTERN = re.compile(r"^W\d{9}$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --- identifiers ---------------------------------------------------------------------------------

def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def siret_ok(value: str) -> bool:
    """14 digits passing the Luhn check (La Poste's establishments: digit sum multiple of 5)."""
    if not re.fullmatch(r"\d{14}", value or ""):
        return False
    if value.startswith("356000000"):
        return sum(int(c) for c in value) % 5 == 0
    return luhn_ok(value)


def pivot_ok(value: str) -> bool:
    return siret_ok(value) or bool(RNA_PATTERN.fullmatch(value or ""))


def international_phone(phone: str) -> str:
    """"02 47 00 10 20" → "+33247001020" (the schema's format); "" if it cannot be converted."""
    digits = re.sub(r"[^\d+]", "", phone or "")
    if digits.startswith("+"):
        result = digits
    elif digits.startswith("0033"):
        result = "+" + digits[2:]
    elif len(digits) == 10 and digits.startswith("0"):
        result = "+33" + digits[1:]
    else:
        return ""
    return result if PHONE_PATTERN.fullmatch(result) else ""


# --- checking a site's open-data fields (site admin form) -----------------------------------------

def apply_open_data(site: Site, data: dict, c) -> None:
    """Read and check the open-data fields of the site form into ``site`` (errors go to the Checker ``c``)."""
    raw = data.get("pivot")
    pivot = re.sub(r"[\s.]", "", raw if isinstance(raw, str) else "").upper()  # "213 700 727 00042" is fine
    if pivot and not pivot_ok(pivot):
        c.add("pivot", "Le SIRET doit avoir 14 chiffres valides (clé de contrôle), ou le RNA la forme W123456789.")
    insee = c.text("insee_code", "Le code INSEE", max_len=5) or ""
    if insee and not INSEE_PATTERN.fullmatch(insee.upper()):
        c.add("insee_code", "Le code INSEE de la commune a 5 caractères (ex. 37072 pour Chinon).")
    coords = {}
    for name, label, low, high in (("latitude", "La latitude", -90, 90), ("longitude", "La longitude", -180, 180)):
        raw = str(data.get(name) if data.get(name) is not None else "").strip().replace(",", ".")
        if not raw:
            coords[name] = None
            continue
        try:
            value = float(raw)
            if not low <= value <= high:
                raise ValueError
            coords[name] = round(value, 6)
        except ValueError:
            c.add(name, f"{label} est un nombre décimal entre {low} et {high} (ex. 47.1667).")
    if (coords.get("latitude") is None) != (coords.get("longitude") is None) and not c.errors.get("latitude") \
            and not c.errors.get("longitude"):
        c.add("latitude", "Donnez la latitude et la longitude, ou aucune des deux.")
    website = c.text("website", "Le site web", max_len=300, pattern=r"https?://[^\s;]+",
                     pattern_hint="adresse commençant par https://") or ""
    summary = c.text("public_summary", "La présentation", max_len=280) or ""
    services = data.get("services") or []
    if isinstance(services, str):
        services = [s for s in services.split(";") if s]
    if not isinstance(services, list) or any(s not in OPEN_DATA_SERVICES for s in services):
        c.add("services", "Services : choisissez dans la liste du schéma national.")
        services = []
    itinerant = c.boolean("itinerant", "Lieu itinérant", default=False)
    if c.errors:
        return
    site.pivot = pivot
    site.insee_code = insee.upper()
    site.latitude, site.longitude = coords.get("latitude"), coords.get("longitude")
    site.website = website
    site.public_summary = summary
    site.services = [s for s in OPEN_DATA_SERVICES if s in services]
    site.itinerant = bool(itinerant)


# --- the export ----------------------------------------------------------------------------------

def default_services(site: Site) -> list[str]:
    """What every place of a refurbishment-and-loans network offers, when the site lists nothing itself."""
    services = ["Accès internet et matériel informatique"]
    if site.kind in ("atelier", "unite_mobile", "epn"):
        services.append("Acquisition de matériel informatique à prix solidaire")
    if site.kind == "france_services":
        services.insert(0, "Aide aux démarches administratives")
    return services


def exportable(site: Site) -> bool:
    """A place goes to the open data when its required fields can be filled validly."""
    return bool(site.active and pivot_ok(site.pivot) and site.address and POSTAL_PATTERN.fullmatch(site.postal_code or "")
                and site.city)


def lieu(site: Site, *, network: str, base_url: str = "") -> dict:
    services = site.services or default_services(site)
    updated = site.updated_at or site.created_at
    row = dict.fromkeys(FIELDS, "")
    row.update({
        "id": f"refurb-{site.code.lower()}",
        "pivot": site.pivot,
        "nom": site.name,
        "commune": site.city,
        "code_postal": site.postal_code,
        "code_insee": site.insee_code or "",
        "adresse": site.address,
        "latitude": site.latitude if site.latitude is not None else "",
        "longitude": site.longitude if site.longitude is not None else "",
        "typologie": TYPOLOGIES.get(site.kind, ""),
        "telephone": international_phone(site.phone),
        "courriels": site.email or "",
        "site_web": site.website or "",
        "horaires": site.opening_hours if site.opening_hours and _looks_like_osm(site.opening_hours) else "",
        "presentation_resume": (site.public_summary or "")[:280],
        "source": network,
        "itinerance": "Itinérant" if site.itinerant or site.kind == "unite_mobile" else "Fixe",
        "structure_parente": network,
        "date_maj": local(updated).date().isoformat(),  # the day in France, not in UTC
        "services": ";".join(s for s in OPEN_DATA_SERVICES if s in services),
        "dispositif_programmes_nationaux": PROGRAMMES.get(site.kind, ""),
    })
    return row


_OSM_HINT = re.compile(r"^(Mo|Tu|We|Th|Fr|Sa|Su|PH|24/7)")


def _looks_like_osm(hours: str) -> bool:
    return bool(_OSM_HINT.match(hours.strip()))


def lieux(db, *, network: str) -> list[dict]:
    from sqlalchemy import select

    sites = db.scalars(select(Site).where(Site.active.is_(True)).order_by(Site.code))
    return [lieu(s, network=network) for s in sites if exportable(s)]


def to_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue().encode("utf-8")


def to_json(rows: list[dict]) -> list[dict]:
    """JSON: empty optional fields are left out; latitude/longitude are numbers."""
    return [{k: v for k, v in row.items() if v not in ("", None)} for row in rows]


def problems(row: dict) -> list[str]:
    """The schema's rules a row breaks (empty list: valid). Used by the tests and the site admin screen."""
    found = []
    for name in REQUIRED:
        if row.get(name) in (None, ""):
            found.append(f"{name} manquant")
    if row.get("pivot") and not pivot_ok(str(row["pivot"])):
        found.append("pivot : ni SIRET valide ni RNA")
    if row.get("code_postal") and not POSTAL_PATTERN.fullmatch(str(row["code_postal"])):
        found.append("code_postal : 5 chiffres attendus")
    if row.get("code_insee") and not INSEE_PATTERN.fullmatch(str(row["code_insee"])):
        found.append("code_insee invalide")
    if row.get("date_maj") and not DATE_PATTERN.fullmatch(str(row["date_maj"])):
        found.append("date_maj : AAAA-MM-JJ attendu")
    if row.get("services") and not SERVICES_PATTERN.fullmatch(str(row["services"])):
        found.append("services : valeur hors liste")
    if row.get("itinerance") and not ITINERANCE_PATTERN.fullmatch(str(row["itinerance"])):
        found.append("itinerance : Itinérant ou Fixe")
    if row.get("telephone") and not PHONE_PATTERN.fullmatch(str(row["telephone"])):
        found.append("telephone : format +33XXXXXXXXX")
    if len(str(row.get("presentation_resume") or "")) > 280:
        found.append("presentation_resume : 280 caractères au plus")
    for name, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        value = row.get(name)
        if value not in (None, ""):
            try:
                if not low <= float(value) <= high:
                    raise ValueError
            except (TypeError, ValueError):
                found.append(f"{name} : nombre attendu")
    return found
