"""Data erasure records: one session per device, one row per storage medium, the tool's own
report (PDF or log, checked by its content) kept in the database (``stored_files``) with its SHA-256.
Reports joined by older versions were files of the reports folder (``report_path``): they are still
served, and ``import_report_files`` takes them into the database."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from .. import storage
from ..accounts.roles import STAFF_ROLES, WORKSHOP_ROLES
from ..accounts.scope import require_site
from ..clock import today
from ..db import use_case
from ..errors import Conflict, Invalid, NotFound
from ..formatting import plural_word
from ..inventory import services as inventory
from ..inventory.models import Device
from ..validation import Checker
from . import catalog
from .common import check_day_not_future, parse_moment, require_role
from .models import Erasure, ErasureMedium, MediaDestruction
from .rules import RECORD_STATES

MAX_MEDIA = 16
DEFAULT_MAX_REPORT_MB = 10
MB = 1024 * 1024


@dataclass
class ReportFile:
    filename: str
    content: bytes


@dataclass(frozen=True)
class ReportStore:
    """Where the tools' reports are kept (the application's setting; a folder of the instance by
    default), and how large one may be."""

    directory: Path
    max_bytes: int = DEFAULT_MAX_REPORT_MB * MB


def _looks_like_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    for encoding in ("utf-8", "cp1252"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        control = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f\x1b")
        return control <= max(2, len(text) // 1000)
    return False


def check_report(report: ReportFile | None, store: ReportStore | None, errors: dict) -> str | None:
    """The kind of an erasure report ("pdf" or "log") judged by its content, or None with an error."""
    if report is None:
        return None
    if store is None:
        raise Invalid(fields={"report": "Le rapport joint ne peut pas être gardé : aucun dossier des rapports "
                                        "n'est configuré."})
    name = (report.filename or "").strip()
    content = report.content or b""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    limit = store.max_bytes
    if not content:
        errors["report"] = "Le rapport joint est vide."
        return None
    if len(content) > limit:
        errors["report"] = (f"Le rapport fait {len(content) / 1048576:.1f} Mo : {limit // 1048576} Mo au plus. "
                            "Joignez le rapport PDF de l'outil plutôt qu'une archive.")
        return None
    if b"%PDF-" in content[:1024]:
        if ext != "pdf":
            errors["report"] = "Ce fichier est un PDF : son nom doit finir par .pdf."
            return None
        if b"%%EOF" not in content[-2048:]:
            errors["report"] = "Ce PDF est incomplet (fin de fichier absente) : exportez-le de nouveau."
            return None
        return "pdf"
    if ext in ("log", "txt") and _looks_like_text(content):
        return "log"
    errors["report"] = ("Le rapport doit être le PDF ou le journal texte (.log, .txt) de l'outil d'effacement "
                        "(nwipe, ShredOS…) : ce fichier n'est ni l'un ni l'autre.")
    return None


REPORT_PURPOSE = "erasure_report"


def _store_report(erasure: Erasure, report: ReportFile, kind: str, store: ReportStore) -> None:
    """Keep the report in the database, in the erasure's transaction (evidence: never expires). Every server
    process serves it, and a backup of the database holds it."""
    safe_name = re.sub(r"[^\w.()+ -]", "_", os.path.basename(report.filename or f"rapport.{kind}"))[:200]
    stored = storage.put(object_session(erasure), purpose=REPORT_PURPOSE, owner_id=None, content=report.content,
                         filename=safe_name, meta={"erasure_id": erasure.id, "kind": kind}, keep=None)
    erasure.report_filename = safe_name
    erasure.report_file_id = stored.id
    erasure.report_sha256 = stored.sha256
    erasure.report_size = stored.size
    erasure.report_kind = kind


def check_sanitization(method: str | None, nist_category: str | None, media_kinds, *, tool: str | None = None,
                       tool_version: str | None = None) -> dict[str, str]:
    """What NIST SP 800-88 (Rev. 1 Table A; Rev. 2) says is wrong with an erasure record: the method must
    fit each medium and reach the category claimed (an overwrite is Clear, never Purge; NVMe Sanitize only
    on an NVMe SSD; a factory reset only on a phone's or tablet's flash), and the tool must be named with
    its version (except for a physical destruction). Returns {field: French message} (empty: it holds).
    The one check of every erasure record, whatever it comes from (form, API, a tool's log)."""
    errors: dict[str, str] = {}
    label = catalog.ERASURE_METHODS
    if method in catalog.ERASURE_FIT:
        fits, categories = catalog.ERASURE_FIT[method]
        for kind in dict.fromkeys(media_kinds):
            if kind not in fits:
                wanted = nist_category if nist_category in ("clear", "purge") else "purge"
                right = catalog.ERASURE_SUGGESTED.get(kind, {}).get(wanted)
                errors["method"] = (f"« {label[method]} » ne s'applique pas à un support « "
                                    f"{catalog.MEDIA_KINDS.get(kind, kind)} » : pour ce support, choisissez "
                                    f"« {label[right]} » ({catalog.NIST_CATEGORIES[wanted].split(' ')[0]}), "
                                    "ou la destruction physique (Destroy).")
                break
        if "method" not in errors and nist_category in catalog.NIST_CATEGORIES and nist_category not in categories:
            if method == "overwrite" and nist_category == "purge":
                errors["nist_category"] = ("Une réécriture est un effacement « Clear » (NIST SP 800-88), jamais "
                                           "« Purge » : choisissez Clear, ou pour Purge la commande du support "
                                           "(ATA Secure Erase, NVMe Sanitize) ou l'effacement cryptographique.")
            elif nist_category == "destroy":
                errors["nist_category"] = "La catégorie « Destroy » va avec la destruction physique, et seulement avec elle."
            elif method == "destruction":
                errors["nist_category"] = "Une destruction physique est de catégorie « Destroy »."
            else:
                allowed = " ou ".join(catalog.NIST_CATEGORIES[x].split(" ")[0] for x in sorted(categories))
                errors["nist_category"] = f"« {label[method]} » est un effacement de catégorie {allowed}."
    if tool is not None:
        if len(tool.strip()) < 2 or not re.search(r"[A-Za-zÀ-ÿ]{2}", tool):
            errors["tool"] = "Donnez le nom de l'outil d'effacement (ex. nwipe, ShredOS, hdparm)."
        elif method != "destruction" and not re.search(r"\d", tool_version or ""):
            errors["tool_version"] = ("Donnez la version de l'outil (ex. 0.36) : un certificat d'effacement "
                                      "dit quel outil, dans quelle version, a effacé le support.")
    return errors


def _parse_media(raw, c: Checker, device: Device) -> list[dict]:
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        c.add("media", "Indiquez au moins un support de stockage (numéro de série, modèle, taille).")
        return []
    if len(raw) > MAX_MEDIA:
        c.add("media", f"{MAX_MEDIA} supports au plus par effacement.")
        return []
    media, seen = [], set()
    default_kind = {"SSD": "ssd", "HDD": "hdd", "NVMe": "nvme", "eMMC": "emmc"}.get(
        (device.specs or {}).get("storage_type"), "flash" if device.category in ("tablet", "smartphone") else "other")
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            c.add(f"media.{i}", f"Support {i + 1} : objet attendu.")
            continue
        mc = Checker(item)
        serial = mc.text("serial", "Le numéro de série du support", max_len=120, required=True)
        model = mc.text("model", "Le modèle du support", max_len=120) or ""
        manufacturer = mc.text("manufacturer", "Le fabricant du support", max_len=80) or ""
        size = mc.integer("size_gb", "La taille (Go)", min_value=1, max_value=1_000_000)
        kind = mc.choice("kind", "Le type de support", catalog.MEDIA_KINDS, required=False) or default_kind
        if serial:
            serial = serial.upper()
            if serial in seen:
                mc.add("serial", f"Le support {serial} est saisi deux fois.")
            seen.add(serial)
        for key, message in mc.errors.items():
            c.add(f"media.{i}.{key}", f"Support {i + 1} : {message}")
        if not mc.errors:
            media.append({"serial": serial, "manufacturer": manufacturer, "model": model, "size_gb": size,
                          "kind": kind})
    return media


@use_case
def record_erasure(db: Session, actor, device: Device, data: dict, *, report: ReportFile | None = None,
                   store: ReportStore | None = None, expected_version=None) -> Erasure:
    """One erasure session of a device, a row per medium; the tool's report, when joined, is kept in
    ``store`` with its SHA-256."""
    require_role(actor, WORKSHOP_ROLES, "d'enregistrer un effacement de données")
    inventory.lock_device(db, actor, device, expected_version)
    if not device.has_storage:
        raise Conflict(f"{device.asset_tag} est enregistré sans stockage de données : rien à effacer. "
                       "Si c'est une erreur, corrigez la fiche de l'appareil.", code="no_storage")
    if device.state not in RECORD_STATES["erasure"]:
        raise Conflict(f"Un effacement ne s'enregistre pas sur un appareil « {device.state_label} ».",
                       code="wrong_state")
    c = Checker(data)
    media = _parse_media(data.get("media"), c, device)
    method = c.choice("method", "La méthode", catalog.ERASURE_METHODS)
    nist = c.choice("nist_category", "La catégorie NIST", catalog.NIST_CATEGORIES)
    tool = c.text("tool", "L'outil", max_len=80, required=True)
    tool_version = c.text("tool_version", "La version de l'outil", max_len=40) or ""
    for key, message in check_sanitization(method, nist, [m["kind"] for m in media], tool=tool,
                                           tool_version=tool_version).items():
        if key not in c.errors:
            c.add(key, message)
    verification = c.text("verification_method", "La méthode de vérification", max_len=160) or ""
    destination = c.choice("destination", "La destination du support", catalog.ERASURE_DESTINATIONS,
                           required=False) or ("destruction" if method == "destruction" else "reuse")
    title = c.text("operator_title", "La fonction de l'opérateur", max_len=80) or ""
    passes = c.integer("passes", "Le nombre de passes", min_value=0, max_value=99,
                       default=0 if method == "destruction" else 1)
    verified = c.boolean("verified", "Vérification faite", default=False)
    result = c.choice("result", "Le résultat", catalog.ERASURE_RESULTS)
    notes = c.text("notes", "Les observations", max_len=2000) or ""
    started = parse_moment(data.get("started_at"), "started_at", "Le début", c.errors)
    ended = parse_moment(data.get("ended_at"), "ended_at", "La fin", c.errors)
    if started and ended and ended < started:
        c.add("ended_at", "La fin ne peut pas précéder le début.")
    kind = check_report(report, store, c.errors)
    c.done()
    erasure = Erasure(device_id=device.id, method=method, nist_category=nist, tool=tool, tool_version=tool_version,
                      passes=passes, verified=bool(verified), result=result, started_at=started, ended_at=ended,
                      operator_id=actor.id, operator_name=actor.display_name, operator_title=title,
                      verification_method=(verification or "Relecture du support après effacement") if verified else "",
                      destination=destination, notes=notes)
    erasure.media = [ErasureMedium(device_id=device.id, **m) for m in media]
    db.add(erasure)
    db.flush()
    stored = _store_report(erasure, report, kind, store) if report is not None else None
    try:
        label = "Destruction du support" if method == "destruction" else "Effacement"
        outcome = "non vérifié" if erasure.unverified else catalog.ERASURE_RESULTS[result].lower()
        note = (f"{label} {outcome} — {tool} {tool_version}".strip()
                + f" — {plural_word(len(media), 'support')} {', '.join(m['serial'] for m in media)}")
        inventory.record_event(db, device, actor, "erasure", note=note,
                               data={"erasure_id": erasure.id, "result": result, "method": method,
                                     "serials": [m["serial"] for m in media],
                                     "report_sha256": erasure.report_sha256})
        db.flush()
    except Exception:
        if stored is not None:
            stored.unlink(missing_ok=True)
        raise
    return erasure


def parse_destruction(data: dict, c: Checker, *, default_day=None) -> dict:
    """The fields of a destruction of media: who (us, with how; the recycler, with its certificate), when."""
    by = c.choice("destroyed_by", "Qui a détruit les supports", catalog.DESTROYERS)
    method = c.text("method", "Le mode de destruction", max_len=120, required=by == "us") or ""
    recycler = c.text("recycler_name", "Le recycleur", max_len=160, required=by == "recycler") or ""
    number = c.text("certificate_number", "Le n° du certificat de destruction du recycleur", max_len=60,
                    required=by == "recycler") or ""
    day = c.day("destroyed_on", "La date de destruction") or (default_day if "destroyed_on" not in c.errors
                                                               else None)
    if day is None and "destroyed_on" not in c.errors:
        c.add("destroyed_on", "La date de destruction est obligatoire.")
    check_day_not_future(day, "destroyed_on", "La date de destruction", c.errors)
    notes = c.text("notes", "Les observations", max_len=2000) or ""
    return {"destroyed_by": by, "method": method if by == "us" else "",
            "recycler_name": recycler if by == "recycler" else "",
            "certificate_number": number if by == "recycler" else "", "destroyed_on": day, "notes": notes}


def add_destruction(db: Session, actor, device: Device, values: dict, *, batch_id: int | None = None
                    ) -> MediaDestruction:
    record = MediaDestruction(device_id=device.id, batch_id=batch_id, user_id=actor.id,
                              operator_name=actor.display_name, **values)
    db.add(record)
    db.flush()
    inventory.record_event(db, device, actor, "media_destroyed", note=record.label,
                           data={"media_destruction_id": record.id, "destroyed_by": record.destroyed_by,
                                 "certificate_number": record.certificate_number or None})
    return record


@use_case
def record_media_destruction(db: Session, actor, device: Device, data: dict, *, expected_version=None
                             ) -> MediaDestruction:
    """Record that the storage media of a device were destroyed (by us, or by the recycler that issued a
    destruction certificate): the device may then leave for recycling or parts without an erasure."""
    require_role(actor, WORKSHOP_ROLES, "d'enregistrer la destruction des supports de données")
    inventory.lock_device(db, actor, device, expected_version)
    if not device.has_storage:
        raise Conflict(f"{device.asset_tag} est enregistré sans stockage de données : aucun support à détruire. "
                       "Si c'est une erreur, corrigez la fiche de l'appareil.", code="no_storage")
    if device.state not in RECORD_STATES["destruction"]:
        raise Conflict(f"La destruction des supports ne s'enregistre pas sur un appareil « {device.state_label} ».",
                       code="wrong_state")
    c = Checker(data)
    values = parse_destruction(data, c, default_day=today())
    c.done()
    return add_destruction(db, actor, device, values)


def destructions_of(db: Session, device: Device) -> list[MediaDestruction]:
    return list(db.scalars(select(MediaDestruction).where(MediaDestruction.device_id == device.id)
                           .order_by(MediaDestruction.created_at.desc(), MediaDestruction.id.desc())))


def erasures_of(db: Session, device: Device) -> list[Erasure]:
    return list(db.scalars(select(Erasure).where(Erasure.device_id == device.id)
                           .order_by(Erasure.ended_at.desc(), Erasure.id.desc())))


def get_erasure(db: Session, actor, erasure_id: int) -> Erasure:
    require_role(actor, STAFF_ROLES, "de consulter les effacements")
    erasure = db.get(Erasure, erasure_id)
    if erasure is None:
        raise NotFound(f"Aucun effacement n° {erasure_id}.")
    device = db.get(Device, erasure.device_id)
    require_site(actor, device.site_id, f"l'appareil {device.asset_tag}")
    return erasure


def report_file(db: Session, erasure: Erasure, store: ReportStore) -> bytes:
    """The tool's report of an erasure (from the database, or the reports folder for an older one), checked
    against the SHA-256 recorded when it was joined."""
    if erasure.report_file_id is not None:
        content = storage.load(db, erasure.report_file_id, purpose=REPORT_PURPOSE,
                               message="Le rapport est introuvable dans la base : prévenez l'administrateur.").content
    elif erasure.report_path:
        content = _legacy_report(erasure, store)
    else:
        raise NotFound("Aucun rapport d'outil n'est joint à cet effacement.")
    if hashlib.sha256(content).hexdigest() != erasure.report_sha256:
        raise Conflict("Le fichier du rapport a été modifié depuis son dépôt (empreinte SHA-256 différente) : "
                       "il n'est plus fiable. Prévenez l'administrateur.", code="report_tampered")
    return content


def _legacy_report(erasure: Erasure, store: ReportStore) -> bytes:
    path = (store.directory / erasure.report_path).resolve()
    if store.directory.resolve() not in path.parents or not path.is_file():
        raise NotFound("Le fichier du rapport est introuvable sur le serveur : prévenez l'administrateur.")
    return path.read_bytes()


@use_case
def import_report_files(db: Session, store: ReportStore) -> tuple[int, list[str]]:
    """Take the reports older versions kept as files into the database (checked against their SHA-256);
    returns how many moved and what could not be (the files themselves are left where they are)."""
    moved, problems = 0, []
    for erasure in db.scalars(select(Erasure).where(Erasure.report_path.is_not(None),
                                                    Erasure.report_file_id.is_(None)).order_by(Erasure.id)):
        try:
            content = _legacy_report(erasure, store)
        except NotFound:
            problems.append(f"effacement n° {erasure.id} : fichier {erasure.report_path} introuvable")
            continue
        if hashlib.sha256(content).hexdigest() != erasure.report_sha256:
            problems.append(f"effacement n° {erasure.id} : {erasure.report_path} modifié depuis son dépôt "
                            "(empreinte SHA-256 différente), laissé tel quel")
            continue
        stored = storage.put(db, purpose=REPORT_PURPOSE, owner_id=None, content=content,
                             filename=erasure.report_filename or "", meta={"erasure_id": erasure.id,
                                                                            "kind": erasure.report_kind}, keep=None)
        erasure.report_file_id = stored.id
        erasure.report_path = None
        moved += 1
    db.flush()
    return moved, problems
