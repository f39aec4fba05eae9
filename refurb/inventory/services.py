"""The inventory's door: asset tags, device creation, lookups within the user's sites, the stale-page
check, the inventory's own moves (lost, found), lists, stock levels, transfers and labels.

Other areas, views and the API import this module (and ``models``, ``categories``, ``workflow``); it also
hands out the device page's registries (``Panel``, ``register_panel``, ``add_event_labels``) and
``record_event``. Only the areas that own a move import ``lifecycle`` (see ``workflow.OWNER``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import and_, bindparam, func, literal, or_, select, update
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, joinedload, lazyload, load_only

from ..accounts.models import User
from ..accounts.roles import NETWORK_ROLES
from ..accounts.scope import limit_to_user_sites, require_site, serves_site, site_ids
from ..clock import utcnow
from ..db import json_rows, lock_rows, not_searched, plain_rows, plain_value, use_case
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..settings import get_setting
from ..sites.models import Site
from ..sites.services import get_site
from ..validation import Checker, as_id
from . import lifecycle, workflow
from .categories import CATEGORIES, SPEC_FIELDS, WITH_STORAGE, categories_named
from .labels import DEFAULT_LAYOUT as DEFAULT_LABEL_LAYOUT
from .labels import LAYOUTS as LABEL_LAYOUTS
from .labels import MAX_LABELS, Label, LabelError, render_labels
from .lifecycle import record_event
from .models import Counter, Device, DeviceEvent, StockMinimum, StockTally, Transfer, TransferItem
from .panels import (
    DEVICE_PANELS,
    EVENT_LABELS,
    PageReads,
    Panel,
    add_event_labels,
    carried_of,
    carried_rows,
    panels_for,
    presence_of,
    register_panel,
)
from .transfer_slip import build_slip

__all__ = [  # what other areas, views and the API use (besides the functions defined here)
    "DEFAULT_LABEL_LAYOUT", "EVENT_LABELS", "LABEL_LAYOUTS", "MAX_LABELS", "Panel", "add_event_labels",
    "PageReads", "panels_for", "record_event", "register_panel",
]

TAG_PATTERN = re.compile(r"[A-Z]{1,6}-\d{6,}")
MAX_BATCH = 200
MAX_TRANSFER = 500


# --- asset tags ----------------------------------------------------------------------------

def next_asset_tag(db: Session) -> str:
    """A new tag such as RF-000123. The counter only grows, so a tag is never reused."""
    prefix = get_setting(db, "asset_tag_prefix")
    result = db.execute(update(Counter).where(Counter.name == "asset_tag")
                        .values(value=Counter.value + 1).returning(Counter.value))
    value = result.scalar()
    if value is None:
        db.add(Counter(name="asset_tag", value=1))
        db.flush()
        value = 1
    return f"{prefix}-{value:06d}"


def looks_like_tag(code: str) -> bool:
    return bool(TAG_PATTERN.fullmatch(code or ""))


# --- history -------------------------------------------------------------------------------

def _events_newest_first(stmt):
    """A device's events (``device_id`` bound), newest first: the order of its history everywhere."""
    return (stmt.where(DeviceEvent.device_id == bindparam("device_id"))
            .order_by(DeviceEvent.at.desc(), DeviceEvent.id.desc()))


# The history, plain rows (built once: every device page and the API's device ask it): ten events read as
# mapped objects with their authors and sites cost a device page about twice these rows. An event's own
# columns, its site's name and code, and its author's full name and username (None: the system).
_TIMELINE_COLUMNS = (DeviceEvent.id, DeviceEvent.at, DeviceEvent.user_id, DeviceEvent.action, DeviceEvent.from_state,
                     DeviceEvent.to_state, DeviceEvent.note, DeviceEvent.data, Site.name.label("site_name"),
                     Site.code.label("site_code"), User.full_name, User.username)
_TIMELINE = _events_newest_first(
    select(*_TIMELINE_COLUMNS)
    .join(Site, Site.id == DeviceEvent.site_id).outerjoin(User, User.id == DeviceEvent.user_id))


class HistoryRow(NamedTuple):
    """A row of the history as the device page reads it with the device (``device_page``): the columns of
    ``history``'s rows, by the same names."""

    id: int
    at: datetime
    user_id: int | None
    action: str
    from_state: str | None
    to_state: str | None
    note: str
    data: dict | None
    site_name: str
    site_code: str
    full_name: str | None
    username: str | None


def _history_from_json(value: str | None) -> list[HistoryRow]:
    """The history ``_DEVICE_PAGE`` carried as JSON, newest first (as ``_events_newest_first``): its times read back
    as aware UTC (as ``db.UTCDateTime``), its data as JSON gives it (``db.json_rows``)."""
    rows = []
    for (event_id, at, user_id, action, from_state, to_state, note, data, site_name, site_code, full_name,
         username) in json.loads(value) if value else ():
        rows.append(HistoryRow(event_id, datetime.fromisoformat(at).replace(tzinfo=timezone.utc), user_id, action,
                               from_state, to_state, note, data, site_name, site_code, full_name, username))
    rows.sort(key=lambda row: (row.at, row.id), reverse=True)
    return rows


def history(db: Session, device: Device) -> list:
    """The device's events, newest first (the API's history): the rows ``page_reads`` describes."""
    return plain_rows(db, _TIMELINE, {"device_id": device.id})


@lru_cache(maxsize=1)
def _device_page_statement(_panels: tuple[str, ...]) -> tuple:
    """The device page's one statement (built once for the panels registered): the device and its site, as
    ``get_device`` reads them, with its history as JSON (``_history_from_json``), the rows its panels have it carry
    (``panels.carried_of``) and its panels' other records; and the names of those carried rows and records."""
    history = (select(json_rows(*_TIMELINE_COLUMNS)).select_from(DeviceEvent)
               .join(Site, Site.id == DeviceEvent.site_id).outerjoin(User, User.id == DeviceEvent.user_id)
               .where(DeviceEvent.device_id == Device.id).scalar_subquery())
    carried = carried_of(Device)
    names = tuple(column.name for column in carried)
    presence = presence_of(Device.id, Device.asset_tag, but=names)  # carried rows are their own presence
    return (_BY_TAG.add_columns(history.label("history"), *carried, *presence), names,
            [column.name for column in presence])


