"""Open data: the network's places in the national "lieux de médiation numérique" schema
(LaMednum / ANCT, schema.data.gouv.fr, Table Schema "standard-mediation-num").

The rules come from the official schema file, vendored unchanged in ``schemas/`` with its version
(``SCHEMA_VERSION``): required fields, patterns, maximum lengths, numbers and dates are read from it, so
the app's checker (``problems``) and ``frictionless validate --schema`` agree. List fields are joined
with ``|`` (the schema's patterns). Optional fields filled when known: code_insee, latitude, longitude
(WGS84), telephone (+33…, no spaces), courriels, site_web, horaires (OpenStreetMap opening_hours),
presentation_resume, source, itinerance, structure_parente, dispositif_programmes_nationaux.

The CSV is UTF-8, comma-separated, with the schema's column names in its order; the JSON is the same
table as a list of objects (list values joined with "|", as in the CSV; empty fields null;
latitude/longitude numbers): each JSON row goes through the same field rules.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from functools import cache
from importlib.resources import files

from ..clock import local
from ..tabular import neutralise
from .models import OPEN_DATA_SERVICES, Site

SCHEMA_FILE = "standard-mediation-num-v1.0.2.json"
LIST_SEPARATOR = "|"


@cache
def schema() -> dict:
    """The official Table Schema (a dict), read from the package."""
    return json.loads((files(__package__) / "schemas" / SCHEMA_FILE).read_text(encoding="utf-8"))


SCHEMA_VERSION = schema()["version"]
FIELDS = tuple(f["name"] for f in schema()["fields"])
# The schema's required fields, and services: a place with no service listed says nothing to anyone.
REQUIRED = tuple(f["name"] for f in schema()["fields"] if f.get("constraints", {}).get("required")) + ("services",)

# Schema value lists (only those we fill).
TYPOLOGIES = {"epn": "EPN", "france_services": "RFS", "mediatheque": "BIB", "centre_social": "CS"}
PROGRAMMES = {"france_services": "France Services"}
INSEE_PATTERN = re.compile(r"^([013-9]\d|2[AB1-9])\d{3}$")
POSTAL_PATTERN = re.compile(r"^\d{5}$")
RNA_PATTERN = re.compile(r"^W\d{9}$")


def _pattern(name: str) -> re.Pattern:
    return next(re.compile(f["constraints"]["pattern"]) for f in schema()["fields"] if f["name"] == name)


PHONE_PATTERN = _pattern("telephone")


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
        services = [s for s in services.split(LIST_SEPARATOR) if s]
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
        "services": LIST_SEPARATOR.join(s for s in OPEN_DATA_SERVICES if s in services),
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


@cache
def _free_text() -> frozenset[str]:
    """The schema's text fields without a pattern (names, addresses, presentations…): what a person typed."""
    return frozenset(name for name, rules, kind in _rules() if kind == "string" and "pattern" not in rules)


def to_csv(rows: list[dict]) -> bytes:
    """The schema's CSV, not ``tabular.to_csv``: no BOM, dots in numbers, ``|`` lists, as the schema says. Its
    free text is made inert like every other export's (a site named ``=HYPERLINK(…)`` stays text in a
    spreadsheet); the fields with a pattern (a phone ``+33…``, a postcode) are written as they are."""
    free = _free_text()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else neutralise(v) if k in free and isinstance(v, str) else v
                         for k, v in row.items()})
    return out.getvalue().encode("utf-8")


def to_json(rows: list[dict]) -> list[dict]:
    """JSON: every field of the schema in its order, empty optional fields as null; latitude/longitude numbers."""
    return [{k: (None if row.get(k) in ("", None) else row[k]) for k in FIELDS} for row in rows]


def _rules() -> list[tuple[str, dict, str]]:
    return [(f["name"], f.get("constraints", {}), f.get("type", "string")) for f in schema()["fields"]]


def problems(row: dict) -> list[str]:
    """The schema's rules a row (CSV or JSON) breaks, read from the schema file; an empty list: valid.

    Used by the site list (what the open data says about each place) and the tests."""
    found = [f"{name} manquant" for name in REQUIRED if name not in FIELDS or row.get(name) in (None, "")]
    found += [f"{name} : colonne hors schéma {SCHEMA_VERSION}" for name in row if name not in FIELDS]
    for name, rules, kind in _rules():
        value = row.get(name)
        if value in (None, ""):
            continue
        text = str(value)
        if kind == "number":
            try:
                float(text)
            except ValueError:
                found.append(f"{name} : nombre attendu")
        elif kind == "date":
            try:
                date.fromisoformat(text)
            except ValueError:
                found.append(f"{name} : date AAAA-MM-JJ attendue")
        if "pattern" in rules and not re.fullmatch(rules["pattern"], text):
            found.append(f"{name} : « {text[:60]} » ne suit pas le schéma (valeurs de la liste, séparées par « | »)"
                         if "(?:^|\\|)" in rules["pattern"] else f"{name} : format invalide « {text[:60]} »")
        if "maxLength" in rules and len(text) > rules["maxLength"]:
            found.append(f"{name} : {rules['maxLength']} caractères au plus")
    if row.get("pivot") and not pivot_ok(str(row["pivot"])):
        found.append("pivot : ni SIRET valide ni RNA")  # stricter than the schema's pattern: a checked SIRET
    return found


def open_data_status(db, *, network: str) -> dict[int, list[str]]:
    """For the site list: per active site, why it is not published, or the schema's rules its row breaks
    (an empty list: published and valid)."""
    from sqlalchemy import select

    status: dict[int, list[str]] = {}
    for site in db.scalars(select(Site).where(Site.active.is_(True))):
        if not exportable(site):
            status[site.id] = ["non publié : SIRET/RNA, adresse, code postal et commune nécessaires"]
        else:
            status[site.id] = problems(to_json([lieu(site, network=network)])[0])
    return status
