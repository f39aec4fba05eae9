"""Inventories: what a site (or the network) holds, today or at the end of a past day.

A past inventory is rebuilt from the append-only device history (``device_events``): for each device,
its state is the ``to_state`` of its last state-changing event up to that moment, its site the
``site_id`` of its last event (``record_event`` stores the device's site *after* the change: a transfer's
event carries the destination, also in ``data.to_site``), its grade the ``data.grade`` of its last "grading"
event. Devices created later have no event yet and are left out. Today's inventory reads the devices table
itself (the same thing, faster).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..accounts.roles import NETWORK_ROLES
from ..accounts.scope import require_site
from ..clock import end_of_day_utc, today, utcnow
from ..errors import Forbidden, Invalid
from ..formatting import date_fr
from ..inventory import workflow
from ..inventory.categories import CATEGORIES, CATEGORIES_PLURAL
from ..inventory.models import Device, DeviceEvent
from ..settings import get_setting
from ..sites.models import Site
from ..sites.services import get_site

# What an inventory lists: every device the site is answerable for — on the shelves, or out on loan.
INVENTORY_STATES = tuple(s for s in workflow.STATES if s in workflow.IN_STOCK_STATES or s == "on_loan")


@dataclass(frozen=True)
class InventoryLine:
    asset_tag: str
    category: str
    state: str
    brand: str
    model: str
    serial_number: str
    grade: str
    site_code: str
    site_name: str

    @property
    def title(self) -> str:
        return " ".join(p for p in (self.brand, self.model) if p)


@dataclass
class InventoryGroup:
    category: str
    state: str
    lines: list[InventoryLine] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{CATEGORIES_PLURAL.get(self.category, self.category)} · {workflow.STATES.get(self.state, self.state)}"


@dataclass
class Inventory:
    network: str
    site: Site | None  # None: the whole network
    at: date
    from_history: bool
    printed_at: datetime
    printed_by: str
    lines: list[InventoryLine]

    @property
    def scope_label(self) -> str:
        return self.site.name if self.site else "Tout le réseau"

    @property
    def date_label(self) -> str:
        suffix = " (reconstitué depuis l'historique)" if self.from_history else " (état actuel)"
        return f"Au {date_fr(self.at)}{suffix}"

    def groups(self) -> list[InventoryGroup]:
        """Lines grouped by category then state, in the usual orders; tags sorted inside a group."""
        cat_order = {c: i for i, c in enumerate(CATEGORIES)}
        state_order = {s: i for i, s in enumerate(workflow.STATES)}
        groups: dict[tuple[str, str], InventoryGroup] = {}
        for line in self.lines:
            key = (line.category, line.state)
            if key not in groups:
                groups[key] = InventoryGroup(*key)
            groups[key].lines.append(line)
        ordered = sorted(groups.values(), key=lambda g: (cat_order.get(g.category, 99), state_order.get(g.state, 99)))
        for g in ordered:
            g.lines.sort(key=lambda line: (line.site_code, line.asset_tag) if self.site is None else line.asset_tag)
        return ordered

    def counts(self) -> list[tuple[str, str, int]]:
        return [(g.category, g.state, len(g.lines)) for g in self.groups()]

    @property
    def total(self) -> int:
        return len(self.lines)

    def filename(self, ext: str) -> str:
        return f"inventaire-{self.site.code if self.site else 'reseau'}-{self.at.isoformat()}.{ext}"


def parse_inventory_date(raw) -> date | None:
    """``at`` from a query string: empty → today; a future day → 422 in French."""
    if raw in (None, ""):
        return None
    try:
        day = raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip())
    except ValueError:
        raise Invalid(fields={"at": "La date de l'inventaire doit être au format AAAA-MM-JJ (ex. 2026-12-31)."})
    if day > today():
        raise Invalid(fields={"at": f"Le {date_fr(day)} est dans le futur : un inventaire se fait à aujourd'hui "
                                    "ou à une date passée."})
    if day < date(2000, 1, 1):
        raise Invalid(fields={"at": "Date trop ancienne : choisissez une date après le 01/01/2000."})
    return day


def resolve_scope(db: Session, actor, site_code: str | None) -> Site | None:
    """The site asked for (checked against the user's sites), or None for the network (managers only)."""
    if site_code:
        site = get_site(db, site_code)
        require_site(actor, site.id, f"l'inventaire du site « {site.name} »")
        return site
    if actor.role not in NETWORK_ROLES:
        raise Forbidden("L'inventaire de tout le réseau est réservé aux gestionnaires. "
                        "Choisissez l'un de vos sites.")
    return None


def _current_rows(db: Session, site: Site | None):
    stmt = (select(Device.asset_tag, Device.category, Device.state, Device.brand, Device.model,
                   Device.serial_number, Device.grade, Site.code, Site.name)
            .join(Site, Site.id == Device.site_id)
            .where(Device.state.in_(INVENTORY_STATES)))
    if site is not None:
        stmt = stmt.where(Device.site_id == site.id)
    return db.execute(stmt)


def _history_rows(db: Session, site: Site | None, until: datetime):
    """(tag, category, state, brand, model, serial, grade, site code, site name) as of ``until``."""
    order = (DeviceEvent.at.desc(), DeviceEvent.id.desc())
    last_any = (select(DeviceEvent.device_id, DeviceEvent.site_id, DeviceEvent.action, DeviceEvent.data,
                       func.row_number().over(partition_by=DeviceEvent.device_id, order_by=order).label("rn"))
                .where(DeviceEvent.at < until).subquery("last_any"))
    last_state = (select(DeviceEvent.device_id, DeviceEvent.to_state,
                         func.row_number().over(partition_by=DeviceEvent.device_id, order_by=order).label("rn"))
                  .where(DeviceEvent.at < until, DeviceEvent.to_state.is_not(None)).subquery("last_state"))
    stmt = (select(Device.id, Device.asset_tag, Device.category, last_state.c.to_state, Device.brand, Device.model,
                   Device.serial_number, Device.grade, last_any.c.site_id, last_any.c.action, last_any.c.data)
            .join(last_any, and_(last_any.c.device_id == Device.id, last_any.c.rn == 1))
            .join(last_state, and_(last_state.c.device_id == Device.id, last_state.c.rn == 1))
            .where(last_state.c.to_state.in_(INVENTORY_STATES)))
    sites = {s.id: s for s in db.scalars(select(Site))}
    by_code = {s.code: s for s in sites.values()}
    grades = _grades_at(db, until)
    for device_id, tag, category, state, brand, model, serial, grade, site_id, action, data in db.execute(stmt):
        where = sites.get(site_id)
        if action == "transfer" and isinstance(data, dict) and data.get("to_site") in by_code:
            where = by_code[data["to_site"]]
        if where is None or (site is not None and where.id != site.id):
            continue
        yield tag, category, state, brand, model, serial, grades.get(device_id, grade), where.code, where.name


def _grades_at(db: Session, until: datetime) -> dict[int, str]:
    """The grade each graded device had at ``until`` ("" if graded only later), from its "grading" events
    (``data.grade``); devices never graded through an event keep their current grade."""
    order = (DeviceEvent.at.desc(), DeviceEvent.id.desc())
    ranked = (select(DeviceEvent.device_id, DeviceEvent.data, DeviceEvent.at,
                     func.row_number().over(partition_by=DeviceEvent.device_id, order_by=order).label("rn"))
              .where(DeviceEvent.action == "grading", DeviceEvent.at < until).subquery("graded"))
    grades: dict[int, str] = {}
    for device_id, data in db.execute(select(ranked.c.device_id, ranked.c.data).where(ranked.c.rn == 1)):
        grades[device_id] = str((data or {}).get("grade") or "") if isinstance(data, dict) else ""
    later = select(DeviceEvent.device_id).where(DeviceEvent.action == "grading", DeviceEvent.at >= until).distinct()
    for (device_id,) in db.execute(later):
        grades.setdefault(device_id, "")
    return grades


def build_inventory(db: Session, actor, site_code: str | None, at=None) -> Inventory:
    """The inventory of a site (or of the network when ``site_code`` is empty) at the end of ``at``."""
    day = parse_inventory_date(at)
    site = resolve_scope(db, actor, site_code)
    now_day = today()
    from_history = day is not None and day < now_day
    rows = _history_rows(db, site, end_of_day_utc(day)) if from_history else _current_rows(db, site)
    lines = [InventoryLine(tag, category, state, brand or "", model or "", serial or "", grade or "",
                           code, name)
             for tag, category, state, brand, model, serial, grade, code, name in rows]
    return Inventory(network=get_setting(db, "network_name"), site=site, at=day or now_day,
                     from_history=from_history, printed_at=utcnow(),
                     printed_by=getattr(actor, "display_name", "") or getattr(actor, "username", ""), lines=lines)


def count_inventory(db: Session, actor, site_code: str | None) -> int:
    """How many lines today's inventory would have (to decide: render now, or in the background)."""
    site = resolve_scope(db, actor, site_code)
    stmt = select(func.count()).select_from(Device).where(Device.state.in_(INVENTORY_STATES))
    if site is not None:
        stmt = stmt.where(Device.site_id == site.id)
    return db.scalar(stmt) or 0


# --- output --------------------------------------------------------------------------------------

INVENTORY_COLUMNS = [
    ("site", "Site"), ("category", "Catégorie"), ("state", "État"), ("asset_tag", "Étiquette"),
    ("brand", "Marque"), ("model", "Modèle"), ("serial_number", "N° de série"), ("grade", "Grade"),
]


def inventory_table(inv: Inventory) -> tuple[list[tuple[str, str]], list[list]]:
    """Columns and rows for CSV/XLSX (one line per device, grouped as in the PDF)."""
    rows = []
    for g in inv.groups():
        for line in g.lines:
            rows.append([line.site_code, CATEGORIES.get(line.category, line.category),
                         workflow.STATES.get(line.state, line.state), line.asset_tag, line.brand, line.model,
                         line.serial_number, line.grade])
    return INVENTORY_COLUMNS, rows


def render_inventory_pdf(inv: Inventory, progress=None) -> bytes:
    from ..formatting import datetime_fr, number_fr, plural
    from ..pdf.layout import Column, Document

    doc = Document(network=inv.network, title="Inventaire", subtitle=inv.scope_label,
                   meta=[inv.date_label, f"Imprimé le {datetime_fr(inv.printed_at)}", f"par {inv.printed_by}"])
    groups = inv.groups()
    doc.heading("Récapitulatif")
    summary = [(CATEGORIES_PLURAL.get(g.category, g.category), workflow.STATES.get(g.state, g.state),
                number_fr(len(g.lines))) for g in groups]
    doc.table([Column("Catégorie", 3), Column("État", 3), Column("Nombre", 1.2, "right")], summary,
              totals=("Total général", "", plural(inv.total, "appareil")),
              size=9)
    if not groups:
        doc.paragraph("Aucun appareil à inventorier à cette date.", muted=True)
    network = inv.site is None
    columns = [Column("Étiquette", 1.25), Column("Marque et modèle", 3.2), Column("N° de série", 2.3),
               Column("Grade", 0.7, "center")] + ([Column("Site", 1.6)] if network else [])
    if groups:
        doc.heading("Détail par catégorie et état")
    for g in groups:
        n = len(g.lines)
        rows = [(line.asset_tag, line.title, line.serial_number, line.grade)
                + ((line.site_code,) if network else ()) for line in g.lines]
        totals = (f"Total {g.label}", "", "", f"{number_fr(n)}") + (("",) if network else ())
        doc.table(columns, rows, title=f"{g.label} — {plural(n, 'appareil')}", totals=totals)
    doc.spacer()
    doc.paragraph(f"Total général : {plural(inv.total, 'appareil')} "
                  f"({inv.scope_label}, {inv.date_label[0].lower() + inv.date_label[1:]}).", bold=True)
    doc.spacer()
    doc.signature_block(["Le responsable du site" if inv.site else "Le responsable du réseau", "Le gestionnaire"],
                        place_line=f"Inventaire certifié exact, le {date_fr(inv.printed_at)}.")
    return doc.render(progress)