def device_page(db: Session, actor, asset_tag: str) -> tuple[Device, PageReads]:
    """A device this user may see (as ``get_device``), with what its page's panels share (as ``page_reads``), read in
    one statement: a scan opens this page, and each statement is a round trip to PostgreSQL."""
    statement, carried, names = _device_page_statement(tuple(panel.key for panel in DEVICE_PANELS))
    row = _device_row(db, actor, asset_tag, statement)
    rows = {name: carried_rows(name, value) for name, value in zip(carried, row[2:])}
    present = {name: bool(value) for name, value in zip(names, row[2 + len(carried):])}
    return row[0], PageReads.read(_history_from_json(row[1]), present, rows)


def page_reads(db: Session, device: Device) -> PageReads:
    """What the panels of one rendering of a device page share, starting with the device's history for its page
    (``known("history")``), read with the panels' presence query in one statement. The history's rows, newest
    first: an event's own columns (``at``, ``user_id``, ``action``, ``from_state``, ``to_state``, ``note``,
    ``data``), its site's name and code (``site_name``, ``site_code``) and its author's ``full_name`` and
    ``username`` (None: the system). ``undo_offer`` reads them as events."""
    return PageReads.with_history(db, device, _TIMELINE)


# --- devices -------------------------------------------------------------------------------

@dataclass
class DeviceInput:
    category: str
    site: Site
    brand: str = ""
    model: str = ""
    serial_number: str | None = None
    has_storage: bool = True
    specs: dict = field(default_factory=dict)
    condition: str = ""
    notes: str = ""


def _clean_specs(category: str, raw) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    if raw is None or raw == "":
        return {}, errors
    if not isinstance(raw, dict):
        return {}, {"specs": "Les caractéristiques doivent être un objet (clé → valeur)."}
    specs: dict = {}
    for key, value in raw.items():
        if value in (None, ""):
            continue
        if key not in SPEC_FIELDS:
            errors[f"specs.{key}"] = f"Caractéristique inconnue : « {str(key)[:40]} »."
            continue
        label, kind, hint = SPEC_FIELDS[key]
        if kind == "number":
            try:
                if isinstance(value, bool):
                    raise ValueError
                number = int(str(value).strip())
                if number < 0 or number > 1_000_000 or (key == "battery_health" and number > 100):
                    raise ValueError
                specs[key] = number
            except ValueError:
                errors[f"specs.{key}"] = f"{label} : nombre entier attendu{(' (' + hint + ')') if hint else ''}."
        elif kind == "decimal":
            try:
                number = Decimal(str(value).strip().replace(",", "."))
                if number <= 0 or number > 200:
                    raise InvalidOperation
                specs[key] = float(number)
            except InvalidOperation:
                errors[f"specs.{key}"] = f"{label} : nombre attendu (ex. 15,6)."
        elif kind == "choice":
            options = hint.split("|")
            if str(value) not in options:
                errors[f"specs.{key}"] = f"{label} : choisir parmi {', '.join(options)}."
            else:
                specs[key] = str(value)
        else:
            text = str(value).strip()
            if len(text) > 120:
                errors[f"specs.{key}"] = f"{label} est trop long (120 caractères au maximum)."
            else:
                specs[key] = text
    return specs, errors


def parse_device_input(db: Session, actor, data: dict, *, default_site: Site | None = None) -> DeviceInput:
    """Check the fields of a new device (form or API); raises Invalid with every problem."""
    c = Checker(data)
    category = c.choice("category", "La catégorie", CATEGORIES)
    site_code = c.text("site", "Le site", max_len=32, required=default_site is None)
    brand = c.text("brand", "La marque", max_len=80) or ""
    model = c.text("model", "Le modèle", max_len=120) or ""
    serial = c.text("serial_number", "Le numéro de série", max_len=120)
    condition = c.text("condition", "L'état esthétique", max_len=200) or ""
    notes = c.text("notes", "Les notes", max_len=5000) or ""
    has_storage = c.boolean("has_storage", "Contient un stockage de données")
    specs, spec_errors = _clean_specs(category or "other", data.get("specs"))
    for key, message in spec_errors.items():
        c.add(key, message)
    c.done()
    site = get_site(db, site_code, active_only=True) if site_code else default_site
    if not site.active:
        raise Conflict(f"Le site « {site.name} » est désactivé : choisissez un site actif.")
    require_site(actor, site.id, f"le site « {site.name} »")
    if has_storage is None:
        has_storage = category in WITH_STORAGE
    return DeviceInput(category=category, site=site, brand=brand, model=model,
                       serial_number=serial.upper() if serial else None, has_storage=has_storage,
                       specs=specs, condition=condition, notes=notes)


def devices_with_serial(db: Session, serial: str | None) -> list[Device]:
    if not serial:
        return []
    return list(db.scalars(select(Device).where(Device.serial_number == serial.strip().upper()).limit(5)))


@use_case
def create_device(db: Session, actor, spec: DeviceInput, *, allow_known_serial: bool = False,
                  note: str = "", origin: dict | None = None) -> Device:
    """Create one device with its tag and its first history event.

    A serial number already known is refused unless the caller confirms it
    (the same device coming back, or a typo to fix)."""
    if spec.serial_number and not allow_known_serial:
        known = devices_with_serial(db, spec.serial_number)
        if known:
            tags = ", ".join(d.asset_tag for d in known)
            raise Conflict(f"Le numéro de série {spec.serial_number} est déjà connu ({tags}). "
                           "S'il s'agit du même appareil qui revient, confirmez ; sinon corrigez la saisie.",
                           code="known_serial", fields={"serial_number": f"Déjà connu : {tags}."})
    device = Device(asset_tag=next_asset_tag(db), category=spec.category, brand=spec.brand, model=spec.model,
                    serial_number=spec.serial_number, has_storage=spec.has_storage, specs=spec.specs,
                    condition=spec.condition, notes=spec.notes, site_id=spec.site.id, site=spec.site,
                    state="received", created_at=utcnow(), version=0)
    db.add(device)
    db.flush()
    record_event(db, device, actor, "created", note=note, to_state="received", data=origin or {})
    return device


