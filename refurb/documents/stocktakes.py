"""Stock-take (inventaire physique) by scanning: start, scan, close, resolve each discrepancy.

Expected = the devices recorded at the site in an in-stock state when the stock-take starts (a snapshot:
what moves afterwards does not change the list). A code scanned twice counts once (unique per stock-take;
a device scanned by its tag then by its serial number is the same code: its tag). At closing:
found = expected and scanned; missing = expected, not scanned; unexpected = scanned here but expected
elsewhere (another site, or a state that is not on a shelf); unknown = codes that name no device.
Resolutions go through the inventory services, so each one leaves its event in the device's history:
mark lost → ``transition(..., "lost")``; move here → ``transfer_devices`` (and, for a device recorded as
lost, ``transition(..., "received")``: found again).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.roles import WORKSHOP_ROLES
from ..accounts.scope import limit_to_user_sites, require_site, serves_site
from ..db import use_case, utcnow
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..formatting import date_fr
from ..inventory import workflow
from ..inventory.models import Device
from ..inventory.services import find_by_code, transfer_devices, transition
from ..sites.services import get_site
from ..validation import Checker, as_id
from .models import StockTake, StockTakeExpected, StockTakeResolution, StockTakeScan

MAX_CODE = 120
LAST_SCANS = 12


def _check_role(actor) -> None:
    if actor.role not in WORKSHOP_ROLES:
        raise Forbidden("Les inventaires physiques sont faits par un gestionnaire ou un technicien du site.")


def _label(st: StockTake) -> str:
    return f"inventaire physique n° {st.id} ({st.site.name}, {date_fr(st.started_at)})"


# --- start, find, list ---------------------------------------------------------------------------

def open_stocktake_for(db: Session, site_id: int) -> StockTake | None:
    return db.scalar(select(StockTake).where(StockTake.site_id == site_id, StockTake.status == "open"))


@use_case
def start_stocktake(db: Session, actor, site_code, note: str = "") -> StockTake:
    """Open a stock-take for a site and take the snapshot of what is expected on its shelves."""
    _check_role(actor)
    c = Checker({"site": site_code, "note": note})
    code = c.text("site", "Le site", max_len=32, required=True)
    note = c.text("note", "La note", max_len=500) or ""
    c.done()
    site = get_site(db, code)
    require_site(actor, site.id, f"le site « {site.name} »")
    if not site.active:
        raise Conflict(f"Le site « {site.name} » est désactivé : pas d'inventaire physique possible.")
    current = open_stocktake_for(db, site.id)
    if current is not None:
        raise Conflict(f"Un inventaire physique est déjà en cours à « {site.name} » (n° {current.id}, commencé le "
                       f"{date_fr(current.started_at)}) : continuez-le ou clôturez-le avant d'en commencer un autre.",
                       code="stocktake_open")
    st = StockTake(site_id=site.id, site=site, status="open", started_at=utcnow(), started_by_id=actor.id,
                   note=note)
    try:
        with db.begin_nested():
            db.add(st)
            db.flush()
    except IntegrityError:
        raise Conflict(f"Un inventaire physique vient d'être commencé à « {site.name} » par quelqu'un d'autre : "
                       "rechargez la liste et rejoignez-le.", code="stocktake_open")
    db.execute(insert(StockTakeExpected).from_select(
        ["stocktake_id", "device_id", "state"],
        select(literal(st.id), Device.id, Device.state)
        .where(Device.site_id == site.id, Device.state.in_(workflow.IN_STOCK_STATES))))
    st.expected_count = db.scalar(select(func.count()).select_from(StockTakeExpected)
                                  .where(StockTakeExpected.stocktake_id == st.id)) or 0
    db.flush()
    return st


def get_stocktake(db: Session, actor, stocktake_id) -> StockTake:
    _check_role(actor)
    ident = as_id(stocktake_id)
    st = db.get(StockTake, ident) if ident is not None else None
    if st is None:
        raise NotFound(f"Aucun inventaire physique n° {str(stocktake_id)[:20]}.")
    require_site(actor, st.site_id, f"l'inventaire physique n° {st.id} (site « {st.site.name} »)")
    return st


def list_stocktakes(db: Session, actor, *, site=None, limit: int = 50) -> list[StockTake]:
    """The stock-takes of the user's sites (or of ``site``), newest first."""
    _check_role(actor)
    stmt = limit_to_user_sites(select(StockTake), StockTake.site_id, actor)
    if site is not None:
        stmt = stmt.where(StockTake.site_id == site.id)
    return list(db.scalars(stmt.order_by(StockTake.started_at.desc(), StockTake.id.desc()).limit(limit)))


