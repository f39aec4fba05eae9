"""Hardware reports applied to devices: the specs a report knows (pinned keys of ``specs``), the SMART
result for the diagnosis, and from an nwipe log one erasure record per erased disk, made by the same
``record_erasure`` a technician uses. The file is kept (``stored_files``, never expires) with its SHA-256,
and the device's history names it.

A report never silently replaces what is already on the device: a value typed by a person or set by an
earlier report stays, and the difference becomes a *choice* shown on the device page (take the report's
value, or keep the device's). A report of another machine (its system serial differs from the device's)
changes nothing until a person says it is the right device.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import String, bindparam, cast, exists, select
from sqlalchemy.orm import Session

from .. import storage
from ..accounts.roles import STAFF_ROLES, WORKSHOP_ROLES
from ..accounts.scope import require_site
from ..db import use_case
from ..errors import Conflict, Forbidden, Invalid, NotFound, RefurbError
from ..formatting import plural
from ..inventory import services as inventory
from ..inventory.models import Device
from . import hwreports
from .common import require_role
from .erasure import ReportFile, ReportStore, record_erasure
from .models import ErasureMedium, HardwareReport

DEFAULT_MAX_HARDWARE_REPORT_MB = 10
PURPOSE = "hardware_report"
PENDING = "hardware_pending"  # a file that matched no device, kept a day for the one-click choice
PENDING_KEEP = timedelta(days=1)
PINNED_SPECS = ("manufacturer", "model", "cpu", "ram_gb", "storage", "battery_health_pct", "screen_resolution")
SPEC_LABELS = {"manufacturer": "Fabricant", "model": "Modèle (rapport)", "cpu": "Processeur", "ram_gb": "Mémoire vive (Go)",
               "storage": "Stockage", "battery_health_pct": "Santé de la batterie (%)",
               "screen_resolution": "Définition de l'écran", "serial_number": "Numéro de série"}
ANONYMISED = ("Journal anonymisé (nwipe -q) : les numéros de série y sont masqués, il ne prouve l'effacement "
              "d'aucun disque précis. Il est gardé comme pièce jointe, sans effacement enregistré : enregistrez "
              "l'effacement à la main avec le numéro de série du disque, ou relancez nwipe sans -q.")


class TooLarge(RefurbError):
    status = 413
    code = "too_large"


@dataclass
class Upload:
    filename: str
    content: bytes


@dataclass
class Outcome:
    """What one file did: its report record (new, or the one already received), what it applied, warned."""
    report: HardwareReport
    device: Device
    created: bool
    applied: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Unmatched:
    filename: str
    reason: str
    token: str  # the file kept a day: a person picks the device with it
    kind: str = ""
    sha256: str = ""


def require_report_sender(actor) -> None:
    """Who may send hardware reports: the workshop (checked before a file is even read)."""
    require_role(actor, WORKSHOP_ROLES, "de joindre un rapport matériel")


# --- reading a file -------------------------------------------------------------------------------

def _safe_name(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", base).strip()[:200] or "rapport"


def _check_size(upload: Upload, max_bytes: int) -> None:
    if not upload.content:
        raise Invalid(f"« {_safe_name(upload.filename)} » est vide.", fields={"file": "Le fichier est vide."})
    if len(upload.content) > max_bytes:
        raise TooLarge(f"« {_safe_name(upload.filename)} » fait {len(upload.content) / 1048576:.1f} Mo : un rapport "
                       f"fait {max_bytes // 1048576} Mo au plus (un journal nwipe ou un lshw font quelques "
                       "dizaines de Ko). Vérifiez que c'est le bon fichier.")


def read_upload(upload: Upload) -> hwreports.Reading:
    try:
        return hwreports.read(upload.content, upload.filename)
    except hwreports.Unreadable as err:
        message = f"« {_safe_name(upload.filename)} » : {err}"
        raise Invalid(message, fields={"file": str(err)}, code="unknown_format") from None


def _existing(db: Session, digest: str) -> HardwareReport | None:
    return db.scalar(select(HardwareReport).where(HardwareReport.sha256 == digest))


# --- applying a report to a device ----------------------------------------------------------------

def _norm(value) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def _same(a, b) -> bool:
    """Equal for a person: case and spaces aside, a truncated model (lshw cuts at 16 characters) included."""
    x, y = _norm(a), _norm(b)
    return x == y or (len(min(x, y, key=len)) >= 8 and (x.startswith(y) or y.startswith(x)))


def _merge_storage(current: list[dict], reported: list[dict], applied: dict, choices: list[dict]) -> list[dict]:
    disks = [dict(d) for d in current if isinstance(d, dict)]
    known = {_norm(d.get("serial")): d for d in disks if d.get("serial")}
    had_disks = bool(disks)  # a device with no disk listed takes them all; otherwise a new one is a choice
    for disk in reported:
        mine = known.get(_norm(disk["serial"]))
        if mine is None:
            if had_disks:
                choices.append({"key": "storage", "serial": disk["serial"], "reported": disk,
                                "current": None})
                continue
            disks.append(dict(disk))
            known[_norm(disk["serial"])] = disks[-1]  # listed twice in one report: once on the device
            applied.setdefault("storage_added", []).append(disk["serial"])
            continue
        for key in ("model", "size_gb", "type"):
            new, old = disk.get(key), mine.get(key)
            if new in (None, ""):
                continue
            if old in (None, ""):
                mine[key] = new
                applied.setdefault("storage_completed", []).append(f"{disk['serial']}.{key}")
            elif key == "model" and _same(old, new):
                if len(str(new)) > len(str(old)):
                    mine[key] = new
            elif not _same(old, new):
                choices.append({"key": f"storage.{key}", "serial": disk["serial"], "current": old, "reported": new})
    return disks


def _merge_specs(device: Device, values: dict, applied: dict, choices: list[dict]) -> None:
    specs = dict(device.specs or {})
    for key in PINNED_SPECS:
        if key not in values:
            continue
        new = values[key]
        if key == "storage":
            merged = _merge_storage(specs.get("storage") or [], new, applied, choices)
            if merged != (specs.get("storage") or []):
                specs["storage"] = merged
            continue
        old = specs.get(key)
        if old in (None, "", []):
            specs[key] = new
            applied[key] = new
        elif not _same(old, new):
            choices.append({"key": key, "current": old, "reported": new})
    device.specs = specs


def _other_devices_with_disks(db: Session, device: Device, serials: list[str]) -> dict[str, str]:
    """Disk serials of this report already on another device (its specs or its erasure records)."""
    found: dict[str, str] = {}
    for serial in serials:
        rows = db.execute(select(Device.asset_tag).join(ErasureMedium, ErasureMedium.device_id == Device.id)
                          .where(ErasureMedium.serial == serial.upper(), Device.id != device.id).limit(1)).first()
        if rows is None:
            rows = db.execute(select(Device.asset_tag).where(
                Device.id != device.id, cast(Device.specs, String).like(f'%"{_like(serial)}"%', escape="\\"))
                .limit(1)).first()
        if rows is not None:
            found[serial] = rows[0]
    return found


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace('"', "")


def _summary(reading: hwreports.Reading) -> dict:
    """What the report says, kept on its record (and what the choices take their values from)."""
    return {
        "specs": reading.specs(), "system_serial": reading.system_serial, "cpu_cores": reading.cpu_cores,
        "battery_design_mwh": reading.battery_design_mwh, "battery_full_mwh": reading.battery_full_mwh,
        "network": reading.network, "wireless": reading.wireless, "anonymised": reading.anonymised,
        "smart": [{"serial": d.serial, "model": d.model, "passed": d.smart_passed, "power_on_hours": d.power_on_hours}
                  for d in reading.disks if d.smart_passed is not None],
        "wipes": [{"device": w.device, "serial": w.serial, "model": w.model, "method": w.method, "rounds": w.rounds,
                   "passes": w.passes, "verify": w.verify, "result": w.result,
                   "started_at": w.started_at.isoformat() if w.started_at else None,
                   "ended_at": w.ended_at.isoformat() if w.ended_at else None} for w in reading.wipes],
        "notes": reading.notes,
    }


def _machine_mismatch(device: Device, reading: hwreports.Reading) -> str | None:
    if reading.system_serial and device.serial_number and _norm(reading.system_serial) != _norm(device.serial_number):
        return (f"Ce rapport vient d'une autre machine : numéro de série « {reading.system_serial} », la fiche de "
                f"{device.asset_tag} dit « {device.serial_number} ». Rien n'a été appliqué. Vérifiez l'étiquette ; "
                "si c'est bien cet appareil, choisissez « Appliquer quand même ».")
    return None


def _apply(db: Session, actor, device: Device, report: HardwareReport, reading: hwreports.Reading, upload: Upload,
           store: ReportStore | None) -> tuple[dict, list[str], list[dict]]:
    applied: dict = {}
    warnings: list[str] = list(reading.notes)
    choices: list[dict] = []
    if reading.system_serial and not device.serial_number:
        others = [d.asset_tag for d in inventory.devices_with_serial(db, reading.system_serial) if d.id != device.id]
        if others:
            warnings.append(f"Le numéro de série {reading.system_serial} est déjà celui de {', '.join(others)} : "
                            "il n'a pas été reporté sur cette fiche.")
        else:
            device.serial_number = reading.system_serial.upper()[:120]
            applied["serial_number"] = device.serial_number
    if reading.manufacturer and not device.brand:
        device.brand = reading.manufacturer[:80]
        applied["brand"] = device.brand
    if reading.model and not device.model:
        device.model = reading.model[:120]
        applied["model_name"] = device.model
    values = reading.specs()
    elsewhere = _other_devices_with_disks(db, device, [d["serial"] for d in values.get("storage", [])])
    for serial, tag in elsewhere.items():
        warnings.append(f"Le disque {serial} est déjà enregistré sur {tag} : vérifiez qu'il n'a pas changé "
                        "d'appareil.")
    _merge_specs(device, values, applied, choices)
    if reading.smart_checked:
        failed = reading.smart_failed
        applied["checks"] = {"storage": "fail" if failed else "pass"}
        if failed:
            warnings.append("SMART en échec pour " + ", ".join(d.serial or d.model for d in failed)
                            + " : le contrôle « stockage » du diagnostic est à mettre « en panne ».")
    if reading.kind == "nwipe":
        _erasures(db, actor, device, report, reading, upload, store, applied, warnings)
    for choice in choices:
        warnings.append(_choice_text(choice))
    return applied, warnings, choices


def _choice_text(choice: dict) -> str:
    key = choice["key"]
    if key == "machine":
        return choice["message"]
    if key == "storage":
        return (f"Disque {choice['serial']} absent de la fiche (qui en liste d'autres) : à ajouter, ou à "
                "ignorer s'il n'est pas de cet appareil.")
    label = SPEC_LABELS.get(key.split(".")[0], key)
    if key.startswith("storage."):
        label = f"Disque {choice['serial']} ({key.split('.')[1]})"
    return f"{label} : la fiche dit « {choice['current']} », le rapport « {choice['reported']} » — à choisir."


def _erasures(db: Session, actor, device: Device, report: HardwareReport, reading: hwreports.Reading,
              upload: Upload, store: ReportStore | None, applied: dict, warnings: list[str]) -> None:
    """One erasure record per erased disk of the log, through the technician's own ``record_erasure``."""
    if reading.anonymised:
        warnings.append(ANONYMISED)
        return
    made = []
    for wipe in reading.wipes:
        fields = hwreports.erasure_fields(wipe)
        if fields is None:
            warnings.append(f"{wipe.device} : la méthode « {wipe.method} » ne fait que relire le disque, ce n'est "
                            "pas un effacement.")
            continue
        if not wipe.serial:
            warnings.append(f"{wipe.device} ({wipe.model or 'disque'}) n'a pas de numéro de série dans le journal : "
                            "son effacement ne peut être rattaché à aucun support. Enregistrez-le à la main si "
                            "c'est bien le disque de cet appareil.")
            continue
        medium = {"serial": wipe.serial, "model": wipe.model}
        size = hwreports._gb(wipe.size_bytes)
        if size:
            medium["size_gb"] = size
        listed = next((d for d in (device.specs or {}).get("storage") or []
                       if isinstance(d, dict) and _norm(d.get("serial")) == _norm(wipe.serial)), {})
        kind = hwreports._media_type(wipe.device, wipe.model) or listed.get("type")
        if kind:
            medium["kind"] = kind
        outcome = {"erased": "effacé", "failed": "échec", "aborted": "interrompu",
                   "unfinished": "journal coupé avant la fin"}[wipe.result]
        notes = (f"Relevé du journal nwipe « {report.filename} » (SHA-256 {report.sha256[:16]}…) : méthode "
                 f"« {wipe.method} », {plural(wipe.rounds, 'tour')}, vérification {wipe.verify}, résultat nwipe : {outcome}. "
                 "Heures : celles de l'ordinateur effacé.")
        data = {"media": [medium], **fields, "tool": "nwipe", "tool_version": reading.tool_version,
                "started_at": (wipe.started_at or wipe.ended_at).isoformat(),
                "ended_at": (wipe.ended_at or wipe.started_at).isoformat(), "notes": notes}
        name = report.filename if report.filename.lower().endswith((".log", ".txt")) else report.filename + ".log"
        erasure = record_erasure(db, actor, device, data, report=ReportFile(filename=name, content=upload.content),
                                 store=store)
        made.append({"id": erasure.id, "serial": wipe.serial, "result": erasure.result})
        if erasure.result != "passed":
            warnings.append(f"Effacement de {wipe.serial} enregistré comme échoué ({outcome}) : l'appareil reste "
                            "bloqué jusqu'à un effacement réussi ou la destruction du support.")
    if made:
        applied["erasures"] = made