@use_case
def create_devices(db: Session, actor, spec: DeviceInput, serials: list[str], *, count=None,
                   allow_known_serial: bool = False) -> list[Device]:
    """Batch creation: N similar devices, one per serial number scanned (or ``count`` without serials)."""
    serials = [s.strip().upper() for s in serials if s and s.strip()]
    if not serials and isinstance(count, str):
        if count.strip() and not count.strip().isdigit():
            raise Invalid(fields={"count": "Le nombre d'appareils doit être un entier."})
        count = int(count) if count.strip() else None
    if serials:
        duplicates = sorted({s for s in serials if serials.count(s) > 1})
        if duplicates:
            raise Invalid(fields={"serials": f"Numéro(s) de série scanné(s) deux fois : {', '.join(duplicates)}."})
        too_long = [s for s in serials if len(s) > 120]
        if too_long:
            raise Invalid(fields={"serials": "Un numéro de série dépasse 120 caractères."})
        count = len(serials)
    if not count or count < 1:
        raise Invalid(fields={"count": "Indiquez le nombre d'appareils ou scannez leurs numéros de série."})
    if count > MAX_BATCH:
        raise Invalid(fields={"count": f"{MAX_BATCH} appareils au plus par lot."})
    created = []
    for i in range(count):
        one = DeviceInput(**{**spec.__dict__, "serial_number": serials[i] if serials else spec.serial_number})
        created.append(create_device(db, actor, one, allow_known_serial=allow_known_serial))
    return created


# Built once: every scan asks. With its site (one row: its columns cost little, where a second query would
# cost a round trip to PostgreSQL before the page has read the sites).
_BY_TAG = select(Device).where(Device.asset_tag == bindparam("tag")).options(joinedload(Device.site))
_BY_TAGS = select(Device).where(Device.asset_tag.in_(bindparam("tags", expanding=True)))  # a desk's basket


def get_device(db: Session, actor, asset_tag: str) -> Device:
    """A device this user may see (its site is one of theirs, or they see the whole network)."""
    return _device_row(db, actor, asset_tag, _BY_TAG)[0]


def _device_row(db: Session, actor, asset_tag: str, statement):
    """The row of ``statement`` (``_BY_TAG`` with, or without, more columns) for the device bearing ``asset_tag``,
    if ``actor`` may see it (None: no check, the command line)."""
    tag = (asset_tag or "").strip().upper()
    row = db.execute(statement, {"tag": tag}).first() if 0 < len(tag) <= 20 else None
    if row is None:
        raise NotFound(f"Aucun appareil ne porte l'étiquette « {tag[:40]} ».")
    device = row[0]
    if actor is not None:
        require_site(actor, device.site_id, f"l'appareil {device.asset_tag} (site « {device.site.name} »)")
    return row


def devices_by_tag(db: Session, asset_tags: list[str]) -> list[Device]:
    """The devices bearing these tags, in the order given (tags unknown left out), in one query; no
    site check: the caller's rules decide (the desk's basket says why a device cannot be lent here)."""
    tags = [t.strip().upper() for t in asset_tags if t and 0 < len(t.strip()) <= 20]
    found = {d.asset_tag: d for d in db.scalars(_BY_TAGS, {"tags": tags})} if tags else {}
    return [found[t] for t in dict.fromkeys(tags) if t in found]


def public_device(db: Session, asset_tag: str) -> Device | None:
    tag = (asset_tag or "").strip().upper()
    return db.scalar(_BY_TAG, {"tag": tag}) if 0 < len(tag) <= 20 else None


def normalise_code(code) -> str:
    """What a scanner typed, cleaned: the spaces around it dropped; a label's QR code (the device's URL,
    ``…/d/RF-000123``) gives its tag."""
    code = str(code or "").strip()
    match = re.search(r"/d/([A-Za-z0-9-]+)/?$", code)
    return match.group(1) if match else code


def find_by_code(db: Session, actor, code: str) -> Device | None:
    """The device a scanned code names (its asset tag or label URL, or a serial number that is unique),
    at whatever site: the caller decides what a device of another site means (a page to refuse, a loan
    returned at another site, an unexpected device in a stock-take)."""
    code = normalise_code(code).upper()
    if not code or len(code) > 120:
        return None
    device = db.scalar(_BY_TAG, {"tag": code}) if len(code) <= 20 else None
    if device is None:
        matches = devices_with_serial(db, code)
        device = matches[0] if len(matches) == 1 else None
    return device


def _page_version(raw) -> int | None:
    """The device version a page or a client read (``expected_version``), or None when not sent."""
    if raw in (None, ""):
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw).strip() if isinstance(raw, str) else ""
    if not text.isdigit() or len(text) > 18:
        raise Invalid(fields={"expected_version": "Version de la page illisible : rechargez la page."})
    return int(text)


def lock_device(db: Session, actor, device: Device, expected_version=None) -> Device:
    """Before a use case changes a device: check its site, take its row lock (PostgreSQL; SQLite writers
    are already one at a time), read it again, and refuse a page or a client that showed an older version
    (``expected_version``): the one stale-page check."""
    require_site(actor, device.site_id, f"l'appareil {device.asset_tag} (site « {device.site.name} »)")
    expected = _page_version(expected_version)
    db.flush()  # pending changes first: the refresh below would drop them
    lock_rows(db, Device, [device.id])
    db.refresh(device)
    if expected is not None and expected != device.version:
        raise Conflict(f"L'appareil {device.asset_tag} a changé entre-temps (il est maintenant "
                       f"« {device.state_label} »). Rechargez la page : rien n'a été modifié.", code="stale")
    return device


@use_case
def transition(db: Session, actor, device: Device, to_state: str, *, note: str = "", expected_version=None,
               data: dict | None = None, via: str | None = None, action: str = "transition") -> DeviceEvent:
    """Make one of the inventory's own moves: a device lost from the stock, or found again. Every other
    move belongs to the area whose use case makes it (``workflow.OWNER``) and is refused here with a French
    message saying where it is done."""
    lock_device(db, actor, device, expected_version)
    lifecycle.check(actor, device, to_state, note)
    owner = workflow.OWNER[(device.state, to_state)]
    if owner != workflow.INVENTORY and not (owner == workflow.LOANS and via == "loans"):
        raise Conflict(workflow.done_elsewhere(device.state, to_state), code="transition_refused")
    return lifecycle.apply(db, actor, device, to_state, action=action, note=note, data=data)


# Moves that may be taken back: the plain moves of the workshop and of the inventory (a record, a loan or a
# sale has its own paper trail and is corrected by its own form).
UNDOABLE_ACTIONS = frozenset({"transition"})


