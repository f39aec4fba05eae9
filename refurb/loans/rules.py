"""Loan rules per site: loan length and deposit per category, limits per kind of borrower,
returns from other sites, reservation no-show delay, kiosk settings.

A site without its own rules uses the defaults below; partners and staff (conseillers
numériques) get longer loans and more devices than residents.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Integer, String, and_, bindparam, cast, select
from sqlalchemy.orm import Session

from ..accounts.roles import NETWORK_ROLES
from ..db import plain_rows, use_case
from ..errors import Forbidden
from ..inventory.categories import CATEGORIES
from ..settings import DEFAULTS as SETTING_DEFAULTS
from ..settings import get_setting, set_setting
from ..sites.models import Site
from ..validation import Checker
from .models import BORROWER_KINDS, LoanCategoryRules, LoanKindRules, LoanSiteRules

# kind → (max devices at once, max renewals, longest loan in days)
KIND_DEFAULTS = {
    "resident": (2, 1, 42),
    "partner": (15, 3, 120),
    "staff": (20, 3, 120),
}
# kind → category → (loan days, suggested deposit in euros); "*" for the other categories
CATEGORY_DEFAULTS = {
    "resident": {"laptop": (21, "50"), "tablet": (21, "30"), "smartphone": (14, "30"), "router": (14, "20"),
                 "*": (14, "0")},
    "partner": {"*": (30, "0")},
    "staff": {"*": (60, "0")},
}
SITE_DEFAULTS = {"accept_other_site_returns": True, "no_show_days": 2, "kiosk_ip_ranges": "",
                 "kiosk_idle_seconds": 60, "kiosk_return_place": ""}
# What the kiosk says after a return when the site has not said where returned devices go.
KIOSK_RETURN_PLACE_DEFAULT = "à l'accueil"

RETENTION_SETTING = "borrower_retention_days"


@dataclass(frozen=True)
class Rules:
    loan_days: int
    deposit: Decimal
    max_devices: int
    max_renewals: int
    max_days: int

    def due_on(self, start: date) -> date:
        return start + timedelta(days=self.loan_days)

    def latest_due(self, start: date) -> date:
        return start + timedelta(days=self.max_days)


@dataclass(frozen=True)
class SiteRules:
    accept_other_site_returns: bool
    no_show_days: int
    kiosk_ip_ranges: str
    kiosk_idle_seconds: int
    kiosk_return_place: str

    @property
    def return_place(self) -> str:
        """Where the kiosk tells a resident to put a returned device."""
        return self.kiosk_return_place or KIOSK_RETURN_PLACE_DEFAULT

    def ip_allowed(self, ip: str) -> bool:
        networks = parse_ip_ranges(self.kiosk_ip_ranges)
        if not networks:
            return True
        try:
            address = ipaddress.ip_address((ip or "").strip())
        except ValueError:
            return False
        return any(address in net for net in networks)


def parse_ip_ranges(raw: str) -> list:
    networks = []
    for part in (raw or "").replace(";", ",").replace("\n", ",").split(","):
        part = part.strip()
        if part:
            networks.append(ipaddress.ip_network(part, strict=False))
    return networks


def _category_default(kind: str, category: str) -> tuple[int, Decimal]:
    table = CATEGORY_DEFAULTS[kind]
    days, deposit = table.get(category, table["*"])
    return days, Decimal(deposit)


def rules_for(db: Session, site_id: int, kind: str, category: str) -> Rules:
    return rules_by_category(db, site_id, kind)(category)


# Built once: every scan at the desk asks it. One round trip for both tables: the site's limits for the kind of
# borrower (or NULLs: the defaults) on every row, beside each category's own rule (or one row of NULLs).
_ASKED = select(cast(bindparam("site_id"), Integer).label("site_id"),
                cast(bindparam("kind"), String).label("kind")).subquery()
_RULES = (select(LoanCategoryRules.category, LoanCategoryRules.loan_days, LoanCategoryRules.deposit,
                 LoanKindRules.max_devices, LoanKindRules.max_renewals, LoanKindRules.max_days)
          .select_from(_ASKED)
          .outerjoin(LoanKindRules, and_(LoanKindRules.site_id == _ASKED.c.site_id,
                                         LoanKindRules.borrower_kind == _ASKED.c.kind))
          .outerjoin(LoanCategoryRules, and_(LoanCategoryRules.site_id == _ASKED.c.site_id,
                                             LoanCategoryRules.borrower_kind == _ASKED.c.kind)))


def rules_by_category(db: Session, site_id: int, kind: str):
    """The rules of a site for a kind of borrower, every category read at once (the desk's basket holds
    several): a function category → ``Rules``."""
    found = plain_rows(db, _RULES, {"site_id": site_id, "kind": kind})
    first = found[0]  # the outer joins give one row at least
    max_devices, max_renewals, max_days = (
        (first.max_devices, first.max_renewals, first.max_days) if first.max_devices is not None
        else KIND_DEFAULTS[kind])
    rows = {row.category: row for row in found if row.category is not None}

    def rules(category: str) -> Rules:
        cat_row = rows.get(category)
        loan_days, deposit = (cat_row.loan_days, cat_row.deposit) if cat_row else _category_default(kind, category)
        return Rules(loan_days=min(loan_days, max_days), deposit=Decimal(deposit), max_devices=max_devices,
                     max_renewals=max_renewals, max_days=max_days)
    return rules


def kind_limits(db: Session, site_id: int, kind: str) -> tuple[int, int, int]:
    row = db.get(LoanKindRules, (site_id, kind))
    return (row.max_devices, row.max_renewals, row.max_days) if row else KIND_DEFAULTS[kind]


def site_rules(db: Session, site_id: int) -> SiteRules:
    row = db.get(LoanSiteRules, site_id)
    if row is None:
        return SiteRules(**SITE_DEFAULTS)
    return SiteRules(accept_other_site_returns=row.accept_other_site_returns, no_show_days=row.no_show_days,
                     kiosk_ip_ranges=row.kiosk_ip_ranges, kiosk_idle_seconds=row.kiosk_idle_seconds,
                     kiosk_return_place=row.kiosk_return_place or "")


def retention_days(db: Session) -> int:
    try:
        return max(1, int(get_setting(db, RETENTION_SETTING)))
    except (TypeError, ValueError):
        return int(SETTING_DEFAULTS[RETENTION_SETTING])


# --- the rules page ---------------------------------------------------------------------------

def rules_table(db: Session, site: Site) -> dict:
    """Everything the rules page shows for one site (stored values or defaults)."""
    kinds = {}
    for kind in BORROWER_KINDS:
        max_devices, max_renewals, max_days = kind_limits(db, site.id, kind)
        categories = {}
        for category in CATEGORIES:
            row = db.get(LoanCategoryRules, (site.id, kind, category))
            days, deposit = (row.loan_days, row.deposit) if row else _category_default(kind, category)
            categories[category] = {"loan_days": days, "deposit": Decimal(deposit)}
        kinds[kind] = {"max_devices": max_devices, "max_renewals": max_renewals, "max_days": max_days,
                       "categories": categories}
    return {"site": site_rules(db, site.id), "kinds": kinds}


@use_case
def update_rules(db: Session, actor, site: Site, data: dict) -> None:
    """Save a site's rules from the flat form fields (``<kind>.<field>``, ``<kind>.<category>.<field>``)."""
    if actor.role not in NETWORK_ROLES:
        raise Forbidden("Seuls les gestionnaires et les administrateurs modifient les règles de prêt.")
    c = Checker(data)
    accept = c.boolean("accept_other_site_returns", "Retours d'autres sites", default=False)
    no_show = c.integer("no_show_days", "Délai avant libération d'une réservation", min_value=0, max_value=60,
                        required=True)
    idle = c.integer("kiosk_idle_seconds", "Délai d'inactivité de la borne", min_value=15, max_value=600,
                     required=True)
    ranges = c.text("kiosk_ip_ranges", "Plages d'adresses IP des bornes", max_len=1000) or ""
    return_place = c.text("kiosk_return_place", "Où poser un appareil rendu à la borne", max_len=200) or ""
    try:
        parse_ip_ranges(ranges)
    except ValueError:
        c.add("kiosk_ip_ranges", "Plages d'adresses IP : notation attendue 192.168.1.0/24, séparées par des virgules.")
    values = {}
    for kind, kind_label in BORROWER_KINDS.items():
        max_devices = c.integer(f"{kind}.max_devices", f"{kind_label} : appareils à la fois", min_value=1,
                                max_value=200, required=True)
        max_renewals = c.integer(f"{kind}.max_renewals", f"{kind_label} : prolongations", min_value=0,
                                 max_value=20, required=True)
        max_days = c.integer(f"{kind}.max_days", f"{kind_label} : durée maximale (jours)", min_value=1,
                             max_value=365, required=True)
        cats = {}
        for category, cat_label in CATEGORIES.items():
            days = c.integer(f"{kind}.{category}.loan_days", f"{kind_label}, {cat_label} : durée (jours)",
                             min_value=1, max_value=365, required=True)
            deposit = c.money(f"{kind}.{category}.deposit", f"{kind_label}, {cat_label} : caution",
                              max_value=Decimal("5000"))
            if days and max_days and days > max_days:
                c.add(f"{kind}.{category}.loan_days",
                      f"{kind_label}, {cat_label} : la durée ({days} j) dépasse la durée maximale ({max_days} j).")
            cats[category] = (days, deposit or Decimal("0"))
        values[kind] = (max_devices, max_renewals, max_days, cats)
    c.done()
    row = db.get(LoanSiteRules, site.id) or LoanSiteRules(site_id=site.id)
    row.accept_other_site_returns = bool(accept)
    row.no_show_days = no_show
    row.kiosk_idle_seconds = idle
    row.kiosk_ip_ranges = ranges
    row.kiosk_return_place = return_place
    db.add(row)
    for kind, (max_devices, max_renewals, max_days, cats) in values.items():
        krow = db.get(LoanKindRules, (site.id, kind)) or LoanKindRules(site_id=site.id, borrower_kind=kind)
        krow.max_devices, krow.max_renewals, krow.max_days = max_devices, max_renewals, max_days
        db.add(krow)
        for category, (days, deposit) in cats.items():
            crow = db.get(LoanCategoryRules, (site.id, kind, category)) or \
                LoanCategoryRules(site_id=site.id, borrower_kind=kind, category=category)
            crow.loan_days, crow.deposit = days, deposit
            db.add(crow)
    db.flush()


@use_case
def set_retention_days(db: Session, actor, value) -> int:
    if actor.role != "admin":
        raise Forbidden("Seuls les administrateurs fixent la durée de conservation des données des usagers.")
    c = Checker({"retention": value})
    days = c.integer("retention", "La durée de conservation", min_value=30, max_value=3650, required=True)
    c.done()
    set_setting(db, RETENTION_SETTING, str(days))
    return days