def _event_note(report: HardwareReport, applied: dict, choices: list[dict]) -> str:
    parts = []
    keys = [SPEC_LABELS.get(k, k).lower() for k in applied if k in SPEC_LABELS]
    if keys:
        parts.append("rempli : " + ", ".join(keys))
    if applied.get("storage_added"):
        parts.append(plural(len(applied["storage_added"]), "disque ajouté"))
    if applied.get("erasures"):
        parts.append(plural(len(applied["erasures"]), "effacement enregistré", "effacements enregistrés"))
    if applied.get("checks"):
        parts.append("SMART : " + ("en échec" if applied["checks"]["storage"] == "fail" else "bon"))
    if choices:
        parts.append(plural(len(choices), "différence à choisir"))
    return (f"Rapport {report.kind_label} « {report.filename} » (SHA-256 {report.sha256[:16]}…)"
            + (" — " + " ; ".join(parts) if parts else " — rien de nouveau"))


@use_case
def add_report(db: Session, actor, device: Device, upload: Upload, *, store: ReportStore | None = None,
               max_bytes: int = DEFAULT_MAX_HARDWARE_REPORT_MB * 1048576) -> Outcome:
    """Read one file and apply it to ``device`` (all of it or nothing); the same file sent again is not
    recorded twice."""
    require_report_sender(actor)
    inventory.lock_device(db, actor, device)
    read = _read_new(db, actor, upload, max_bytes)
    if isinstance(read, Outcome):
        return read
    digest, reading = read
    return _record(db, actor, device, upload, digest, reading, store)