_LAST_EVENT = _events_newest_first(select(DeviceEvent).options(lazyload(DeviceEvent.user),
                                                                 lazyload(DeviceEvent.site))).limit(1)


def last_event(db: Session, device: Device) -> DeviceEvent | None:
    """The device's newest event alone (its author and site are loaded only if asked: taking a move back needs
    their ids, not the rows)."""
    return db.scalar(_LAST_EVENT, {"device_id": device.id})


def undo_deadline(db: Session, event: DeviceEvent):
    """Until when the author of ``event`` may take it back (setting ``undo_minutes``)."""
    return event.at + timedelta(minutes=int(get_setting(db, "undo_minutes")))


def undo_refusal(db: Session, actor, device: Device, event: DeviceEvent | None) -> str | None:
    """Why ``actor`` may not take back ``event`` now (French), or None: it must be the device's last event,
    a plain move, made by the same person, less than ``undo_minutes`` ago."""
    if event is None or event.action not in UNDOABLE_ACTIONS or not event.from_state or not event.to_state:
        return "La dernière étape de cet appareil n'est pas un changement d'état qui s'annule ici."
    if event.user_id != getattr(actor, "id", None):
        return "Seule la personne qui a fait cette étape peut l'annuler."
    if utcnow() > undo_deadline(db, event):
        return (f"Le délai d'annulation ({get_setting(db, 'undo_minutes')} minutes) est passé : "
                "faites l'étape inverse, avec une note pour l'historique.")
    if device.state != event.to_state:
        return f"{device.asset_tag} a changé depuis : rien à annuler."
    return None


def undo_offer(db: Session, actor, device: Device, events: list | None = None):
    """The move ``actor`` may take back on ``device`` now (shown with its deadline), or None. ``events``: the
    device's ``history``, or its page's history rows (``page_reads``), when the caller has read it (newest first,
    as both are; the offer is then its first row, a ``DeviceEvent`` or a page's row)."""
    if events is None:
        event = last_event(db, device)
    else:
        event = events[0] if events else None
    return event if undo_refusal(db, actor, device, event) is None else None


@use_case
def undo_last_move(db: Session, actor, device: Device, *, expected_version=None) -> DeviceEvent:
    """Take back the device's last move, by its author, within ``undo_minutes`` and if nothing happened to
    the device since; the history keeps the move and gains the "undo" event."""
    lock_device(db, actor, device, expected_version)
    event = last_event(db, device)
    reason = undo_refusal(db, actor, device, event)
    if reason:
        raise Conflict(reason, code="undo_refused")
    return lifecycle.revert(db, actor, device, event, note=f"Annulation : {workflow.STATES[event.from_state]} "
                                                            f"→ {workflow.STATES[event.to_state]}")


def inventory_moves(device: Device) -> list[str]:
    """The inventory's own moves from the device's state (lost, found again), in the order of the states."""
    return [state for state in workflow.STATES
            if workflow.OWNER.get((device.state, state)) == workflow.INVENTORY]


# --- lists ---------------------------------------------------------------------------------

SORTS = {
    "tag": Device.asset_tag, "-tag": Device.asset_tag.desc(),
    "updated": Device.updated_at, "-updated": Device.updated_at.desc(),
    # Creation order is the id order: sorting on the primary key needs no extra index.
    "created": Device.id, "-created": Device.id.desc(),
    "category": Device.category, "-category": Device.category.desc(),
    "state": Device.state, "-state": Device.state.desc(),
    "model": Device.model, "-model": Device.model.desc(),
}
DEFAULT_SORT = "-created"
# A text search reads rows, not an index: its total is counted this many matches past the page's first line
# ("plus de 200 appareils" on the first page; each later page counts further, so the next page is always offered
# while matches remain).
SEARCH_COUNT_CAP = 200


@dataclass
class DeviceFilter:
    q: str = ""
    site: str = ""
    state: str = ""
    category: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    per_page: int = 50

    def args(self, **changes) -> dict:
        """The query string of this filter (defaults left out), with some values changed."""
        values = {"q": self.q, "site": self.site, "state": self.state, "category": self.category,
                  "sort": self.sort, "page": self.page, "per_page": self.per_page} | changes
        defaults = {"sort": DEFAULT_SORT, "page": 1, "per_page": 50}
        return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}


def parse_filter(args) -> DeviceFilter:
    def _int(name, default, lo, hi):
        try:
            return max(lo, min(hi, int(args.get(name, default))))
        except (TypeError, ValueError):
            return default
    f = DeviceFilter(q=(args.get("q") or "").strip()[:120], site=(args.get("site") or "").strip().upper()[:32],
                     state=(args.get("state") or "").strip(), category=(args.get("category") or "").strip(),
                     sort=args.get("sort") or DEFAULT_SORT, page=_int("page", 1, 1, 100000),
                     per_page=_int("per_page", 50, 1, 200))
    if f.state and f.state not in workflow.STATES:
        raise Invalid(fields={"state": f"État inconnu : « {f.state[:40]} »."})
    if f.category and f.category not in CATEGORIES:
        raise Invalid(fields={"category": f"Catégorie inconnue : « {f.category[:40]} »."})
    if f.sort not in SORTS:
        f.sort = DEFAULT_SORT
    return f


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sqlite(db: Session) -> bool:
    return db.get_bind().dialect.name == "sqlite"


_CODE_POINT_ORDER: dict[str, bool] = {}


def _code_point_order(db: Session) -> bool:
    """Does the database sort text by code point (SQLite; PostgreSQL under the "C" collation)? Then a
    prefix is a range of the column's ordinary index. Asked of the database itself, by sorting a few
    characters: a cluster made with ``--locale-provider=icu --icu-locale=fr-FR`` reports ``C.UTF-8`` as
    its libc collation yet sorts "É" beside "E", where a range would drop rows."""
    bind = db.get_bind()
    key = str(bind.url)
    if key not in _CODE_POINT_ORDER:
        if bind.dialect.name == "postgresql":
            sample = ["a", "B", "e", "E", "É", "-", "0", "Z", "_"]
            ordered = db.scalar(sql_text("SELECT array_agg(x ORDER BY x) FROM unnest(CAST(:sample AS text[])) AS x"),
                                {"sample": sample})
            _CODE_POINT_ORDER[key] = list(ordered or []) == sorted(sample)
        else:
            _CODE_POINT_ORDER[key] = bind.dialect.name == "sqlite"
    return _CODE_POINT_ORDER[key]


