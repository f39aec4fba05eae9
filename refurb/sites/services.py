"""Site rules: codes, listing within the user's scope, create and edit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import use_case, utcnow
from ..errors import Conflict, NotFound
from ..settings import get_setting
from ..validation import Checker
from .hours import hours_problem
from .models import SITE_KINDS, Site
from .opendata import (  # noqa: F401 (the door)
    SCHEMA_VERSION,
    apply_open_data,
    default_services,
    lieux,
    to_csv,
    to_json,
)
from .opendata import open_data_status as _open_data_status


def open_data_status(db: Session) -> dict[int, list[str]]:
    """Per active site: why it is not published, or what the official schema finds wrong in its row."""
    return _open_data_status(db, network=get_setting(db, "network_name"))


CODE_PATTERN = r"[A-Z0-9][A-Z0-9-]{1,31}"


def all_sites(db: Session, *, active_only: bool = False) -> list[Site]:
    stmt = select(Site).order_by(Site.name)
    if active_only:
        stmt = stmt.where(Site.active.is_(True))
    return list(db.scalars(stmt))


def get_site(db: Session, code: str, *, active_only: bool = False) -> Site:
    code = (code or "").strip().upper()
    site = db.scalar(select(Site).where(Site.code == code)) if code else None
    if site is None:
        raise NotFound(f"Aucun site ne porte le code « {code[:40]} ».")
    if active_only and not site.active:
        raise Conflict(f"Le site « {site.name} » est désactivé.")
    return site


def _apply(site: Site, data: dict) -> None:
    c = Checker(data)
    site.name = c.text("name", "Le nom", max_len=120, required=True) or site.name
    site.kind = c.choice("kind", "Le type de lieu", SITE_KINDS) or site.kind
    site.address = c.text("address", "L'adresse", max_len=200) or ""
    site.postal_code = c.text("postal_code", "Le code postal", max_len=10, pattern=r"\d{5}",
                              pattern_hint="5 chiffres") or ""
    site.city = c.text("city", "La commune", max_len=80) or ""
    site.phone = c.text("phone", "Le téléphone", max_len=30, pattern=r"[0-9+ .()-]{6,30}",
                        pattern_hint="chiffres, espaces, + . -") or ""
    site.email = c.text("email", "Le courriel", max_len=120, pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+",
                        pattern_hint="nom@domaine.fr") or ""
    site.opening_hours = c.text("opening_hours", "Les horaires", max_len=500) or ""
    active = c.boolean("active", "Site actif", default=True)
    apply_open_data(site, data, c)
    problem = hours_problem(site.opening_hours)
    tour = site.itinerant or site.kind == "unite_mobile"  # no fixed hours: a sentence ("voir les arrêts")
    if problem and not tour:
        c.add("opening_hours", f"Horaires : {problem}")
    c.done()
    site.active = bool(active)
    site.updated_at = utcnow()


@use_case
def create_site(db: Session, data: dict) -> Site:
    c = Checker(data)
    code = c.text("code", "Le code", max_len=32, required=True)
    c.done()
    code = code.upper()
    checker = Checker({"code": code})
    checker.text("code", "Le code", max_len=32, pattern=CODE_PATTERN,
                 pattern_hint="majuscules, chiffres et tirets, ex. EPN-CHINON")
    checker.done()
    if db.scalar(select(Site.id).where(Site.code == code)):
        raise Conflict(f"Le code « {code} » est déjà utilisé par un autre site.", fields={"code": "Code déjà utilisé."})
    site = Site(code=code)
    _apply(site, data)
    db.add(site)
    db.flush()
    return site


@use_case
def update_site(db: Session, site: Site, data: dict) -> Site:
    _apply(site, data)
    db.flush()
    return site
