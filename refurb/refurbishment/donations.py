"""Donors and donations (collecte): a donation creates all its devices in one go, each
keeping its origin; devices given by a public body are subject to the "prix solidaires" caps.

Which donors a user sees (``get_donor``, the one lookup that loads a donor, and the lists):
- network roles (admin, manager) see every donor;
- a site-bound user (technician, reception) sees a donor that gave at one of their sites, or that was
  registered at one of them (``Donor.site_id``: a donor recorded before its first donation); the
  record (phone, e-mail, address, notes) and its edit form are refused (403) for any other donor.
- To record a donation at their site, a site-bound user picks from ``donor_choices``: the donors they
  see, plus the organisations of the network (companies, public bodies, associations: legal persons
  that often give at several sites) shown by name, kind and town only, never their contact data.
  A private person who gave only elsewhere is not offered (and is refused by id): the desk registers
  them again. Once the donation is recorded, the donor gave at this site and is seen here.
"""

from __future__ import annotations

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from ..accounts.roles import STAFF_ROLES
from ..accounts.scope import limit_to_user_sites, require_site, site_ids
from ..db import use_case
from ..errors import Conflict, Forbidden, Invalid, NotFound, RefurbError
from ..inventory import services as inventory
from ..inventory.models import Device
from ..sites.services import get_site
from ..validation import Checker, as_id
from . import catalog
from .common import check_day_not_future, check_siret, require_role
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


# Donor kinds that are legal persons: offered network-wide in the donation form (name, kind, town).
ORGANISATION_KINDS = ("company", "public_body", "association")


def find_donor_by_siret(db: Session, siret: str | None) -> Donor | None:
    return db.scalar(select(Donor).where(Donor.siret == siret)) if siret else None


def _visible(actor):
    """The SQL condition "this user sees this donor" (None: every donor; see the module's docstring)."""
    ids = site_ids(actor)
    if ids is None:
        return None
    if not ids:
        return false()
    gave_here = select(Donation.id).where(Donation.donor_id == Donor.id, Donation.site_id.in_(ids)).exists()
    return or_(Donor.site_id.in_(ids), gave_here)


def sees_donor(db: Session, actor, donor: Donor) -> bool:
    condition = _visible(actor)
    return condition is None or db.scalar(select(Donor.id).where(Donor.id == donor.id, condition)) is not None


def _siret_taken(db: Session, actor, siret: str | None, donor: Donor | None = None) -> None:
    existing = find_donor_by_siret(db, siret)
    if existing is None or (donor is not None and existing.id == donor.id):
        return
    if existing.kind in ORGANISATION_KINDS or sees_donor(db, actor, existing):
        raise Conflict(f"Le SIRET {siret} est déjà celui du donateur « {existing.name} ».",
                       fields={"siret": f"Déjà enregistré : {existing.name}."})
    raise Conflict(f"Le SIRET {siret} est déjà enregistré pour un donateur d'un autre site. Pour un don, saisissez "
                   "ce SIRET dans le formulaire du don : le donateur existant sera repris.",
                   fields={"siret": "Déjà enregistré (donateur d'un autre site)."})


def _registering_site(db: Session, actor, data: dict):
    """The site a new donor is registered at: the one given, else the user's home site (or their only
    site); none for a network role that names none."""
    code = data.get("site")
    if isinstance(code, str) and code.strip():
        site = get_site(db, code.strip().upper(), active_only=True)
        require_site(actor, site.id, f"le site « {site.name} »")
        return site
    ids = site_ids(actor)
    if ids is None:
        return None
    home = getattr(actor, "home_site", None)
    if home is not None and home.id in ids:
        return home
    if len(ids) == 1:
        return next(iter(actor.sites))
    raise Invalid(fields={"site": "Indiquez le site où le donateur est enregistré (un de vos sites)."})


@use_case
def create_donor(db: Session, actor, data: dict) -> Donor:
    require_role(actor, STAFF_ROLES, "d'enregistrer un donateur")
    values, errors = _donor_fields(data)
    if errors:
        raise Invalid(fields=errors)
    _siret_taken(db, actor, values["siret"])
    site = _registering_site(db, actor, data)
    donor = Donor(**values, site_id=site.id if site is not None else None)
    db.add(donor)
    db.flush()
    return donor


@use_case
def update_donor(db: Session, actor, donor: Donor, data: dict) -> Donor:
    """Change a donor loaded with ``get_donor`` (which decided the user may see it)."""
    require_role(actor, STAFF_ROLES, "de modifier un donateur")
    values, errors = _donor_fields(data)
    if errors:
        raise Invalid(fields=errors)
    _siret_taken(db, actor, values["siret"], donor)
    for key, value in values.items():
        setattr(donor, key, value)
    db.flush()
    return donor