# --- scanning ------------------------------------------------------------------------------------

@dataclass
class ScanResult:
    status: str  # found | unexpected | unknown | duplicate
    code: str
    device: Device | None
    outcome: str  # the scan's class (for a duplicate: the first scan's)

    @property
    def message(self) -> str:
        d = self.device
        what = f"{d.asset_tag} ({d.title})" if d else f"« {self.code} »"
        if self.status == "duplicate":
            return f"{what} est déjà compté : un code scanné deux fois ne compte qu'une fois."
        if self.status == "found":
            return f"Trouvé : {what}."
        if self.status == "unexpected":
            where = f"enregistré à « {d.site.name} »" if d else ""
            return f"Inattendu : {what}, {where}, {d.state_label.lower()}. À régler à la clôture."
        return f"Code inconnu : {what} ne correspond à aucun appareil. Vérifiez l'étiquette."


def _require_open(st: StockTake) -> None:
    if not st.is_open:
        raise Conflict(f"L'{_label(st)} est clos depuis le {date_fr(st.closed_at)} : "
                       "commencez-en un nouveau pour scanner encore.", code="stocktake_closed")


def _scanned(code) -> str:
    """The code as scanned, without what scanners add; a device's QR code (its page's address) gives its tag."""
    code = (code if isinstance(code, str) else "").strip()
    match = re.search(r"/d/([A-Za-z0-9-]+)/?$", code)
    return match.group(1) if match else code


@use_case
def record_scan(db: Session, actor, st: StockTake, code, *, at=None) -> ScanResult:
    """One scan of a stock-take; ``at``: when it was scanned, if before now (offline on the bus)."""
    _check_role(actor)
    require_site(actor, st.site_id, f"l'inventaire physique n° {st.id}")
    _require_open(st)
    raw = _scanned(code)
    if not raw:
        raise Invalid(fields={"code": "Scannez ou saisissez une étiquette, puis appuyez sur Entrée."})
    if len(raw) > MAX_CODE:
        raise Invalid(fields={"code": f"Ce code est trop long ({len(raw)} caractères) pour être une étiquette "
                                      "ou un numéro de série."})
    device = find_by_code(db, None, raw)
    key = device.asset_tag if device is not None else raw.upper()
    existing = db.scalar(select(StockTakeScan).where(StockTakeScan.stocktake_id == st.id,
                                                     StockTakeScan.code == key))
    if existing is not None:
        existing.times += 1
        existing.at = utcnow()
        db.flush()
        return ScanResult("duplicate", key, device, existing.outcome)
    expected = device is not None and db.get(StockTakeExpected, (st.id, device.id)) is not None
    outcome = "found" if expected else ("unexpected" if device is not None else "unknown")
    scan = StockTakeScan(stocktake_id=st.id, code=key, device_id=device.id if device else None, at=at or utcnow(),
                         user_id=actor.id, times=1, outcome=outcome)
    try:
        with db.begin_nested():
            db.add(scan)
            db.flush()
    except IntegrityError:  # the same code from another scanner at the same instant
        return ScanResult("duplicate", key, device, outcome)
    return ScanResult(outcome, key, device, outcome)


@dataclass
class Counts:
    expected: int
    found: int
    unexpected: int
    unknown: int

    @property
    def missing(self) -> int:
        return self.expected - self.found

    def as_dict(self) -> dict:
        return {"expected": self.expected, "found": self.found, "missing": self.missing,
                "unexpected": self.unexpected, "unknown": self.unknown}


