"""Recycling in batches, each batch a line of the DEEE waste register of outgoing waste (arrêté of
31 May 2021: date, waste code and name, quantity in tonnes, POP, producer, éco-organisme, carrier with
its address, SIRET and récépissé, destination facility with its address and SIRET, treatment code,
tracking slip). What the register names is required here (``REGISTER_RULE``); batches recorded before
may lack some of it, and the export says so (``exports.MISSING``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.roles import WORKSHOP_ROLES
from ..accounts.scope import limit_to_user_sites, require_site
from ..clock import today
from ..db import lock_rows, use_case
from ..errors import Conflict, NotFound
from ..inventory import lifecycle
from ..inventory import services as inventory
from ..inventory.models import Device
from ..settings import get_setting
from ..validation import Checker, as_id
from . import catalog
from .common import check_day_not_future, check_siret, require_role
from .erasure import add_destruction
from .models import Diagnosis, MediaDestruction, RecyclingBatch, RecyclingItem
from .rules import ensure_media_cleared, why_not
from .status import WORKSHOP_STATES, statuses

MAX_BATCH = 500
# The register of outgoing waste (arrêté of 31 May 2021) names the carrier (name, address, récépissé), the
# destination facility (name, address) and the treatment code: a batch is not recorded without them.
REGISTER_RULE = "le registre des déchets l'exige (arrêté du 31 mai 2021)"
# A device goes to recycling from the workshop or the pool; a "parts" carcass too (its state stays).
RECYCLABLE_STATES = frozenset(WORKSHOP_STATES) | {"loan_pool", "parts"}


def _weight(raw, c: Checker) -> Decimal | None:
    if raw in (None, "") or isinstance(raw, bool):
        c.add("weight_kg", "Le poids (kg) est obligatoire (pesée du lot).")
        return None
    text = str(raw).strip().replace(",", ".").replace(" ", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        c.add("weight_kg", "Le poids : nombre de kilogrammes attendu (ex. 12,5).")
        return None
    if not value.is_finite() or value <= 0 or value > 100000:
        c.add("weight_kg", "Le poids doit être supérieur à 0 kg (et au plus 100 000 kg).")
        return None
    if value != value.quantize(Decimal("0.01")):
        c.add("weight_kg", "Le poids : deux décimales au plus (ex. 12,35).")
        return None
    return value.quantize(Decimal("0.01"))


def _required_by_register(c: Checker, name: str, label: str, value: str | None, then: str = "") -> str:
    if not value and name not in c.errors:
        c.add(name, f"{label} est obligatoire : {REGISTER_RULE}.{(' ' + then) if then else ''}")
    return value or ""


@use_case
def create_batch(db: Session, actor, data: dict) -> RecyclingBatch:
    """Hand devices over to a DEEE channel: all of them, or none."""
    require_role(actor, WORKSHOP_ROLES, "d'enregistrer un lot de recyclage")
    c = Checker(data)
    tags_raw = data.get("asset_tags")
    if isinstance(tags_raw, str):
        tags_raw = tags_raw.replace(",", " ").split()
    tags: list[str] = []
    if not isinstance(tags_raw, list) or not tags_raw:
        c.add("asset_tags", "Choisissez ou scannez au moins un appareil à recycler.")
    elif len(tags_raw) > MAX_BATCH:
        c.add("asset_tags", f"{MAX_BATCH} appareils au plus par lot.")
    elif not all(isinstance(raw, str) for raw in tags_raw):
        c.add("asset_tags", "Les étiquettes des appareils sont des textes (ex. RF-000123).")
    else:
        for raw in tags_raw:
            tag = raw.strip().upper()
            if tag and tag not in tags:
                tags.append(tag)
        if not tags:
            c.add("asset_tags", "Les étiquettes sont vides : choisissez ou scannez au moins un appareil à recycler.")
    handed_over_on = c.day("handed_over_on", "La date d'enlèvement") or \
        (today() if "handed_over_on" not in c.errors else None)
    check_day_not_future(handed_over_on, "handed_over_on", "La date d'enlèvement", c.errors)
    waste_code = c.choice("waste_code", "Le code déchet", catalog.WASTE_CODES, default="16 02 14")
    weight = _weight(data.get("weight_kg"), c)
    eco_organisme = c.text("eco_organisme", "L'éco-organisme", max_len=160) or ""
    carrier = _required_by_register(c, "carrier", "Le nom du transporteur",
                                    c.text("carrier", "Le nom du transporteur", max_len=160))
    carrier_address = _required_by_register(c, "carrier_address", "L'adresse du transporteur",
                                            c.text("carrier_address", "L'adresse du transporteur", max_len=300))
    carrier_siret = check_siret(data.get("carrier_siret"), "carrier_siret", "Le SIRET du transporteur", c.errors)
    # Any text the carrier or the recycler gives (a number, or why there is none): the register asks for it.
    carrier_receipt = _required_by_register(
        c, "carrier_receipt", "Le n° de récépissé du transporteur",
        c.text("carrier_receipt", "Le n° de récépissé du transporteur", max_len=60),
        "Recopiez celui que donne le transporteur ou le recycleur.")
    facility = _required_by_register(c, "facility", "Le nom de l'installation de traitement",
                                     c.text("facility", "Le nom de l'installation de traitement", max_len=160))
    facility_address = _required_by_register(c, "facility_address", "L'adresse de l'installation",
                                             c.text("facility_address", "L'adresse de l'installation", max_len=300))
    contains_pop = c.boolean("contains_pop", "Polluants organiques persistants (POP)", default=False)
    facility_siret = check_siret(data.get("facility_siret"), "facility_siret", "Le SIRET de l'installation",
                                 c.errors)
    treatment = _required_by_register(
        c, "treatment_code", "Le code de traitement",
        c.choice("treatment_code", "Le code de traitement", catalog.TREATMENT_CODES, required=False),
        f"Demandez-le à l'installation ({', '.join(code for code in catalog.TREATMENT_CODES if code)}).")
    tracking = c.text("tracking_number", "Le numéro du bordereau de suivi", max_len=60, required=True)
    notes = c.text("notes", "Les notes", max_len=2000) or ""
    destruction_number = c.text("media_destruction_certificate", "Le n° du certificat de destruction des supports",
                                max_len=60) or ""
    c.done()
    if db.scalar(select(RecyclingBatch.id).where(RecyclingBatch.tracking_number == tracking)) is not None:
        raise Conflict(f"Le bordereau n° {tracking} est déjà enregistré au registre : vérifiez le numéro.",
                       fields={"tracking_number": "Déjà enregistré."})
    devices = [inventory.get_device(db, actor, tag) for tag in tags]  # NotFound / Forbidden stop everything
    lock_rows(db, Device, [d.id for d in devices])  # then read them again, as they are now
    db.scalars(select(Device).where(Device.id.in_([d.id for d in devices]))
               .execution_options(populate_existing=True)).all()
    workshop = statuses(db, devices)
    problems, unerased = [], []
    for device in devices:
        tag = device.asset_tag
        if device.state not in RECYCLABLE_STATES and device.state != "recycled":
            problems.append(f"{tag} est « {device.state_label} »")
        elif db.get(RecyclingItem, device.id) is not None:
            problems.append(f"{tag} figure déjà dans un lot de recyclage")
        elif why_not(ensure_media_cleared, db, device, workshop[device.id]):
            unerased.append(device)
    if unerased and not destruction_number:
        problems.append(", ".join(d.asset_tag for d in unerased) + " : support de données ni effacé ni détruit")
    sites = {d.site_id for d in devices}
    if len(sites) > 1:
        problems.append("les appareils d'un lot doivent être au même site (celui de l'enlèvement)")
    if problems:
        hint = (" Enregistrez l'effacement ou la destruction de leurs supports dans le panneau Atelier de chaque "
                "appareil, ou indiquez le n° du certificat de destruction des supports délivré par le recycleur."
                if unerased and not destruction_number else "")
        fields = {"media_destruction_certificate": "Supports non effacés : n° du certificat de destruction du "
                                                   "recycleur, ou effacez-les d'abord."} if hint else None
        raise Conflict("Aucun appareil n'a été recyclé : " + " ; ".join(problems) + "." + hint,
                       code="recycling_refused", fields=fields)
    site = devices[0].site
    require_site(actor, site.id, f"le site « {site.name} »")
    batch = RecyclingBatch(site_id=site.id, user_id=actor.id, handed_over_on=handed_over_on, waste_code=waste_code,
                           weight_kg=weight, producer_siret=get_setting(db, "producer_siret") or "",
                           carrier_name=carrier, carrier_siret=carrier_siret or "", facility_name=facility,
                           facility_siret=facility_siret or "", treatment_code=treatment, tracking_number=tracking,
                           notes=notes, eco_organisme=eco_organisme, carrier_address=carrier_address,
                           carrier_receipt=carrier_receipt, facility_address=facility_address,
                           contains_pop=bool(contains_pop))
    db.add(batch)
    db.flush()
    for device in unerased:  # the recycler destroys their media and certifies it
        add_destruction(db, actor, device, {
            "destroyed_by": "recycler", "method": "", "recycler_name": facility,
            "certificate_number": destruction_number, "destroyed_on": handed_over_on,
            "notes": f"Lot {batch.reference}, bordereau {tracking}"}, batch_id=batch.id)
    note = f"Lot {batch.reference} — bordereau {tracking} — {facility}"
    for device in devices:
        db.add(RecyclingItem(batch_id=batch.id, device_id=device.id))
        data_ = {"batch_id": batch.id, "tracking_number": tracking}
        if device.state in ("parts", "recycled"):
            inventory.record_event(db, device, actor, "recycling", note=note, data=data_)
        else:
            lifecycle.apply(db, actor, device, "recycled", note=note, action="recycling", data=data_)
    db.flush()
    db.refresh(batch)
    return batch


def get_batch(db: Session, actor, batch_id) -> RecyclingBatch:
    require_role(actor, WORKSHOP_ROLES, "de consulter le registre DEEE")
    key = as_id(batch_id)
    batch = db.get(RecyclingBatch, key) if key is not None else None
    if batch is None:
        raise NotFound(f"Aucun lot de recyclage n° {str(batch_id)[:20]}.")
    require_site(actor, batch.site_id, f"le lot {batch.reference} (site « {batch.site.name} »)")
    return batch


def destructions_of_batch(db: Session, batch: RecyclingBatch) -> list[MediaDestruction]:
    """The media the recycler certified destroyed with this batch."""
    return list(db.scalars(select(MediaDestruction).where(MediaDestruction.batch_id == batch.id)
                           .order_by(MediaDestruction.device_id)))


def register(db: Session, actor, *, year: int | None = None, limit: int = 2000) -> list[RecyclingBatch]:
    """The chronological register (kept at least 3 years)."""
    require_role(actor, WORKSHOP_ROLES, "de consulter le registre DEEE")
    stmt = limit_to_user_sites(select(RecyclingBatch), RecyclingBatch.site_id, actor)
    if year:
        stmt = stmt.where(RecyclingBatch.handed_over_on >= date(year, 1, 1),
                          RecyclingBatch.handed_over_on <= date(year, 12, 31))
    return list(db.scalars(stmt.order_by(RecyclingBatch.handed_over_on, RecyclingBatch.id).limit(limit)))


def candidates(db: Session, actor, site=None) -> list[Device]:
    """Devices waiting for recycling: the diagnosis said so, or they were recycled outside a batch."""
    require_role(actor, WORKSHOP_ROLES, "de préparer un lot de recyclage")
    latest = {}
    stmt = limit_to_user_sites(select(Device), Device.site_id, actor).where(
        Device.state.in_(tuple(WORKSHOP_STATES) + ("recycled",)))
    if site is not None:
        stmt = stmt.where(Device.site_id == site.id)
    devices = list(db.scalars(stmt.order_by(Device.updated_at, Device.id).limit(2000)))
    ids = [d.id for d in devices]
    if not ids:
        return []
    for d in db.scalars(select(Diagnosis).where(Diagnosis.device_id.in_(ids)).order_by(Diagnosis.at, Diagnosis.id)):
        latest[d.device_id] = d
    batched = set(db.scalars(select(RecyclingItem.device_id).where(RecyclingItem.device_id.in_(ids))))
    result = []
    for device in devices:
        if device.id in batched:
            continue
        if device.state == "recycled" or (latest.get(device.id) and latest[device.id].verdict == "recycle"
                                          and device.state != "ready"):
            result.append(device)
    return result

