"""The imports, listed here one by one: devices (checked and created through the inventory's door) and
borrowers (whose columns and lines are the loans area's). The pages /imports/<key> work the same for each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.roles import LOAN_DESK_ROLES, WORKSHOP_ROLES
from ..errors import Forbidden, Invalid, NotFound
from ..inventory import services as inventory
from ..inventory.models import Device, DeviceEvent
from ..loans import imports as borrowers
from .imports import ImportContext, ImportField, Importer

# --- devices -------------------------------------------------------------------------------------

CATEGORY_WORDS = {
    "laptop": ("laptop", "portable", "ordinateur portable", "pc portable", "notebook", "ultraportable",
               "ordinateurs portables", "portables", "netbook", "chromebook"),
    "desktop": ("desktop", "fixe", "ordinateur fixe", "pc fixe", "tour", "unite centrale", "ordinateurs fixes",
                "pc", "ordinateur de bureau"),
    "tablet": ("tablet", "tablette", "tablettes", "ipad"),
    "smartphone": ("smartphone", "smartphones", "telephone", "telephone portable", "mobile", "gsm"),
    "screen": ("screen", "ecran", "ecrans", "moniteur", "monitor"),
    "printer": ("printer", "imprimante", "imprimantes", "multifonction", "imprimante multifonction"),
    "router": ("router", "routeur", "routeur 4g", "routeurs 4g", "box 4g", "modem 4g", "cle 4g", "hotspot"),
    "accessory": ("accessory", "accessoire", "accessoires", "webcam", "souris", "clavier", "casque", "chargeur"),
    "other": ("other", "autre", "autres", "divers"),
}

DEVICE_FIELDS = [
    ImportField("category", "Catégorie", True, ("categorie", "type", "type de materiel", "materiel", "type d appareil",
                                                "nature"), "portable, fixe, tablette, smartphone, écran…"),
    ImportField("brand", "Marque", False, ("marque", "fabricant", "constructeur", "make")),
    ImportField("model", "Modèle", False, ("modele", "designation", "reference modele", "libelle")),
    ImportField("serial_number", "N° de série", False, ("numero de serie", "n de serie", "n serie", "no de serie",
                                                        "no serie", "num serie", "serie", "sn", "s n", "serial",
                                                        "serial number", "numero serie")),
    ImportField("old_reference", "Ancien n° d'inventaire", False, ("ancien numero", "ancienne etiquette",
                                                                   "numero d inventaire", "n inventaire",
                                                                   "no inventaire", "inventaire", "etiquette",
                                                                   "tag", "asset tag", "reference", "ref", "id"),
                "gardé dans les notes ; un numéro en double est refusé"),
    ImportField("site", "Site", False, ("lieu", "localisation", "emplacement", "site code", "code site", "structure"),
                "code ou nom du site ; sinon le site choisi ci-dessus"),
    ImportField("condition", "État esthétique", False, ("etat esthetique", "aspect", "etat physique", "etat")),
    ImportField("notes", "Notes", False, ("remarques", "remarque", "commentaire", "commentaires", "observations",
                                          "observation")),
    ImportField("has_storage", "Contient des données", False, ("stockage de donnees", "contient des donnees",
                                                               "donnees", "has storage")),
    ImportField("cpu", "Processeur", False, ("processeur", "cpu", "proc")),
    ImportField("ram_gb", "Mémoire vive (Go)", False, ("ram", "memoire", "memoire vive", "ram go", "ram gb")),
    ImportField("storage_type", "Type de stockage", False, ("type de stockage", "type disque", "disque type")),
    ImportField("storage_gb", "Capacité de stockage (Go)", False, ("capacite", "stockage", "stockage go",
                                                                   "disque", "disque go", "capacite stockage",
                                                                   "hdd", "ssd")),
    ImportField("screen_inches", "Taille d'écran (pouces)", False, ("taille ecran", "pouces", "diagonale",
                                                                    "ecran pouces")),
    ImportField("os", "Système d'exploitation", False, ("os", "systeme", "systeme d exploitation")),
    ImportField("battery_health", "Santé de la batterie (%)", False, ("batterie", "sante batterie",
                                                                      "etat batterie")),
    ImportField("imei", "IMEI", False, ("imei",)),
]
SPEC_KEYS = ("cpu", "ram_gb", "storage_type", "storage_gb", "screen_inches", "os", "battery_health", "imei")
_NUMBER_WITH_UNIT = re.compile(r"^\s*(\d+)\s*(go|gb|g|%|to|tb)?\s*$", re.IGNORECASE)
_STORAGE_TYPES = {"ssd": "SSD", "hdd": "HDD", "emmc": "eMMC", "nvme": "NVMe", "aucun": "Aucun", "none": "Aucun"}


@dataclass
class DeviceRow:
    spec: Any  # refurb.inventory.services.DeviceInput
    old_reference: str


def _number(value: str) -> str:
    m = _NUMBER_WITH_UNIT.match(value)
    if not m:
        return value
    number, unit = int(m.group(1)), (m.group(2) or "").lower()
    if unit in ("to", "tb"):
        number *= 1000
    return str(number)


def _device_check_row(db: Session, user, values: dict, ctx: ImportContext) -> DeviceRow:
    raw_category = values.get("category", "")
    category = ctx.choice(raw_category, CATEGORY_WORDS)
    if not raw_category:
        raise Invalid(fields={"category": "La catégorie est vide (portable, fixe, tablette, smartphone, écran, "
                                          "imprimante, routeur 4G, accessoire, autre)."})
    if category is None:
        raise Invalid(fields={"category": f"Catégorie « {raw_category[:40]} » non reconnue : écrivez portable, fixe, "
                                          "tablette, smartphone, écran, imprimante, routeur 4G, accessoire ou autre."})
    site_value = (values.get("site") or "").strip() or ctx.default_site
    site = None
    if site_value:
        site = ctx.site(site_value)
        if site is None:
            raise Invalid(fields={"site": f"Site « {site_value[:40]} » inconnu : donnez le code (ex. EPN-CHINON) "
                                          "ou le nom exact d'un site du réseau."})
    else:
        raise Invalid(fields={"site": "Site non indiqué : ajoutez une colonne « Site » ou choisissez le site "
                                      "de destination avant de vérifier."})
    specs = {}
    for key in SPEC_KEYS:
        value = (values.get(key) or "").strip()
        if not value:
            continue
        if key in ("ram_gb", "storage_gb", "battery_health"):
            value = _number(value)
        if key == "storage_type":
            value = _STORAGE_TYPES.get(value.lower(), value)
        specs[key] = value
    old_ref = (values.get("old_reference") or "").strip()
    notes = (values.get("notes") or "").strip()
    if old_ref:
        if len(old_ref) > 60:
            raise Invalid(fields={"old_reference": "L'ancien numéro d'inventaire dépasse 60 caractères."})
        notes = (f"Ancienne référence : {old_ref}" + (f"\n{notes}" if notes else ""))
    data = {"category": category, "site": site.code, "brand": values.get("brand", ""),
            "model": values.get("model", ""), "serial_number": values.get("serial_number", ""),
            "condition": values.get("condition", ""), "notes": notes, "specs": specs}
    if values.get("has_storage", "").strip():
        data["has_storage"] = values["has_storage"].strip().lower()
    spec = inventory.parse_device_input(db, user, data)
    return DeviceRow(spec, old_ref)


def _device_check_batch(db: Session, user, items: list[tuple[int, DeviceRow]],
                        ctx: ImportContext) -> dict[int, str]:
    errors: dict[int, str] = {}
    first_serial: dict[str, int] = {}
    first_ref: dict[str, int] = {}
    for line, row in items:
        serial = row.spec.serial_number
        if serial:
            if serial in first_serial:
                errors[line] = (f"numéro de série {serial} en double (déjà ligne {first_serial[serial]}) : "
                                "un appareil ne s'importe qu'une fois")
            else:
                first_serial[serial] = line
        ref = row.old_reference.upper()
        if ref:
            if ref in first_ref:
                errors.setdefault(line, f"ancien numéro d'inventaire {row.old_reference} en double "
                                        f"(déjà ligne {first_ref[ref]})")
            else:
                first_ref[ref] = line
    serials = list(first_serial)
    known: dict[str, str] = {}
    for i in range(0, len(serials), 500):
        chunk = serials[i:i + 500]
        for serial, tag in db.execute(select(Device.serial_number, Device.asset_tag)
                                      .where(Device.serial_number.in_(chunk))):
            known.setdefault(serial, tag)
    for line, row in items:
        serial = row.spec.serial_number
        if serial in known:
            errors.setdefault(line, f"numéro de série {serial} déjà enregistré ({known[serial]}) : "
                                    "retirez cette ligne ou corrigez le numéro")
    return errors


def _device_commit_row(db: Session, user, row: DeviceRow, ctx: ImportContext) -> int:
    if row.spec.site not in db:  # checked by a reading session (a long import): the writing session's own site
        row.spec.site = db.merge(row.spec.site, load=False)
    return inventory.create_device(db, user, row.spec, note=f"Importé du fichier « {ctx.filename[:80]} »",
                                   origin={"import": ctx.filename[:120]}).id


def _device_withdraw(db: Session, device_ids: list[int]) -> list[str]:
    """Devices written by an import that did not end (failed, or its process killed): removed with their one
    "created" event, so that the import leaves nothing (their asset tags stay used: a tag is never reused). A
    device someone changed meanwhile (a move, a scan, a loan: any later event or record) is kept, its tag
    returned for the user to know."""
    kept: list[str] = []
    for start in range(0, len(device_ids), 500):
        chunk = device_ids[start:start + 500]
        untouched = list(db.scalars(select(Device.id).where(Device.id.in_(chunk), Device.version == 1)))
        kept += db.scalars(select(Device.asset_tag).where(Device.id.in_(chunk), Device.version != 1))
        if not _remove_devices(db, untouched):  # something refers to one of them: one at a time
            for device_id in untouched:
                if not _remove_devices(db, [device_id]):
                    kept.append(db.scalar(select(Device.asset_tag).where(Device.id == device_id)))
    return sorted(kept)


def _remove_devices(db: Session, device_ids: list[int]) -> bool:
    """Delete these devices and their events, or nothing if a row of another table refers to one of them."""
    if not device_ids:
        return True
    try:
        with db.begin_nested():
            db.execute(delete(DeviceEvent).where(DeviceEvent.device_id.in_(device_ids)))
            db.execute(delete(Device).where(Device.id.in_(device_ids)))
    except IntegrityError:
        return False
    return True


# --- the list ------------------------------------------------------------------------------------

IMPORTERS: dict[str, Importer] = {i.key: i for i in (
    Importer(key="devices", label="Appareils", roles=WORKSHOP_ROLES, fields=DEVICE_FIELDS,
             check_row=_device_check_row, check_batch=_device_check_batch, commit_row=_device_commit_row,
             withdraw=_device_withdraw),
    Importer(key="borrowers", label="Usagers", roles=LOAN_DESK_ROLES,
             fields=[ImportField(*column) for column in borrowers.BORROWER_COLUMNS],
             check_row=borrowers.check_borrower_line, check_batch=borrowers.check_borrower_batch,
             commit_row=borrowers.import_borrower_line),
)}


def get_importer(key: str, user) -> Importer:
    importer = IMPORTERS.get(key)
    if importer is None:
        raise NotFound(f"Aucun import ne s'appelle « {str(key)[:40]} ».")
    if user.role not in importer.roles:
        raise Forbidden(f"Votre rôle ne permet pas d'importer des {importer.label.lower()}.")
    return importer