def counts(db: Session, st: StockTake) -> Counts:
    rows = dict(db.execute(select(StockTakeScan.outcome, func.count()).where(StockTakeScan.stocktake_id == st.id)
                           .group_by(StockTakeScan.outcome)).all())
    return Counts(st.expected_count, rows.get("found", 0), rows.get("unexpected", 0), rows.get("unknown", 0))


def last_scans(db: Session, st: StockTake, limit: int = LAST_SCANS) -> list[StockTakeScan]:
    return list(db.scalars(select(StockTakeScan).where(StockTakeScan.stocktake_id == st.id)
                           .order_by(StockTakeScan.at.desc(), StockTakeScan.id.desc()).limit(limit)))


# --- closing and results -------------------------------------------------------------------------

@dataclass
class Discrepancy:
    device: Device
    kind: str  # missing | unexpected
    resolution: StockTakeResolution | None = None
    action: str | None = None  # what one click would do now: lost | move_here | None
    action_label: str = ""
    reason: str = ""  # why there is no action (or what the action will do)


@dataclass
class Results:
    stocktake: StockTake
    counts: Counts
    found: list[Device] = field(default_factory=list)
    missing: list[Discrepancy] = field(default_factory=list)
    unexpected: list[Discrepancy] = field(default_factory=list)
    unknown: list[StockTakeScan] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"id": self.stocktake.id, "site": self.stocktake.site.code, "status": self.stocktake.status,
                "found": [d.asset_tag for d in self.found],
                "missing": [d.device.asset_tag for d in self.missing],
                "unexpected": [d.device.asset_tag for d in self.unexpected],
                "unknown": [s.code for s in self.unknown],
                "counts": self.counts.as_dict(),
                "resolutions": {d.device.asset_tag: d.resolution.action
                                for d in self.missing + self.unexpected if d.resolution is not None}}


@use_case
def close_stocktake(db: Session, actor, st: StockTake) -> Results:
    _check_role(actor)
    require_site(actor, st.site_id, f"l'inventaire physique n° {st.id}")
    _require_open(st)
    st.status = "closed"
    st.closed_at = utcnow()
    st.closed_by_id = actor.id
    db.flush()
    return results(db, actor, st)


def _missing_action(actor, st: StockTake, device: Device) -> tuple[str | None, str, str]:
    if device.site_id != st.site_id:
        return None, "", f"Depuis, il a été enregistré à « {device.site.name} » : rien à faire ici."
    if device.state == "lost":
        return None, "", "Déjà déclaré perdu ou volé."
    if device.state == "on_loan":
        return None, "", "Il est en prêt depuis : le retour se fait à l'accueil."
    if device.state in workflow.FINAL_STATES:
        return None, "", f"Il a quitté le stock depuis ({device.state_label.lower()})."
    if not serves_site(actor, device.site_id):
        return None, "", "Un gestionnaire ou un technicien du site peut le déclarer perdu."
    return "lost", "Déclarer perdu", "Le passe à « Perdu ou volé » (historique de l'appareil)."


def _unexpected_action(actor, st: StockTake, device: Device) -> tuple[str | None, str, str]:
    if device.state == "on_loan":
        return None, "", "Il est enregistré en prêt : faites son retour à l'accueil."
    if device.state in workflow.FINAL_STATES:
        return None, "", (f"Il est enregistré comme « {device.state_label} » : vérifiez-le et signalez-le "
                          "à un gestionnaire.")
    here = device.site_id == st.site_id
    if here and device.state != "lost":
        return None, "", "Il est enregistré ici (arrivé ou créé après le début de l'inventaire) : rien à faire."
    if not serves_site(actor, device.site_id):
        return None, "", (f"Il est enregistré à « {device.site.name} », que vous ne servez pas : "
                          "un gestionnaire peut le transférer ici.")
    if here:
        return "move_here", "Déclarer retrouvé", "Il était déclaré perdu : il repasse « Reçu » ici."
    extra = " et le déclare retrouvé" if device.state == "lost" else ""
    return "move_here", "Transférer ici", f"Le transfère de « {device.site.name} » à « {st.site.name} »{extra}."