def _read_new(db: Session, actor, upload: Upload, max_bytes: int) -> tuple[str, hwreports.Reading] | Outcome:
    """The file's digest and reading, or the outcome of the same file sent before (not recorded twice)."""
    _check_size(upload, max_bytes)
    digest = hashlib.sha256(upload.content).hexdigest()
    known = _existing(db, digest)
    if known is not None:
        return _already(db, actor, known)
    return digest, read_upload(upload)


def _already(db: Session, actor, known: HardwareReport) -> Outcome:
    other = db.get(Device, known.device_id)
    require_site(actor, other.site_id, f"l'appareil {other.asset_tag}")
    return Outcome(report=known, device=other, created=False, applied={},
                   warnings=[(f"Ce fichier a déjà été reçu (rapport n° {known.id}, appareil {other.asset_tag}) : "
                              "rien n'a été enregistré deux fois.")])


def _record(db: Session, actor, device: Device, upload: Upload, digest: str, reading: hwreports.Reading,
            store: ReportStore | None, *, force: bool = False) -> Outcome:
    name = _safe_name(upload.filename)
    stored = storage.put(db, purpose=PURPOSE, owner_id=None, content=upload.content, filename=name, keep=None,
                         meta={"kind": reading.kind})
    report = HardwareReport(device_id=device.id, file_id=stored.id, kind=reading.kind, filename=name, sha256=digest,
                            size=len(upload.content), tool_version=reading.tool_version[:40],
                            system_serial=reading.system_serial[:120], summary=_summary(reading), applied={},
                            warnings=[], choices=[], user_id=getattr(actor, "id", None))
    db.add(report)
    db.flush()
    mismatch = None if force else _machine_mismatch(device, reading)
    if mismatch:
        applied, choices = {}, [{"key": "machine", "message": mismatch, "current": device.serial_number,
                                 "reported": reading.system_serial}]
        warnings = [mismatch]
    else:
        applied, warnings, choices = _apply(db, actor, device, report, reading, upload, store)
    report.applied, report.warnings, report.choices = applied, warnings, choices
    inventory.record_event(db, device, actor, "hardware_report", note=_event_note(report, applied, choices),
                           data={"report_id": report.id, "kind": report.kind, "sha256": digest,
                                 "applied": sorted(k for k in applied), "choices": len(choices)})
    db.flush()
    return Outcome(report=report, device=device, created=True, applied=applied, warnings=warnings)