def get_donor(db: Session, actor, donor_id) -> Donor:
    """The one lookup that loads a donor for a user: 404 for an unknown id, 403 for a donor the user
    does not see (see the module's docstring)."""
    require_role(actor, STAFF_ROLES, "de consulter les donateurs")
    key = as_id(donor_id)
    donor = db.get(Donor, key) if key is not None else None
    if donor is None:
        raise NotFound(f"Aucun donateur n° {str(donor_id)[:20]}.")
    if not sees_donor(db, actor, donor):
        raise Forbidden(f"Vous n'avez pas accès au donateur n° {donor.id} : il n'a donné qu'à des sites que vous ne "
                        "servez pas. Demandez à un gestionnaire.")
    return donor


def list_donors(db: Session, actor, q: str = "", limit: int = 500) -> list[Donor]:
    """The donors this user sees (whole records: the donors page)."""
    require_role(actor, STAFF_ROLES, "de consulter les donateurs")
    stmt = select(Donor).order_by(func.lower(Donor.name), Donor.id)
    condition = _visible(actor)
    if condition is not None:
        stmt = stmt.where(condition)
    q = (q or "").strip()[:80]
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(Donor.name).like(like), Donor.siret.like(f"%{q}%"),
                              func.lower(Donor.city).like(like)))
    return list(db.scalars(stmt.limit(limit)))


def donor_choices(db: Session, actor, limit: int = 500) -> list[tuple[int, str]]:
    """What the donation form offers as known donors: (id, "name — kind — town"), no contact data.
    The donors the user sees, plus the network's organisations (see the module's docstring)."""
    require_role(actor, STAFF_ROLES, "d'enregistrer un don")
    stmt = select(Donor.id, Donor.name, Donor.kind, Donor.city).order_by(func.lower(Donor.name), Donor.id)
    condition = _visible(actor)
    if condition is not None:
        stmt = stmt.where(or_(condition, Donor.kind.in_(ORGANISATION_KINDS)))
    return [(id_, " — ".join(p for p in (name, catalog.DONOR_KINDS.get(kind, kind), city) if p))
            for id_, name, kind, city in db.execute(stmt.limit(limit))]


def _chosen_donor(db: Session, actor, raw_id) -> Donor | None:
    """A known donor picked for a donation (by id): one of ``donor_choices``, else None."""
    key = as_id(raw_id)
    donor = db.get(Donor, key) if key is not None else None
    if donor is None or not (donor.kind in ORGANISATION_KINDS or sees_donor(db, actor, donor)):
        return None
    return donor


def _resolve_donor(db: Session, actor, raw) -> tuple[Donor | None, dict | None, dict[str, str]]:
    """The donor of a donation: ``{"id": n}`` for a known one (among ``donor_choices``), else the fields
    of a new one (a known SIRET names the existing donor)."""
    if not isinstance(raw, dict):
        return None, None, {"donor": "Indiquez le donateur (nom et type au moins)."}
    if raw.get("id") not in (None, ""):
        donor = _chosen_donor(db, actor, raw["id"])
        if donor is None:
            return None, None, {"donor.id": f"Aucun donateur n° {str(raw['id'])[:20]} parmi ceux que vous pouvez "
                                            "choisir : choisissez-le dans la liste, ou enregistrez le donateur."}
        return donor, None, {}
    values, errors = _donor_fields(raw, prefix="donor.")
    if errors:
        return None, None, errors
    existing = find_donor_by_siret(db, values["siret"])
    if existing is not None:
        return existing, None, {}
    return None, values, {}


# --- donations ------------------------------------------------------------------------------

@use_case
def create_donation(db: Session, actor, data: dict) -> tuple[Donation, list[Device]]:
    """Record a donation and create its devices (all of them, or none)."""
    require_role(actor, STAFF_ROLES, "d'enregistrer un don")
    c = Checker(data)
    site_code = c.text("site", "Le site de réception", max_len=32, required=True)
    received_on = c.day("received_on", "La date de réception", required=True)
    check_day_not_future(received_on, "received_on", "La date de réception", c.errors)
    certificate = c.boolean("erasure_certificate_required", "Certificat d'effacement demandé", default=True)
    convention = c.text("convention_reference", "La référence de la convention", max_len=80) or ""
    conditions = c.text("conditions", "Les conditions du donateur", max_len=2000) or ""
    donor, new_donor, donor_errors = _resolve_donor(db, actor, data.get("donor"))
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
        donor = existing or Donor(**new_donor, site_id=site.id)
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
    require_role(actor, STAFF_ROLES, "de consulter les dons")
    key = as_id(donation_id)
    donation = db.get(Donation, key) if key is not None else None
    if donation is None:
        raise NotFound(f"Aucun don n° {str(donation_id)[:20]}.")
    require_site(actor, donation.site_id, f"le don {donation.reference} (site « {donation.site.name} »)")
    return donation


def list_donations(db: Session, actor, *, donor: Donor | None = None, limit: int = 200) -> list[Donation]:
    require_role(actor, STAFF_ROLES, "de consulter les dons")
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