def _starts_with(db: Session, column, prefix: str):
    """``column`` starts with ``prefix``, through an index: SQLite's LIKE never uses one, so a range of
    the column's index is added where the order is by code point (tags and serials are stored
    upper-case). Under a linguistic collation (a French PostgreSQL) the LIKE alone is indexed, by the
    ``text_pattern_ops`` indexes of migration 0013_performance."""
    condition = column.like(_escape_like(prefix) + "%", escape="\\")
    if prefix and _code_point_order(db):
        condition = and_(column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1), condition)
    return condition


def search_condition(db: Session, actor, q: str):
    """Search-as-you-type, indexed where it matters:

    - a tag, or the start of one with the network's prefix (``RF-0012``): the tag index only;
    - text with a digit: tag number (``123`` → RF-000123) or serial-number prefix, both indexed,
      when they match something;
    - otherwise a serial-number prefix, or every word in the brand or the model (case-insensitive),
      which reads the rows of the user's sites."""
    text = q.strip()
    upper = text.upper()
    if looks_like_tag(upper):
        return Device.asset_tag == upper
    if upper.startswith(get_setting(db, "asset_tag_prefix") + "-"):
        return _starts_with(db, Device.asset_tag, upper)
    serial = _starts_with(db, Device.serial_number, upper)
    if any(ch.isdigit() for ch in text):
        codes = serial
        if text.isdigit() and len(text) <= 9:
            codes = or_(Device.asset_tag == f"{get_setting(db, 'asset_tag_prefix')}-{int(text):06d}", serial)
        probe = limit_to_user_sites(select(Device.id).where(codes), Device.site_id, actor).limit(1)
        if plain_value(db, probe) is not None:
            return codes
    # Every word in the brand or the model. SQLite's LIKE ignores ASCII case. PostgreSQL needs ILIKE: an
    # ASCII word is compared under the "C" collation (ASCII case folding, as SQLite; the trigram indexes of
    # migration 0020 are on these expressions), since ILIKE under a French ICU collation lowers every row
    # through ICU, three times slower; a word with an accent keeps the database's collation (É = é).
    def contains(column, word):
        like = "%" + _escape_like(word) + "%"
        if _sqlite(db):
            return column.like(like, escape="\\")
        return (column.collate("C") if word.isascii() else column).ilike(like, escape="\\")
    def word_matches(word):
        named = categories_named(word)  # "routeur", "tablette": the category's French name
        return or_(contains(Device.brand, word), contains(Device.model, word),
                   *([Device.category.in_(named)] if named else []))
    words = text.split()[:5]
    return or_(serial, and_(*[word_matches(w) for w in words]))


def device_query(db: Session, actor, f: DeviceFilter):
    """The devices of a filtered list (the user's sites, the filter's site, state, category and words)."""
    shape, params = _list_filter(db, actor, f)
    return _searched(db, actor, f, _device_shape(*shape).params(params))


def _searched(db: Session, actor, f: DeviceFilter, stmt):
    return stmt.where(search_condition(db, actor, f.q)) if f.q else stmt


def _list_filter(db: Session, actor, f: DeviceFilter) -> tuple[tuple, dict]:
    """A filter's shape (which of scope, site, state and category it uses) and its values, by name; an unknown
    site is refused."""
    site_id = None
    if f.site:
        site = db.scalar(select(Site).where(Site.code == f.site))
        if site is None:
            raise Invalid(fields={"site": f"Site inconnu : « {f.site} »."})
        site_id = site.id
    ids = site_ids(actor)
    shape = (ids is not None, bool(f.site), bool(f.state), bool(f.category))
    params = {"site_ids": list(ids or ()), "site_id": site_id, "state": f.state, "category": f.category,
              "offset": (f.page - 1) * f.per_page, "limit": f.per_page}
    return shape, params


@lru_cache(maxsize=32)
def _device_shape(scoped: bool, by_site: bool, by_state: bool, by_category: bool):
    """The devices of a filter's shape, its values bound by name: built once, SQLAlchemy then reuses its
    compiled form (the list is the technicians' most asked page)."""
    stmt = select(Device)
    for column, used in ((Device.site_id, by_site), (Device.state, by_state), (Device.category, by_category)):
        if used:
            stmt = stmt.where(column == bindparam(column.key))
    if scoped:  # a site's staff: their sites (none: an empty IN, nothing)
        stmt = stmt.where(Device.site_id.in_(bindparam("site_ids", expanding=True)))
    return stmt


@lru_cache(maxsize=128)
def _list_statements(shape: tuple, sort: str) -> tuple:
    """A list without words: its page of ``LIST_COLUMNS`` and its exact count from the stock tallies
    (``StockTally``: a few hundred rows to add up, where counting the devices read up to all of them), for one
    shape and sort, built once."""
    scoped, by_site, by_state, by_category = shape
    page = (_device_shape(*shape).with_only_columns(*LIST_COLUMNS).join(Site, Site.id == Device.site_id)
            .order_by(SORTS[sort], Device.id.desc()).offset(bindparam("offset")).limit(bindparam("limit")))
    tally = select(func.coalesce(func.sum(StockTally.n), 0))
    for column, used in ((StockTally.site_id, by_site), (StockTally.state, by_state),
                         (StockTally.category, by_category)):
        if used:
            tally = tally.where(column == bindparam(column.key))
    if scoped:
        tally = tally.where(StockTally.site_id.in_(bindparam("site_ids", expanding=True)))
    return page, tally


def export_devices(db: Session, actor, f: DeviceFilter):
    """Every device of the filtered list, in its order, read in chunks (for a CSV of any size)."""
    stmt = device_query(db, actor, f).order_by(SORTS[f.sort], Device.id.desc())
    return db.scalars(stmt.execution_options(yield_per=1000))


def count_devices(db: Session, stmt, cap: int | None = None) -> int:
    inner = stmt.with_only_columns(Device.id).order_by(None)
    if cap:
        inner = inner.limit(cap + 1)
    return plain_value(db, select(func.count()).select_from(inner.subquery()))


#: What a line of the device list shows, read as plain rows: building 50 devices (and their sites) as
#: mapped objects took twice as long as the query itself.
LIST_COLUMNS = (Device.asset_tag, Device.category, Device.brand, Device.model, Device.serial_number,
                Device.state, Device.updated_at, Site.name.label("site_name"))