# --- a whole USB stick: each file finds its device --------------------------------------------------

def _candidates(db: Session, reading: hwreports.Reading) -> tuple[list[Device], str]:
    if reading.system_serial:
        found = inventory.devices_with_serial(db, reading.system_serial)
        if found:
            return found, f"numéro de série {reading.system_serial}"
    serials = [d.serial.upper() for d in reading.disks if d.serial and not hwreports.ANONYMOUS.match(d.serial)]
    serials += [w.serial.upper() for w in reading.wipes if w.serial and not w.anonymised]
    ids: set[int] = set()
    for serial in dict.fromkeys(serials):
        ids.update(db.scalars(select(ErasureMedium.device_id).where(ErasureMedium.serial == serial)))
        ids.update(db.scalars(select(Device.id).where(cast(Device.specs, String).like(f'%"{_like(serial)}"%',
                                                                                     escape="\\"))))
    devices = [db.get(Device, i) for i in sorted(ids)]
    return devices, "numéro de série de disque"


def _why_none(reading: hwreports.Reading) -> str:
    if reading.anonymised:
        return "journal anonymisé (numéros de série masqués) : aucun appareil ne peut être reconnu"
    if reading.system_serial:
        return (f"aucun appareil de vos sites n'a le numéro de série {reading.system_serial}, ni un disque de ce "
                "rapport")
    if reading.disks or reading.wipes:
        return "ni numéro de série de la machine dans le rapport, ni disque déjà connu"
    return "le rapport ne contient aucun numéro de série"