def results(db: Session, actor, st: StockTake) -> Results:
    scans = list(db.scalars(select(StockTakeScan).where(StockTakeScan.stocktake_id == st.id)
                            .order_by(StockTakeScan.id)))
    scanned_ids = {s.device_id for s in scans if s.device_id is not None}
    expected = list(db.scalars(select(StockTakeExpected).where(StockTakeExpected.stocktake_id == st.id)))
    resolutions = {r.device_id: r for r in db.scalars(select(StockTakeResolution)
                                                      .where(StockTakeResolution.stocktake_id == st.id))}
    res = Results(stocktake=st, counts=counts(db, st))
    res.found = sorted((s.device for s in scans if s.outcome == "found" and s.device is not None),
                       key=lambda d: d.asset_tag)
    for e in sorted(expected, key=lambda e: e.device.asset_tag):
        if e.device_id in scanned_ids:
            continue
        d = Discrepancy(e.device, "missing", resolutions.get(e.device_id))
        if d.resolution is None and not st.is_open:
            d.action, d.action_label, d.reason = _missing_action(actor, st, e.device)
        res.missing.append(d)
    for s in scans:
        if s.outcome == "unexpected" and s.device is not None:
            d = Discrepancy(s.device, "unexpected", resolutions.get(s.device_id))
            if d.resolution is None and not st.is_open:
                d.action, d.action_label, d.reason = _unexpected_action(actor, st, s.device)
            res.unexpected.append(d)
        elif s.outcome == "unknown":
            res.unknown.append(s)
    return res


@use_case
def resolve(db: Session, actor, st: StockTake, asset_tag, action) -> StockTakeResolution:
    """Settle one discrepancy of a closed stock-take: "lost" (missing device) or "move_here" (unexpected)."""
    _check_role(actor)
    require_site(actor, st.site_id, f"l'inventaire physique n° {st.id}")
    if st.is_open:
        raise Conflict("Clôturez d'abord l'inventaire physique : les écarts se règlent une fois le comptage fini.",
                       code="stocktake_open")
    c = Checker({"asset_tag": asset_tag, "action": action})
    tag = c.text("asset_tag", "L'étiquette", max_len=20, required=True)
    action = c.choice("action", "L'action", {"lost": "Déclarer perdu", "move_here": "Transférer ici"})
    c.done()
    tag = tag.upper()
    device = db.scalar(select(Device).where(Device.asset_tag == tag))
    if device is None:
        raise NotFound(f"Aucun appareil ne porte l'étiquette « {tag} ».")
    if db.get(StockTakeResolution, (st.id, device.id)) is not None:
        raise Conflict(f"L'écart de {tag} est déjà réglé.", code="already_resolved")
    found = results(db, actor, st)
    pool = found.missing if action == "lost" else found.unexpected
    item = next((d for d in pool if d.device.id == device.id), None)
    if item is None:
        kind = "manquants" if action == "lost" else "inattendus"
        raise Conflict(f"{tag} n'est pas parmi les appareils {kind} de cet inventaire physique.",
                       code="not_a_discrepancy")
    if item.action != action:
        raise Conflict(f"{tag} : {item.reason or 'action impossible maintenant.'}", code="cannot_resolve")
    note = f"Inventaire physique n° {st.id} ({st.site.name}, {date_fr(st.started_at)})"
    done = action
    if action == "lost":
        transition(db, actor, device, "lost", note=f"{note} : introuvable lors du comptage.",
                   data={"stocktake_id": st.id})
        done = "lost"
    else:
        if device.site_id != st.site_id:
            transfer_devices(db, actor, st.site.code, [device.asset_tag],
                             note=f"{note} : trouvé en rayon à « {st.site.name} ».")
            done = "moved_here"
        if device.state == "lost":
            transition(db, actor, device, "received", note=f"{note} : retrouvé lors du comptage.",
                       data={"stocktake_id": st.id})
            if done != "moved_here":
                done = "found_again"
    resolution = StockTakeResolution(stocktake_id=st.id, device_id=device.id, action=done, at=utcnow(),
                                     user_id=actor.id)
    db.add(resolution)
    db.flush()
    return resolution