def list_devices(db: Session, actor, f: DeviceFilter, *, exact: bool = False,
                 rows: bool = False) -> tuple[list, int]:
    """One page of the filtered list and the total: exact without words (from the stock tallies); with words,
    at most ``count_cap`` + 1, meaning "more than that" (``exact``: every match counted). The page holds
    devices, or with ``rows`` the list's ``LIST_COLUMNS`` alone."""
    shape, params = _list_filter(db, actor, f)
    page, tally = _list_statements(shape, f.sort)
    if rows and not f.q:  # the device list's own case: every statement built once
        items = plain_rows(db, page, params)
    else:
        stmt = _searched(db, actor, f, _device_shape(*shape).params(params))
        ordered = stmt.order_by(SORTS[f.sort], Device.id.desc()).offset(params["offset"]).limit(f.per_page)
        if rows:
            items = plain_rows(db, ordered.with_only_columns(*LIST_COLUMNS).join(Site, Site.id == Device.site_id))
        else:
            items = list(db.scalars(ordered))
    if f.page == 1 and len(items) < f.per_page:
        return items, len(items)  # the whole result is on this page: no count needed
    if not f.q:
        return items, plain_value(db, tally, params)
    return items, count_devices(db, stmt, None if exact else count_cap(f))


def tallied_count(db: Session, actor, f: DeviceFilter) -> int:
    """The exact number of devices of a list filtered by site, state and category alone, from the stock
    tallies (the statement ``list_devices`` reads its total by)."""
    shape, params = _list_filter(db, actor, f)
    return plain_value(db, _list_statements(shape, f.sort)[1], params)


def count_cap(f: DeviceFilter) -> int | None:
    """The most a list's total counts up to (None: exact). A text search reads rows: it counts up to
    ``SEARCH_COUNT_CAP`` matches past the first line of its page; a list filtered by site, state and category
    alone is counted exactly, from the stock tallies."""
    return (f.page - 1) * f.per_page + SEARCH_COUNT_CAP if f.q else None


# --- stock ---------------------------------------------------------------------------------

def stock_counts(db: Session, actor, site: Site | None = None) -> list[tuple[int, str, str, int]]:
    """(site_id, category, state, count) for devices not yet gone (final states excluded), counts of zero left
    out. Read from the tallies the database keeps as devices move (``StockTally``), as ``_held_counts``."""
    return [(site_id, category, state, n) for site_id, category, *counts in _held_counts(db, actor, site)
            for state, n in zip(workflow.HELD_STATES, counts) if n]


def _held_counts(db: Session, actor, site: Site | None) -> list:
    """Rows of (site_id, category, then the count in each of ``workflow.HELD_STATES``): one row per
    site and category that has or had devices, from the tallies (a few hundred rows, where counting the devices
    read every one of them). A row per state would be seven times as many rows to read: most of the stock
    page's query."""
    if site is not None:
        require_site(actor, site.id, f"le site « {site.name} »")
    counts, _minimums, params = _stock_reads(actor, site)
    return plain_rows(db, counts, params)  # the ORM's path added a third to these rows


def _stock_reads(actor, site: Site | None) -> tuple:
    """The stock's statements for this user's scope and site, and their values."""
    ids = site_ids(actor)
    counts, minimums = _stock_statements(ids is not None, site is not None)
    return counts, minimums, {"site_ids": list(ids or ()), "site_id": site.id if site else None}


@lru_cache(maxsize=8)
def _stock_statements(scoped: bool, one_site: bool) -> tuple:
    """The stock's counts (``_held_counts``) and minimums for a user's scope (a site's staff: their sites) and, or
    not, one site: built once, their values bound (every stock page asks them)."""
    held = [literal(state) for state in workflow.HELD_STATES]
    counts = (select(StockTally.site_id, StockTally.category,
                     *(func.coalesce(func.sum(StockTally.n).filter(StockTally.state == state), 0) for state in held))
              # SQLite: not the index by state for these seven values, then the rows sorted again for the sums, but
              # the index by site and category read once, in the order of the sums (0.36 → 0.29 ms at 100,000
              # devices). PostgreSQL: as it plans (the table is a few pages; its index by state after a bulk load).
              .where(not_searched(StockTally.state).in_(held))
              .group_by(StockTally.site_id, StockTally.category))
    minimums = select(StockMinimum).where(StockMinimum.minimum > 0)
    if scoped:
        counts = counts.where(StockTally.site_id.in_(bindparam("site_ids", expanding=True)))
        minimums = minimums.where(StockMinimum.site_id.in_(bindparam("site_ids", expanding=True)))
    if one_site:
        counts = counts.where(StockTally.site_id == bindparam("site_id"))
        minimums = minimums.where(StockMinimum.site_id == bindparam("site_id"))
    return counts, minimums


@dataclass
class Shortage:
    site: Site
    category: str
    state: str
    minimum: int
    available: int


def _minimums(db: Session, actor, site: Site | None) -> list[StockMinimum]:
    _counts, minimums, params = _stock_reads(actor, site)
    return list(db.scalars(minimums, params))


def _shortages(minimums: list[StockMinimum], available: Callable[[int, str, str], int],
               sites: dict | None = None) -> list[Shortage]:
    """The minimums not met, ``available(site_id, category, state)`` giving each one's count; each with its site
    from ``sites`` (by id: the sites the caller read) or else its own."""
    result = []
    for m in minimums:
        n = available(m.site_id, m.category, m.state)
        if n < m.minimum:
            site = sites.get(m.site_id) if sites else None
            result.append(Shortage(site or m.site, m.category, m.state, m.minimum, n))
    return sorted(result, key=lambda s: (s.site.name, s.category))


def shortages(db: Session, actor, site: Site | None = None, counts=None) -> list[Shortage]:
    """Minimum levels not met; ``counts`` (rows of ``stock_counts``) saves a second count."""
    minimums = _minimums(db, actor, site)
    if not minimums:
        return []
    found = {(s, c, st): n for s, c, st, n in (stock_counts(db, actor, site) if counts is None else counts)}
    return _shortages(minimums, lambda *key: found.get(key, 0))


# Where each held state's count sits in a row of ``SiteLevels.held``.
HELD_INDEX = {state: i for i, state in enumerate(workflow.HELD_STATES)}
_NONE_HELD = (0,) * len(workflow.HELD_STATES)


