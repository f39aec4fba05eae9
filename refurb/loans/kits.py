"""Kits: named sets of devices lent and returned as one ("8 tablettes pour atelier"),
each device still tracked on its own loan."""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..accounts.scope import limit_to_user_sites, require_site
from ..db import use_case
from ..errors import Conflict, Invalid, NotFound
from ..inventory.models import Counter
from ..inventory.services import get_device
from ..sites.services import get_site
from ..validation import Checker
from . import borrowers as borrowers_svc
from .models import Kit, KitDevice, Loan

KIT_PATTERN = re.compile(r"K\d{6}")
MAX_KIT = 60


def looks_like_kit(code: str) -> bool:
    return bool(KIT_PATTERN.fullmatch((code or "").strip().upper()))


def _next_kit_code(db: Session) -> str:
    result = db.execute(update(Counter).where(Counter.name == "kit").values(value=Counter.value + 1)
                        .returning(Counter.value))
    value = result.scalar()
    if value is None:
        db.add(Counter(name="kit", value=1))
        db.flush()
        value = 1
    return f"K{value:06d}"


def find_kit(db: Session, code: str) -> Kit | None:
    code = (code or "").strip().upper()
    if not looks_like_kit(code):
        return None
    return db.scalar(select(Kit).where(Kit.code == code))


def get_kit(db: Session, actor, code: str, *, found_by_code: bool = False) -> Kit:
    """The kit of a code, at a site the user serves.

    ``found_by_code``: only for the desk, when this kit was just scanned there (it is in hand, whatever
    site it belongs to); ``loans.may_return_here`` then decides whether this desk takes it back."""
    borrowers_svc.require_desk(actor)
    kit = find_kit(db, code)
    if kit is None:
        raise NotFound(f"Aucun kit ne porte le code « {(code or '').strip()[:20]} » : scannez à nouveau son code.")
    if not found_by_code:
        require_site(actor, kit.site_id, f"ce kit (« {kit.name} »)")
    return kit


def list_kits(db: Session, actor, site=None) -> list[Kit]:
    borrowers_svc.require_desk(actor)
    stmt = limit_to_user_sites(select(Kit), Kit.site_id, actor).where(Kit.active.is_(True))
    if site is not None:
        stmt = stmt.where(Kit.site_id == site.id)
    return list(db.scalars(stmt.order_by(Kit.name)))


def open_kit_loans(db: Session, kit: Kit) -> list[Loan]:
    return list(db.scalars(select(Loan).where(Loan.kit_id == kit.id, Loan.returned_at.is_(None)).order_by(Loan.id)))


def missing_from_return(db: Session, kit: Kit, present_tags) -> list[Loan]:
    """The kit's loans still open whose device is not among those brought back."""
    present = {str(t).strip().upper() for t in present_tags if str(t).strip()}
    return [loan for loan in open_kit_loans(db, kit) if loan.device.asset_tag not in present]


def _devices(db: Session, actor, site, tags, kit: Kit | None):
    if isinstance(tags, str):
        tags = re.split(r"[\s,;]+", tags)
    if not isinstance(tags, (list, tuple)):
        raise Invalid(fields={"asset_tags": "Liste d'étiquettes attendue."})
    cleaned = [str(t).strip().upper() for t in tags if str(t).strip()]
    if len(cleaned) < 2:
        raise Invalid(fields={"asset_tags": "Un kit réunit au moins deux appareils : scannez-les."})
    if len(cleaned) > MAX_KIT:
        raise Invalid(fields={"asset_tags": f"{MAX_KIT} appareils au plus par kit."})
    twice = sorted({t for t in cleaned if cleaned.count(t) > 1})
    if twice:
        raise Invalid(fields={"asset_tags": f"Appareil scanné deux fois : {', '.join(twice)}."})
    devices, problems = [], []
    for tag in cleaned:
        device = get_device(db, actor, tag)
        if device.site_id != site.id:
            problems.append(f"{tag} est rattaché à « {device.site.name} »")
        elif device.state != "loan_pool":
            problems.append(f"{tag} n'est pas disponible au parc de prêt ({device.state_label})")
        other = db.scalar(select(KitDevice).where(KitDevice.device_id == device.id))
        if other is not None and (kit is None or other.kit_id != kit.id):
            problems.append(f"{tag} fait déjà partie du kit « {other.kit.name} »")
        devices.append(device)
    if problems:
        raise Conflict("Kit non enregistré : " + " ; ".join(problems) + ".")
    return devices


@use_case
def create_kit(db: Session, actor, data: dict) -> Kit:
    borrowers_svc.require_desk(actor)
    c = Checker(data)
    name = c.text("name", "Le nom du kit", max_len=120, required=True)
    site_code = c.text("site", "Le site", max_len=32, required=True)
    note = c.text("note", "La note", max_len=2000) or ""
    c.done()
    site = get_site(db, site_code, active_only=True)
    require_site(actor, site.id, f"le site « {site.name} »")
    devices = _devices(db, actor, site, data.get("asset_tags") or [], None)
    kit = Kit(code=_next_kit_code(db), name=name, site_id=site.id, site=site, note=note, active=True)
    db.add(kit)
    db.flush()
    for device in devices:
        db.add(KitDevice(kit_id=kit.id, device_id=device.id))
    db.flush()
    db.refresh(kit)
    return kit


@use_case
def update_kit(db: Session, actor, kit: Kit, data: dict) -> Kit:
    borrowers_svc.require_desk(actor)
    require_site(actor, kit.site_id, f"ce kit (« {kit.name} »)")
    if open_kit_loans(db, kit):
        raise Conflict(f"Le kit « {kit.name} » est en prêt : modifiez-le après son retour.")
    c = Checker(data)
    name = c.text("name", "Le nom du kit", max_len=120, required=True)
    note = c.text("note", "La note", max_len=2000) or ""
    c.done()
    devices = _devices(db, actor, kit.site, data.get("asset_tags") or [], kit)
    kit.name, kit.note = name, note
    wanted = {d.id for d in devices}
    for item in list(kit.items):
        if item.device_id not in wanted:
            kit.items.remove(item)
    have = {i.device_id for i in kit.items}
    for device in devices:
        if device.id not in have:
            kit.items.append(KitDevice(kit_id=kit.id, device_id=device.id, device=device))
    db.flush()
    return kit


@use_case
def dissolve_kit(db: Session, actor, kit: Kit) -> None:
    """The devices go back to being lent one by one; the kit's past loans keep its name."""
    borrowers_svc.require_desk(actor)
    require_site(actor, kit.site_id, f"ce kit (« {kit.name} »)")
    if open_kit_loans(db, kit):
        raise Conflict(f"Le kit « {kit.name} » est en prêt : dissolvez-le après son retour.")
    kit.items.clear()
    kit.active = False
    db.flush()
