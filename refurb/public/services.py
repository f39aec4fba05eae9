"""Public information: the places, what they lend right now, the bus's next stops, the open data;
managers keep the bus's tour. The one door of the public pages."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts.roles import NETWORK_ROLES
from ..clock import today, utcnow
from ..db import use_case
from ..errors import Forbidden, NotFound
from ..inventory.categories import CATEGORIES, CATEGORIES_PLURAL
from ..inventory.models import Device
from ..settings import get_setting
from ..sites import services as sites_door
from ..sites.hours import opening_hours_fr
from ..sites.models import OPEN_DATA_SERVICES, Site
from ..validation import Checker
from .models import BusStop

__all__ = [
    "Place", "public_places", "upcoming_stops", "loan_pool_counts", "open_data_json", "open_data_csv",
    "mobile_sites", "list_stops", "get_stop", "create_stop", "update_stop", "delete_stop",
]

STOPS_AHEAD_DAYS = 90
TIME_PATTERN = r"([01]\d|2[0-3]):[0-5]\d"


@dataclass
class Place:
    site: Site
    services: list[str]
    available: list[tuple[str, int]]  # (category plural label, devices in the loan pool now)
    stops: list[BusStop] = field(default_factory=list)

    @property
    def hours(self) -> list[str]:
        return opening_hours_fr(self.site.opening_hours)

    @property
    def available_total(self) -> int:
        return sum(n for _label, n in self.available)


def loan_pool_counts(db: Session) -> dict[int, dict[str, int]]:
    """Devices in the loan pool right now, per site and category (counts only: no tag, no person)."""
    counts: dict[int, dict[str, int]] = {}
    rows = db.execute(select(Device.site_id, Device.category, func.count()).where(Device.state == "loan_pool")
                      .group_by(Device.site_id, Device.category))
    for site_id, category, n in rows:
        counts.setdefault(site_id, {})[category] = n
    return counts


def upcoming_stops(db: Session, *, site: Site | None = None, limit: int = 12) -> list[BusStop]:
    start = today()
    stmt = (select(BusStop).where(BusStop.day >= start, BusStop.day <= start + timedelta(days=STOPS_AHEAD_DAYS))
            .order_by(BusStop.day, BusStop.start_time, BusStop.id).limit(limit))
    if site is not None:
        stmt = stmt.where(BusStop.site_id == site.id)
    return list(db.scalars(stmt))


def public_places(db: Session) -> list[Place]:
    sites = list(db.scalars(select(Site).where(Site.active.is_(True)).order_by(Site.name)))
    counts = loan_pool_counts(db)
    stops = upcoming_stops(db, limit=60)
    places = []
    order = list(CATEGORIES)
    for site in sites:
        mine = counts.get(site.id, {})
        available = [(CATEGORIES_PLURAL.get(c, c), mine[c]) for c in order if mine.get(c)]
        services = [s for s in OPEN_DATA_SERVICES if s in (site.services or sites_door.default_services(site))]
        places.append(Place(site, services, available, [s for s in stops if s.site_id == site.id][:8]))
    # mobile places first: their next stops are what people look for
    return sorted(places, key=lambda p: (not (p.site.itinerant or p.site.kind == "unite_mobile"), p.site.name))


def open_data_json(db: Session) -> bytes:
    """The places in the national "lieux de médiation numérique" schema, as a JSON list of rows whose keys
    follow the schema's order (validators read keyed rows by position)."""
    rows = sites_door.to_json(sites_door.lieux(db, network=get_setting(db, "network_name")))
    return json.dumps(rows, ensure_ascii=False).encode("utf-8")


def open_data_csv(db: Session) -> bytes:
    """The same places as the schema's CSV file."""
    return sites_door.to_csv(sites_door.lieux(db, network=get_setting(db, "network_name")))


# --- the bus's tour (managers) -------------------------------------------------------------------

def _require_manager(actor) -> None:
    if actor.role not in NETWORK_ROLES:
        raise Forbidden("Le calendrier du bus numérique est tenu par les gestionnaires.")


def mobile_sites(db: Session) -> list[Site]:
    return list(db.scalars(select(Site).where(Site.active.is_(True))
                           .where((Site.kind == "unite_mobile") | Site.itinerant.is_(True)).order_by(Site.name)))


def list_stops(db: Session, actor, *, include_past: bool = False) -> list[BusStop]:
    _require_manager(actor)
    stmt = select(BusStop).order_by(BusStop.day, BusStop.start_time, BusStop.id)
    if not include_past:
        stmt = stmt.where(BusStop.day >= today())
    return list(db.scalars(stmt.limit(500)))


def get_stop(db: Session, actor, stop_id: int) -> BusStop:
    _require_manager(actor)
    stop = db.get(BusStop, stop_id)
    if stop is None:
        raise NotFound(f"Aucun arrêt n° {stop_id} dans le calendrier du bus.")
    return stop


def _apply_stop(db: Session, stop: BusStop, data: dict) -> None:
    c = Checker(data)
    site_code = c.text("site", "Le véhicule", max_len=32, required=True)
    day = c.day("day", "La date", required=True)
    start = c.text("start_time", "L'heure d'arrivée", max_len=5, required=True, pattern=TIME_PATTERN,
                   pattern_hint="HH:MM, ex. 09:30")
    end = c.text("end_time", "L'heure de départ", max_len=5, pattern=TIME_PATTERN, pattern_hint="HH:MM, ex. 12:00")
    commune = c.text("commune", "La commune", max_len=80, required=True)
    place = c.text("place", "Le lieu", max_len=160, required=True)
    postal = c.text("postal_code", "Le code postal", max_len=5, pattern=r"\d{5}", pattern_hint="5 chiffres") or ""
    note = c.text("note", "La note", max_len=200) or ""
    if start and end and end <= start:
        c.add("end_time", "L'heure de départ doit être après l'heure d'arrivée.")
    if day and stop.id is None and day < today():
        c.add("day", "Cette date est passée : le calendrier annonce les prochains arrêts.")
    if day and day > today() + timedelta(days=730):
        c.add("day", "Date trop lointaine (deux ans au plus).")
    site = None
    if site_code:
        site = next((s for s in mobile_sites(db) if s.code == site_code.strip().upper()), None)
        if site is None:
            c.add("site", "Choisissez un lieu itinérant actif (le bus numérique).")
    c.done()
    stop.site_id, stop.site = site.id, site
    stop.day, stop.start_time, stop.end_time = day, start, end
    stop.commune, stop.place, stop.postal_code, stop.note = commune, place, postal, note
    stop.updated_at = utcnow()


@use_case
def create_stop(db: Session, actor, data: dict) -> BusStop:
    _require_manager(actor)
    stop = BusStop()
    _apply_stop(db, stop, data)
    db.add(stop)
    db.flush()
    return stop


@use_case
def update_stop(db: Session, actor, stop: BusStop, data: dict) -> BusStop:
    _require_manager(actor)
    _apply_stop(db, stop, data)
    db.flush()
    return stop


@use_case
def delete_stop(db: Session, actor, stop: BusStop) -> None:
    _require_manager(actor)
    db.delete(stop)
    db.flush()