@dataclass
class SiteLevels:
    """One site's stock: by category, its count in each of ``workflow.HELD_STATES`` (``held``, categories with
    devices only); minimum levels and shortages by (category, state)."""

    site: Site
    held: dict = field(default_factory=dict)
    minimums: dict = field(default_factory=dict)
    shortages: dict = field(default_factory=dict)

    def count(self, category: str, state: str) -> int:
        return self.held.get(category, _NONE_HELD)[HELD_INDEX[state]]


def stock_levels(db: Session, actor, sites: list, site: Site | None = None
                 ) -> tuple[list[SiteLevels], list[Shortage]]:
    """The stock of these sites (or of ``site`` alone), a deactivated site that still holds devices
    included, active sites first; and every shortage. One count query and one minimums query. ``sites``: mapped
    sites, or ``SiteName`` rows (``accounts.scope.sites_for(names_only=True)``) where their names are enough."""
    rows = _held_counts(db, actor, site)  # checks that ``site`` is one of the user's
    minimums = _minimums(db, actor, site)
    by_id = {s.id: SiteLevels(s) for s in sites}
    for site_id, category, *counts in rows:
        if any(counts):
            level = by_id.get(site_id)
            if level is None:
                level = by_id[site_id] = SiteLevels(db.get(Site, site_id))
            level.held[category] = tuple(counts)
    short = _shortages(minimums, lambda site_id, category, state:
                       by_id[site_id].count(category, state) if site_id in by_id else 0,
                       {site_id: level.site for site_id, level in by_id.items()})
    for m in minimums:
        if m.site_id in by_id:
            by_id[m.site_id].minimums[(m.category, m.state)] = m.minimum
    for s in short:
        if s.site.id in by_id:
            by_id[s.site.id].shortages[(s.category, s.state)] = s
    return sorted(by_id.values(), key=lambda st: (not st.site.active, st.site.name)), short


@use_case
def set_minimum(db: Session, actor, site: Site, category: str, state: str, minimum) -> None:
    if actor.role not in NETWORK_ROLES:
        raise Forbidden("Seuls les gestionnaires fixent les niveaux minimums de stock.")
    c = Checker({"category": category, "state": state, "minimum": minimum})
    c.choice("category", "La catégorie", CATEGORIES)
    c.choice("state", "L'état compté", {"loan_pool": "", "ready": ""})
    value = c.integer("minimum", "Le minimum", min_value=0, max_value=10000, required=True)
    c.done()
    row = db.get(StockMinimum, (site.id, category, state))
    if row is None:
        db.add(StockMinimum(site_id=site.id, category=category, state=state, minimum=value))
    else:
        row.minimum = value
    db.flush()


# --- transfers -----------------------------------------------------------------------------

@use_case
def transfer_devices(db: Session, actor, to_site_code: str, asset_tags: list[str], note: str = "") -> Transfer:
    """Move devices to another site in one go: all of them or none."""
    c = Checker({"to_site": to_site_code, "note": note})
    to_site_code = c.text("to_site", "Le site de destination", max_len=32, required=True)
    note = note.strip() if isinstance(note, str) else note
    if not isinstance(note, str):
        c.add("note", "La note doit être un texte.")
    elif len(note) > 2000:
        c.add("note", f"La note est trop longue ({len(note)} caractères, 2000 au maximum).")
    if not isinstance(asset_tags, list) or not asset_tags:
        c.add("asset_tags", "Scannez au moins un appareil à transférer.")
    elif len(asset_tags) > MAX_TRANSFER:
        c.add("asset_tags", f"{MAX_TRANSFER} appareils au plus par transfert.")
    elif not all(isinstance(t, str) and 0 < len(t.strip()) <= 40 for t in asset_tags):
        c.add("asset_tags", "Chaque appareil est désigné par son étiquette (texte, ex. RF-000123).")
    c.done()
    to_site = get_site(db, to_site_code)
    if not to_site.active:
        raise Conflict(f"Le site « {to_site.name} » est désactivé : impossible d'y transférer du matériel.")
    tags = []
    for raw in asset_tags:
        tag = str(raw).strip().upper()
        if tag and tag not in tags:
            tags.append(tag)
    devices = [get_device(db, actor, tag) for tag in tags]  # NotFound / Forbidden stop everything
    # Lock the rows and read them again: a check-out at the same second either committed first (the
    # device is on loan: refused) or waits for this transfer.
    lock_rows(db, Device, [d.id for d in devices])
    db.scalars(select(Device).where(Device.id.in_([d.id for d in devices]))
               .execution_options(populate_existing=True)).all()
    problems = []
    for device in devices:
        tag = device.asset_tag
        require_site(actor, device.site_id, f"l'appareil {tag} (site « {device.site.name} »)")
        if device.state == "on_loan":
            problems.append(f"{tag} est en prêt")
        elif device.state in workflow.FINAL_STATES:
            problems.append(f"{tag} a quitté le stock ({device.state_label})")
        elif device.site_id == to_site.id:
            problems.append(f"{tag} est déjà à « {to_site.name} »")
    if problems:
        raise Conflict("Aucun appareil n'a été transféré : " + " ; ".join(problems) + ".", code="transfer_refused")
    transfer = Transfer(to_site_id=to_site.id, to_site=to_site, user_id=actor.id, at=utcnow(), note=note or "")
    db.add(transfer)
    db.flush()
    for device in devices:
        from_site = device.site
        db.add(TransferItem(transfer_id=transfer.id, device_id=device.id, from_site_id=from_site.id))
        device.site_id = to_site.id
        device.site = to_site
        record_event(db, device, actor, "transfer", note=note,
                     data={"transfer_id": transfer.id, "from_site": from_site.code, "to_site": to_site.code})
    db.flush()
    db.refresh(transfer)
    return transfer


MAX_BASKET = 200  # a basket kept in the session cookie: a few kilobytes at most


def transfer_refusal(device: Device) -> str | None:
    """Why this device cannot be moved now (French), or None."""
    if device.state == "on_loan":
        return f"{device.asset_tag} est en prêt : il ne peut pas être transféré avant son retour."
    if device.state in workflow.FINAL_STATES:
        return f"{device.asset_tag} a quitté le stock ({device.state_label}) : il ne peut plus être transféré."
    return None