@use_case
def add_unassigned_report(db: Session, actor, upload: Upload, *, store: ReportStore | None = None,
                          max_bytes: int = DEFAULT_MAX_HARDWARE_REPORT_MB * 1048576) -> Outcome | Unmatched:
    """One file of a USB stick: applied to the device it names (system serial, else a known disk serial),
    or kept a day for a person to pick the device when none (or several) match."""
    require_report_sender(actor)
    read = _read_new(db, actor, upload, max_bytes)
    if isinstance(read, Outcome):
        return read
    digest, reading = read
    devices, by = _candidates(db, reading)
    visible = [d for d in devices if _may_see(actor, d)]
    if len(visible) == 1:
        device = visible[0]
        inventory.lock_device(db, actor, device)
        outcome = _record(db, actor, device, upload, digest, reading, store)
        outcome.warnings.insert(0, f"Reconnu par le {by}.")
        return outcome
    reason = (f"plusieurs appareils correspondent ({', '.join(d.asset_tag for d in visible)}) : choisissez"
              if visible else _why_none(reading))
    pending = storage.put(db, purpose=PENDING, owner_id=actor.id, content=upload.content,
                          filename=_safe_name(upload.filename), keep=PENDING_KEEP, meta={"kind": reading.kind})
    return Unmatched(filename=_safe_name(upload.filename), reason=reason, token=pending.token, kind=reading.kind,
                     sha256=digest)