RESOLUTION_LABELS = {"lost": "Déclaré perdu", "moved_here": "Transféré ici", "found_again": "Déclaré retrouvé"}
OUTCOME_LABELS = {"found": "Trouvé", "unexpected": "Inattendu", "unknown": "Inconnu"}


def render_report_pdf(db: Session, actor, st: StockTake) -> bytes:
    from ..formatting import datetime_fr, number_fr
    from ..pdf.layout import Column, Document
    from ..settings import get_setting

    res = results(db, actor, st)
    n = res.counts
    status = (f"Clos le {datetime_fr(st.closed_at)} par {st.closed_by.display_name}" if st.closed_by
              else "En cours (non clos)")
    doc = Document(network=get_setting(db, "network_name"), title=f"Inventaire physique n° {st.id}",
                   subtitle=st.site.name,
                   meta=[f"Commencé le {datetime_fr(st.started_at)} par {st.started_by.display_name}", status,
                         f"Imprimé le {datetime_fr(utcnow())} par {actor.display_name}"],
                   reference=f"INV-{st.id}")
    doc.heading("Résultat du comptage")
    doc.table([Column("", 3), Column("Nombre", 1, "right")], [
        ("Attendus (en stock au début)", number_fr(n.expected)), ("Trouvés", number_fr(n.found)),
        ("Manquants (attendus, non scannés)", number_fr(n.missing)),
        ("Inattendus (scannés ici, enregistrés ailleurs)", number_fr(n.unexpected)),
        ("Codes inconnus", number_fr(n.unknown))], size=9.5, zebra=False)

    def resolution_text(d: Discrepancy) -> str:
        if d.resolution is not None:
            return (f"{RESOLUTION_LABELS.get(d.resolution.action, d.resolution.action)} le "
                    f"{date_fr(d.resolution.at)} par {d.resolution.user.display_name}")
        return "Non réglé"

    cols = [Column("Étiquette", 1.2), Column("Appareil", 2.6), Column("N° de série", 1.9), Column("Suite donnée", 3)]
    doc.heading(f"Manquants — {number_fr(len(res.missing))}")
    if res.missing:
        doc.table(cols, [(d.device.asset_tag, f"{d.device.category_label} {d.device.title}",
                          d.device.serial_number or "", resolution_text(d)) for d in res.missing])
    else:
        doc.paragraph("Aucun appareil manquant.", muted=True)
    doc.heading(f"Inattendus — {number_fr(len(res.unexpected))}")
    if res.unexpected:
        doc.table([Column("Étiquette", 1.2), Column("Appareil", 2.3), Column("Enregistré à", 1.7),
                   Column("État", 1.4), Column("Suite donnée", 2.6)],
                  [(d.device.asset_tag, f"{d.device.category_label} {d.device.title}", d.device.site.name,
                    d.device.state_label, resolution_text(d)) for d in res.unexpected])
    else:
        doc.paragraph("Aucun appareil inattendu.", muted=True)
    doc.heading(f"Codes inconnus — {number_fr(len(res.unknown))}")
    if res.unknown:
        doc.table([Column("Code scanné", 3), Column("Scanné le", 2), Column("Par", 2)],
                  [(s.code, datetime_fr(s.at), s.user.display_name) for s in res.unknown])
    else:
        doc.paragraph("Aucun code inconnu.", muted=True)
    doc.heading(f"Trouvés — {number_fr(len(res.found))}")
    if res.found:
        doc.table([Column("Étiquette", 1.2), Column("Appareil", 3), Column("N° de série", 2), Column("Grade", 0.7,
                                                                                                    "center")],
                  [(d.asset_tag, f"{d.category_label} {d.title}", d.serial_number or "", d.grade or "")
                   for d in res.found])
    doc.spacer()
    doc.signature_block(["Le technicien", "Le gestionnaire"],
                        place_line=f"Comptage réalisé à « {st.site.name} », le {date_fr(st.started_at)}.")
    return doc.render()