def check_for_basket(db: Session, actor, code: str, basket: list[str]) -> Device:
    """The device a scanned code names, if it may join this transfer basket; else a French refusal."""
    code = normalise_code(code)
    if not code:
        raise Invalid(fields={"code": "Scannez ou saisissez l'étiquette d'un appareil, puis appuyez sur Entrée."})
    if len(code) > 120:
        raise Invalid(fields={"code": "Ce code est trop long pour être une étiquette ou un numéro de série."})
    device = find_by_code(db, actor, code)
    if device is None:
        raise NotFound(f"Aucun appareil ne correspond au code « {code[:40]} ». "
                       "Vérifiez l'étiquette ou saisissez-la à la main.")
    require_site(actor, device.site_id, f"l'appareil {device.asset_tag} (site « {device.site.name} »)")
    reason = transfer_refusal(device)
    if reason:
        raise Conflict(reason, code="transfer_refused")
    if device.asset_tag in basket:
        raise Conflict(f"{device.asset_tag} est déjà dans le panier.", code="duplicate")
    if len(basket) >= MAX_BASKET:
        raise Conflict(f"Le panier est plein ({MAX_BASKET} appareils) : transférez-le, puis commencez-en un autre.",
                       code="basket_full")
    return device


def basket_devices(db: Session, tags: list[str]) -> list[Device]:
    """The devices of a basket, in the order they were scanned."""
    if not tags:
        return []
    found = {d.asset_tag: d for d in db.scalars(select(Device).where(Device.asset_tag.in_(tags)))}
    return [found[t] for t in tags if t in found]


def list_transfers(db: Session, actor, *, page: int = 1, per_page: int = 50) -> tuple[list[Transfer], int]:
    """Transfers to or from the user's sites, newest first."""
    stmt = select(Transfer)
    ids = site_ids(actor)
    if ids is not None:
        from_mine = select(TransferItem.id).where(TransferItem.transfer_id == Transfer.id,
                                                  TransferItem.from_site_id.in_(ids or {-1}))
        stmt = stmt.where(or_(Transfer.to_site_id.in_(ids or {-1}), from_mine.exists()))
    total = db.scalar(select(func.count()).select_from(stmt.subquery()))
    items = list(db.scalars(stmt.order_by(Transfer.at.desc(), Transfer.id.desc())
                            .offset((page - 1) * per_page).limit(per_page)))
    return items, total


def get_transfer(db: Session, actor, transfer_id) -> Transfer:
    ident = as_id(transfer_id)
    transfer = db.get(Transfer, ident) if ident is not None else None
    if transfer is None:
        raise NotFound(f"Aucun transfert n° {str(transfer_id)[:20]}.")
    ids = site_ids(actor)
    if ids is not None and transfer.to_site_id not in ids and not any(i.from_site_id in ids for i in transfer.items):
        raise Forbidden("Ce transfert ne concerne aucun de vos sites.")
    return transfer


def transfer_slip(db: Session, actor, transfer_id) -> tuple[Transfer, bytes]:
    """A transfer the user may see, and its slip (the A4 PDF that travels with the devices)."""
    transfer = get_transfer(db, actor, transfer_id)
    return transfer, build_slip(transfer, get_setting(db, "network_name"))


# --- labels --------------------------------------------------------------------------------

def devices_for_labels(db: Session, actor, asset_tags: list[str]) -> list[Device]:
    """The devices whose labels are asked for, in the order given (duplicates once)."""
    tags = list(dict.fromkeys(str(t).strip().upper() for t in asset_tags if str(t).strip()))
    if not tags:
        raise Invalid(fields={"tag": "Choisissez au moins un appareil dont imprimer l'étiquette."})
    if len(tags) > MAX_LABELS:
        raise Invalid(fields={"tag": f"{len(tags)} étiquettes demandées : {MAX_LABELS} au plus par impression. "
                                     "Imprimez en plusieurs fois."})
    found: dict[str, Device] = {}
    for i in range(0, len(tags), 500):
        chunk = [t for t in tags[i:i + 500] if len(t) <= 20]
        found |= {d.asset_tag: d for d in db.scalars(
            select(Device).where(Device.asset_tag.in_(chunk))  # what a label says, not the specs nor the site
            .options(load_only(Device.asset_tag, Device.category, Device.brand, Device.model, Device.site_id),
                     lazyload(Device.site)))}
    missing = [t for t in tags if t not in found]
    if missing:
        shown = ", ".join(f"« {t[:40]} »" for t in missing[:5]) + (" …" if len(missing) > 5 else "")
        raise NotFound(f"Aucun appareil ne porte l'étiquette {shown}. Vérifiez les numéros d'inventaire.")
    devices = [found[t] for t in tags]
    for device in devices:
        if not serves_site(actor, device.site_id):  # the site's name is read for a refusal's message only
            require_site(actor, device.site_id, f"l'appareil {device.asset_tag} (site « {device.site.name} »)")
    return devices


def label_line(device: Device) -> str:
    """The short second line of a label: what the device is."""
    return f"{device.category_label} — {device.title}" if device.brand or device.model else device.category_label


def label_sheet(db: Session, actor, asset_tags: list[str], layout: str | None, start, base_url: str) -> bytes:
    """The labels PDF of these devices on a sheet format (``LABEL_LAYOUTS``), the first ``start - 1``
    positions left blank; each QR code is the device's URL under ``base_url`` (the public address)."""
    layout = layout or DEFAULT_LABEL_LAYOUT
    if layout not in LABEL_LAYOUTS:
        raise Invalid(fields={"layout": f"Format d'étiquettes inconnu : « {str(layout)[:40]} ». "
                                        f"Formats possibles : {', '.join(LABEL_LAYOUTS)}."})
    try:
        first = int(start) if start not in (None, "") else 1
    except (TypeError, ValueError):
        raise Invalid(fields={"start": "La première position libre doit être un nombre entier."}) from None
    devices = devices_for_labels(db, actor, asset_tags)
    network = get_setting(db, "network_name")
    base = base_url.rstrip("/")
    labels = [Label(asset_tag=d.asset_tag, url=f"{base}/d/{d.asset_tag}", network_name=network,
                    line2=label_line(d)) for d in devices]
    try:
        return render_labels(labels, layout, first)
    except LabelError as err:
        raise Invalid(str(err), fields={"start" if "départ" in str(err) else "tag": str(err)}) from None