def _may_see(actor, device: Device) -> bool:
    try:
        require_site(actor, device.site_id, device.asset_tag)
    except (Forbidden, NotFound):
        return False
    return True


@use_case
def assign_pending_report(db: Session, actor, token: str, device: Device, *, store: ReportStore | None = None
                          ) -> Outcome:
    """The one-click choice: a file that matched no device, applied to the device a person picked."""
    require_report_sender(actor)
    pending = storage.get(db, token, owner_id=actor.id, purpose=PENDING,
                          message="Ce fichier n'est plus en attente (gardé un jour) : déposez-le de nouveau.")
    upload = Upload(filename=pending.filename, content=pending.content)
    storage.discard(db, token)
    return add_report(db, actor, device, upload, store=store)


# --- a person settles a difference ------------------------------------------------------------------

def get_report(db: Session, actor, report_id) -> HardwareReport:
    require_role(actor, STAFF_ROLES, "de consulter les rapports matériels")
    report = db.get(HardwareReport, report_id) if isinstance(report_id, int) else None
    if report is None:
        raise NotFound(f"Aucun rapport matériel n° {str(report_id)[:20]}.")
    device = db.get(Device, report.device_id)
    require_site(actor, device.site_id, f"l'appareil {device.asset_tag}")
    return report


def report_content(db: Session, actor, report_id) -> tuple[HardwareReport, bytes]:
    """The file as it was received, checked against its SHA-256."""
    report = get_report(db, actor, report_id)
    stored = db.get(storage.StoredFile, report.file_id)
    if stored is None or hashlib.sha256(stored.content).hexdigest() != report.sha256:
        raise Conflict("Le fichier de ce rapport ne correspond plus à son empreinte SHA-256 : il n'est plus fiable. "
                       "Prévenez l'administrateur.", code="report_tampered")
    return report, stored.content


def hardware_records() -> dict:
    """Whether the device ``device_id`` (a bound parameter) has hardware reports: the device page asks it with its
    other panels' records."""
    return {"hardware_reports": exists().where(HardwareReport.device_id == bindparam("device_id"))}


_REPORTS_OF = (select(HardwareReport).where(HardwareReport.device_id == bindparam("device_id"))
               .order_by(HardwareReport.created_at.desc(), HardwareReport.id.desc()))  # built once


def reports_of(db: Session, device: Device) -> list[HardwareReport]:
    return list(db.scalars(_REPORTS_OF, {"device_id": device.id}))


def reports_for_page(db: Session, device: Device, reads=None) -> list[HardwareReport]:
    """The device's reports for one rendering of its page (``reads``: the page's ``PageReads``): read once for
    all its panels (the reports' own, the workshop's diagnosis form), not at all when the page knows it has
    none."""
    if reads is None:
        return reports_of(db, device)
    if not reads.has("hardware_reports"):
        return []
    return reads.once("hardware_reports", lambda: reports_of(db, device))


