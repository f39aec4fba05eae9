"""Donors and donations (collecte): a donation creates all its devices in one go, each
keeping its origin; devices given by a public body are subject to the "prix solidaires" caps."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..accounts.scope import limit_to_user_sites, require_site
from ..errors import Conflict, Invalid, NotFound, RefurbError
from ..inventory import services as inventory
from ..inventory.models import Device
from ..sites.services import get_site
from ..validation import Checker
from . import catalog
from .common import DESK_ROLES, check_day_not_future, check_siret, require_role, today
from .models import DeviceOrigin, Donation, Donor

MAX_DEVICES = 200
DONOR_FIELDS = ("kind", "name", "siret", "contact_name", "email", "phone", "address", "postal_code", "city", "notes")


# --- donors ---------------------------------------------------------------------------------

def _donor_fields(data: dict, prefix: str = "") -> tuple[dict, dict[str, str]]:
    c = Checker(data)
    values = {
        "kind": c.choice("kind", "Le type de donateur", catalog.DONOR_KINDS),
        "name": c.text("name", "Le nom du donateur", max_len=160, required=True),
        "contact_name": c.text("contact_name", "Le nom du contact", max_len=120) or "",
        "email": c.text("email", "Le courriel", max_len=120, pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+",
                        pattern_hint="nom@domaine.fr") or "",
        "phone": c.text("phone", "Le téléphone", max_len=30, pattern=r"[0-9+ .()-]{6,30}",
                        pattern_hint="chiffres, espaces, + . -") or "",
        "address": c.text("address", "L'adresse", max_len=200) or "",
        "postal_code": c.text("postal_code", "Le code postal", max_len=10, pattern=r"\d{5}",
                              pattern_hint="5 chiffres") or "",
        "city": c.text("city", "La commune", max_len=80) or "",
        "notes": c.text("notes", "Les notes", max_len=2000) or "",
    }
    values["siret"] = check_siret(data.get("siret"), "siret", "Le SIRET", c.errors,
                                  required=values["kind"] == "company")
    return values, {f"{prefix}{k}": v for k, v in c.errors.items()}


def find_donor_by_siret(db: Session, siret: str | None) -> Donor | None:
    return db.scalar(select(Donor).where(Donor.siret == siret)) if siret else None


def create_donor(db: Session, actor, data: dict) -> Donor:
    require_role(actor, DESK_ROLES, "d'enregistrer un donateur")
    values, errors = _donor_fields(data)
    if errors:
        raise Invalid(fields=errors)
    existing = find_donor_by_siret(db, values["siret"])
    if existing is not None:
        raise Conflict(f"Le SIRET {values['siret']} est déjà celui du donateur « {existing.name} ».",
                       fields={"siret": f"Déjà enregistré : {existing.name}."})
    donor = Donor(**values)
    db.add(donor)
    db.flush()
    return donor


def update_donor(db: Session, actor, donor: Donor, data: dict) -> Donor:
    require_role(actor, DESK_ROLES, "de modifier un donateur")
    values, errors = _donor_fields(data)
    if errors:
        raise Invalid(fields=errors)
    existing = find_donor_by_siret(db, values["siret"])
    if existing is not None and existing.id != donor.id:
        raise Conflict(f"Le SIRET {values['siret']} est déjà celui du donateur « {existing.name} ».",
                       fields={"siret": f"Déjà enregistré : {existing.name}."})
    for key, value in values.items():
        setattr(donor, key, value)
    db.flush()
    return donor


def get_donor(db: Session, actor, donor_id) -> Donor:
    require_role(actor, DESK_ROLES, "de consulter les donateurs")
    try:
        donor = db.get(Donor, int(donor_id))
    except (TypeError, ValueError):
        donor = None
    if donor is None:
        raise NotFound(f"Aucun donateur n° {str(donor_id)[:20]}.")
    return donor


def list_donors(db: Session, actor, q: str = "", limit: int = 500) -> list[Donor]:
    require_role(actor, DESK_ROLES, "de consulter les donateurs")
    stmt = select(Donor).order_by(func.lower(Donor.name), Donor.id)
    q = (q or "").strip()[:80]
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(Donor.name).like(like), Donor.siret.like(f"%{q}%"),
                              func.lower(Donor.city).like(like)))
    return list(db.scalars(stmt.limit(limit)))


def _resolve_donor(db: Session, raw) -> tuple[Donor | None, dict | None, dict[str, str]]:
    """The donor of a donation: ``{"id": n}`` for a known one, else the fields of a new one
    (a known SIRET names the existing donor)."""
    if not isinstance(raw, dict):
        return None, None, {"donor": "Indiquez le donateur (nom et type au moins)."}
    if raw.get("id") not in (None, ""):
        try:
            donor = db.get(Donor, int(raw["id"]))
        except (TypeError, ValueError):
            donor = None
        if donor is None:
            return None, None, {"donor.id": f"Aucun donateur n° {str(raw['id'])[:20]}."}
        return donor, None, {}
    values, errors = _donor_fields(raw, prefix="donor.")
    if errors:
        return None, None, errors
    existing = find_donor_by_siret(db, values["siret"])
    if existing is not None:
        return existing, None, {}
    return None, values, {}


# --- donations ------------------------------------------------------------------------------

def create_donation(db: Session, actor, data: dict) -> tuple[Donation, list[Device]]:
    """Record a donation and create its devices (all of them, or none)."""
    require_role(actor, DESK_ROLES, "d'enregistrer un don")
    c = Checker(data)
    site_code = c.text("site", "Le site de réception", max_len=32, required=True)
    received_on = c.day("received_on", "La date de réception", required=True)
    check_day_not_future(received_on, "received_on", "La date de réception", c.errors)
    certificate = c.boolean("erasure_certificate_required", "Certificat d'effacement demandé", default=True)
    convention = c.text("convention_reference", "La référence de la convention", max_len=80) or ""
    conditions = c.text("conditions", "Les conditions du donateur", max_len=2000) or ""
    donor, new_donor, donor_errors = _resolve_donor(db, data.get("donor"))
    c.errors.update(donor_errors)
    raw_devices = data.get("devices")
    if not isinstance(raw_devices, list) or not raw_devices:
        c.add("devices", "Ajoutez au moins un appareil au don.")
        raw_devices = []
    elif len(raw_devices) > MAX_DEVICES:
        c.add("devices", f"{MAX_DEVICES} appareils au plus par don : enregistrez-le en plusieurs fois.")
        raw_devices = []
    if c.errors.get("site") is None and site_code:
        site = get_site(db, site_code, active_only=True)
        require_site(actor, site.id, f"le site « {site.name} »")
    else:
        site = None
    specs = []
    serials: dict[str, int] = {}
    for i, raw in enumerate(raw_devices):
        if not isinstance(raw, dict):
            c.add(f"devices.{i}", f"Appareil {i + 1} : objet attendu.")
            continue
        try:
            spec = inventory.parse_device_input(db, actor, {**raw, "site": site_code}, default_site=site) \
                if site is not None else None
        except Invalid as err:
            for key, message in err.fields.items():
                c.add(f"devices.{i}.{key}", f"Appareil {i + 1} : {message}")
            continue
        if spec is None:
            continue
        if spec.serial_number:
            if spec.serial_number in serials:
                c.add(f"devices.{i}.serial_number",
                      f"Appareil {i + 1} : numéro de série {spec.serial_number} déjà saisi "
                      f"pour l'appareil {serials[spec.serial_number] + 1}.")
            serials[spec.serial_number] = i
        specs.append(spec)
    c.done()
    if donor is None:
        existing = find_donor_by_siret(db, new_donor["siret"])
        donor = existing or Donor(**new_donor)
        if existing is None:
            db.add(donor)
            db.flush()
    donation = Donation(donor_id=donor.id, donor=donor, site_id=site.id, site=site, received_on=received_on,
                        erasure_certificate_required=bool(certificate), convention_reference=convention,
                        conditions=conditions, user_id=actor.id)
    db.add(donation)
    db.flush()
    capped = donor.kind == "public_body"
    allow_known = bool(Checker(data).boolean("allow_known_serial", "Numéros déjà connus confirmés") or False)
    devices = []
    for i, spec in enumerate(specs):
        try:
            device = inventory.create_device(
                db, actor, spec, allow_known_serial=allow_known, note=f"Don {donation.reference} — {donor.name}",
                origin={"donation_id": donation.id, "donation": donation.reference, "donor": donor.name,
                        "donor_kind": donor.kind, "price_capped": capped})
        except RefurbError as err:
            if err.fields:
                err.fields = {f"devices.{i}.{k}": v for k, v in err.fields.items()}
            err.message = f"Appareil {i + 1} : {err.message} Rien n'a été enregistré."
            raise
        db.add(DeviceOrigin(device_id=device.id, donation_id=donation.id, price_capped=capped))
        devices.append(device)
    db.flush()
    db.expire(donation, ["origins"])
    return donation, devices


def get_donation(db: Session, actor, donation_id) -> Donation:
    require_role(actor, DESK_ROLES, "de consulter les dons")
    try:
        donation = db.get(Donation, int(donation_id))
    except (TypeError, ValueError):
        donation = None
    if donation is None:
        raise NotFound(f"Aucun don n° {str(donation_id)[:20]}.")
    require_site(actor, donation.site_id, f"le don {donation.reference} (site « {donation.site.name} »)")
    return donation


def list_donations(db: Session, actor, *, donor: Donor | None = None, limit: int = 200) -> list[Donation]:
    require_role(actor, DESK_ROLES, "de consulter les dons")
    stmt = limit_to_user_sites(select(Donation), Donation.site_id, actor)
    if donor is not None:
        stmt = stmt.where(Donation.donor_id == donor.id)
    return list(db.scalars(stmt.order_by(Donation.received_on.desc(), Donation.id.desc()).limit(limit)))


def donation_counts(db: Session, donation_ids: list[int]) -> dict[int, int]:
    if not donation_ids:
        return {}
    rows = db.execute(select(DeviceOrigin.donation_id, func.count()).where(DeviceOrigin.donation_id.in_(donation_ids))
                      .group_by(DeviceOrigin.donation_id))
    return dict(rows.all())


def origin_of(db: Session, device: Device) -> DeviceOrigin | None:
    return db.get(DeviceOrigin, device.id)


def default_received_on() -> str:
    return today().isoformat()