@use_case
def settle_choice(db: Session, actor, device: Device, report_id: int, index, take: bool, *,
                  store: ReportStore | None = None, expected_version=None) -> HardwareReport:
    """Keep the device's value (``take`` false) or take the report's (true) for one difference of a report;
    for a report of "another machine", taking it applies the whole report to this device."""
    require_role(actor, WORKSHOP_ROLES, "de trancher entre la fiche et un rapport")
    inventory.lock_device(db, actor, device, expected_version)
    report = get_report(db, actor, report_id)
    if report.device_id != device.id:
        raise NotFound(f"Le rapport n° {report.id} n'est pas celui de {device.asset_tag}.")
    choices = list(report.choices or [])
    try:
        position = int(index)
        choice = choices[position]
    except (TypeError, ValueError, IndexError):
        raise Conflict("Cette différence a déjà été tranchée (ou n'existe pas) : rechargez la page.",
                       code="choice_gone") from None
    del choices[position]
    report.choices = choices
    label = _choice_text(choice).split(" : ")[0]
    if take and choice["key"] == "machine":
        _, content = report_content(db, actor, report.id)
        reading = hwreports.read(content, report.filename)
        applied, warnings, more = _apply(db, actor, device, report, reading,
                                         Upload(filename=report.filename, content=content), store)
        report.applied = {**(report.applied or {}), **applied}
        report.warnings = list(report.warnings or []) + warnings
        report.choices = choices + more
        note = f"Rapport n° {report.id} appliqué à {device.asset_tag} malgré un autre numéro de série (choix)"
    elif take:
        _take(device, choice)
        note = f"{label} : valeur du rapport n° {report.id} retenue ({choice['reported']})"
    else:
        note = f"{label} : valeur de la fiche gardée ({choice.get('current')}) plutôt que celle du rapport n° {report.id}"
    for other in reports_of(db, device):  # the same difference from another report is settled with it
        if other.id != report.id and any(_same_choice(choice, c) for c in other.choices or []):
            other.choices = [c for c in other.choices if not _same_choice(choice, c)]
    inventory.record_event(db, device, actor, "hardware_choice", note=note[:500],
                           data={"report_id": report.id, "key": choice["key"], "taken": bool(take)})
    db.flush()
    return report


def _take(device: Device, choice: dict) -> None:
    specs = dict(device.specs or {})
    key = choice["key"]
    if key == "storage":
        specs["storage"] = list(specs.get("storage") or []) + [dict(choice["reported"])]
    elif key.startswith("storage."):
        field_name = key.split(".", 1)[1]
        specs["storage"] = [dict(d, **{field_name: choice["reported"]}) if _norm(d.get("serial")) == _norm(choice["serial"])
                            else d for d in specs.get("storage") or []]
    else:
        specs[key] = choice["reported"]
    device.specs = specs


def workshop_hints(db: Session, device: Device, reports: list[HardwareReport] | None = None) -> dict:
    """What the reports say that the diagnosis form starts with: the SMART result as the ``storage`` check
    and the battery health, with the report each comes from (``reports``: the device's, when read already)."""
    hints: dict = {}
    for report in reports if reports is not None else reports_of(db, device):
        smart = (report.applied or {}).get("checks", {}).get("storage")
        if smart and "storage" not in hints:
            hints["storage"] = {"value": smart, "report_id": report.id, "filename": report.filename}
        battery = ((report.summary or {}).get("specs") or {}).get("battery_health_pct")
        if battery is not None and "battery_health" not in hints:
            hints["battery_health"] = {"value": battery, "report_id": report.id, "filename": report.filename}
    if "battery_health" not in hints and (device.specs or {}).get("battery_health_pct") is not None:
        hints["battery_health"] = {"value": device.specs["battery_health_pct"], "report_id": None, "filename": ""}
    return hints


def _same_choice(a: dict, b: dict) -> bool:
    return (a.get("key"), _norm(a.get("serial")), _norm(a.get("reported"))) == \
        (b.get("key"), _norm(b.get("serial")), _norm(b.get("reported")))


def open_choices(db: Session, device: Device,
                 reports: list[HardwareReport] | None = None) -> list[tuple[HardwareReport, int, dict, str]]:
    """Every difference still to settle on this device, newest report first, each once (two reports saying
    the same thing make one choice): (report, index, choice, French sentence)."""
    shown: list[tuple[HardwareReport, int, dict, str]] = []
    for report in reports if reports is not None else reports_of(db, device):
        for i, choice in enumerate(report.choices or []):
            if not any(_same_choice(choice, c) for _r, _i, c, _t in shown):
                shown.append((report, i, choice, _choice_text(choice)))
    return shown


def diagnosis_defaults(db: Session, device: Device, reports: list[HardwareReport] | None = None) -> dict:
    """The diagnosis form's starting values from the reports (the technician confirms): the ``storage`` check
    from SMART (failed SMART: "en panne") and the battery health (``reports``: the device's, when read)."""
    hints = workshop_hints(db, device, reports)
    data: dict = {}
    if "storage" in hints:
        data["checks"] = {"storage": hints["storage"]["value"]}
    if "battery_health" in hints:
        data["battery_health"] = str(hints["battery_health"]["value"])
    return data
