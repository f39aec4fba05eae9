"""Workshop records: diagnosis (checklist per category and a verdict), repairs (with the parts used),
grading; the plain moves of the workshop (start the diagnosis, send to repair, ready, loan pool, parts,
recycling); and the queue of devices by next step."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.roles import WORKSHOP_ROLES
from ..accounts.scope import limit_to_user_sites
from ..db import lock_rows, use_case
from ..errors import Conflict, Forbidden, NotFound
from ..inventory import lifecycle, workflow
from ..inventory import services as inventory
from ..inventory.categories import WITH_BATTERY
from ..inventory.models import Device, DeviceEvent
from ..validation import Checker
from . import catalog
from .common import require_role
from .models import Diagnosis, Grading, Repair, RepairPart
from .rules import (
    MOVE_ROLES,
    RECORD_STATES,
    Action,
    available_actions,
    ensure_media_cleared,
    ensure_move_allowed,
    why_not,
)
from .status import (
    STEP_ORDER,
    WORKSHOP_STATES,
    WorkshopStatus,
    category_checks,
    status,
    statuses,
)

MAX_PARTS = 20


def _set_battery_spec(device: Device, value: int | None) -> None:
    if value is not None and device.category in WITH_BATTERY:
        device.specs = {**(device.specs or {}), "battery_health": value}


def _walk(db: Session, actor, device: Device, to_state: str, *, action: str, note: str = "", data=None) -> None:
    """Move along the workshop path (received → diagnosing → repairing/ready), one event a step."""
    if device.state == to_state:
        inventory.record_event(db, device, actor, action, note=note, data=data)
        return
    if not workflow.is_allowed(device.state, to_state):  # a device just received goes through diagnosing
        lifecycle.apply(db, actor, device, "diagnosing", action="diagnosis_started")
    lifecycle.apply(db, actor, device, to_state, note=note, action=action, data=data)


# --- diagnosis ------------------------------------------------------------------------------

@use_case
def record_diagnosis(db: Session, actor, device: Device, data: dict, *, expected_version=None) -> Diagnosis:
    require_role(actor, WORKSHOP_ROLES, "d'enregistrer un diagnostic")
    inventory.lock_device(db, actor, device, expected_version)
    if device.state not in RECORD_STATES["diagnosis"]:
        raise Conflict(f"Le diagnostic se fait sur un appareil reçu, en diagnostic ou en réparation ; "
                       f"{device.asset_tag} est « {device.state_label} ».", code="wrong_state")
    c = Checker(data)
    checks_raw = data.get("checks")
    expected = category_checks(device.category)
    checks: dict[str, str] = {}
    if not isinstance(checks_raw, dict):
        c.add("checks", "Les contrôles doivent être donnés un par un (contrôle → pass, fail ou na).")
        checks_raw = {}
    for key in checks_raw:
        if key not in expected:
            c.add(f"checks.{key}", f"Contrôle « {str(key)[:40]} » inconnu pour cette catégorie "
                                   f"(contrôles : {', '.join(expected)}).")
    for key in expected:
        value = checks_raw.get(key)
        label = catalog.CHECKS[key]
        if value in (None, ""):
            c.add(f"checks.{key}", f"{label} : contrôle non renseigné (OK, en panne ou sans objet).")
        elif not isinstance(value, str) or value not in catalog.CHECK_RESULTS:
            c.add(f"checks.{key}", f"{label} : « {str(value)[:20]} » n'est pas un résultat (pass, fail, na).")
        else:
            checks[key] = value
    verdict = c.choice("verdict", "La conclusion", catalog.VERDICTS)
    battery = c.integer("battery_health", "La santé de la batterie (%)", min_value=0, max_value=100)
    notes = c.text("notes", "Les observations", max_len=5000) or ""
    failed = [k for k, v in checks.items() if v == "fail"]
    if verdict == "ready" and failed:
        c.add("verdict", "Des contrôles sont en panne (" + ", ".join(catalog.CHECKS[k] for k in failed)
              + ") : choisissez « à réparer », « pour pièces » ou « à recycler ».")
    if battery is not None and device.category not in WITH_BATTERY:
        c.add("battery_health", "La santé de la batterie ne s'applique pas à cette catégorie d'appareil.")
    c.done()
    diagnosis = Diagnosis(device_id=device.id, user_id=actor.id, checks=checks, verdict=verdict,
                          battery_health=battery, notes=notes)
    db.add(diagnosis)
    db.flush()
    _set_battery_spec(device, battery)
    target = {"ready": "diagnosing", "repair": "repairing", "parts": "parts", "recycle": "diagnosing"}[verdict]
    if device.state == "repairing" and verdict in ("ready", "recycle"):
        target = "diagnosing"
    if target == "parts" and why_not(ensure_media_cleared, db, device):
        target = "diagnosing"  # its data first: the queue then asks to erase or destroy the media
    summary = catalog.VERDICTS[verdict]
    if failed:
        summary += " — en panne : " + ", ".join(catalog.CHECKS[k] for k in failed)
    _walk(db, actor, device, target, action="diagnosis", note=summary,
          data={"diagnosis_id": diagnosis.id, "verdict": verdict, "failed": failed})
    return diagnosis


def latest_diagnosis(db: Session, device: Device) -> Diagnosis | None:
    return db.scalar(select(Diagnosis).where(Diagnosis.device_id == device.id)
                     .order_by(Diagnosis.at.desc(), Diagnosis.id.desc()).limit(1))


# --- repairs --------------------------------------------------------------------------------

def _parse_parts(db: Session, actor, raw, c: Checker) -> list[dict]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        c.add("parts", "Les pièces doivent être une liste.")
        return []
    if len(raw) > MAX_PARTS:
        c.add("parts", f"{MAX_PARTS} pièces au plus par réparation.")
        return []
    parts = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            c.add(f"parts.{i}", f"Pièce {i + 1} : objet attendu.")
            continue
        pc = Checker(item)
        description = pc.text("description", "Description", max_len=200, required=True)
        source = pc.choice("source", "Provenance", catalog.PART_SOURCES)
        cost = pc.money("cost", "Coût", required=source == "bought")
        from_device = None
        if source == "harvested":
            tag = pc.text("from_tag", "Appareil donneur", max_len=20, required=True)
            if tag:
                try:
                    from_device = inventory.get_device(db, actor, tag)
                except (NotFound, Forbidden) as err:  # said on the field
                    pc.add("from_tag", err.message)
                else:
                    if from_device.state != "parts":
                        pc.add("from_tag", f"{from_device.asset_tag} n'est pas en « pièces détachées » "
                                           f"(il est « {from_device.state_label} ») : démontez-le d'abord.")
        for key, message in pc.errors.items():
            c.add(f"parts.{i}.{key}", f"Pièce {i + 1} : {message}")
        if not pc.errors:
            parts.append({"description": description, "source": source, "cost": cost,
                          "from_device": from_device})
    return parts


@use_case
def record_repair(db: Session, actor, device: Device, data: dict, *, expected_version=None) -> Repair:
    require_role(actor, WORKSHOP_ROLES, "d'enregistrer une réparation")
    inventory.lock_device(db, actor, device, expected_version)
    if device.state not in RECORD_STATES["repair"]:
        hint = " Faites d'abord le diagnostic." if device.state == "received" else ""
        raise Conflict(f"Une réparation s'enregistre sur un appareil en diagnostic, en réparation ou prêt ; "
                       f"{device.asset_tag} est « {device.state_label} ».{hint}", code="wrong_state")
    c = Checker(data)
    problem = c.text("problem", "Le problème", max_len=2000, required=True)
    action = c.text("action", "L'intervention", max_len=2000, required=True)
    minutes = c.integer("minutes", "Le temps passé (minutes)", min_value=0, max_value=10000)
    fixed_raw = data.get("checks_fixed") or []
    if isinstance(fixed_raw, str):
        fixed_raw = [fixed_raw]
    expected = category_checks(device.category)
    fixed = []
    if not isinstance(fixed_raw, list):
        c.add("checks_fixed", "Les contrôles réparés doivent être une liste.")
    else:
        for key in fixed_raw:
            if key not in expected:
                c.add("checks_fixed", f"Contrôle « {str(key)[:40]} » inconnu pour cette catégorie.")
            elif key not in fixed:
                fixed.append(key)
    parts = _parse_parts(db, actor, data.get("parts"), c)
    c.done()
    donors = [part["from_device"] for part in parts if part["from_device"] is not None]
    lock_rows(db, Device, [d.id for d in donors])  # their history gets an event: one writer at a time
    for donor in donors:
        db.refresh(donor)
    repair = Repair(device_id=device.id, user_id=actor.id, problem=problem, action=action, checks_fixed=fixed,
                    minutes=minutes)
    db.add(repair)
    db.flush()
    for part in parts:
        db.add(RepairPart(repair_id=repair.id, description=part["description"], source=part["source"],
                          from_device_id=part["from_device"].id if part["from_device"] else None,
                          cost=part["cost"]))
        if part["from_device"] is not None:
            inventory.record_event(db, part["from_device"], actor, "part_harvested",
                                   note=f"{part['description']} → {device.asset_tag}",
                                   data={"repair_id": repair.id, "to_device": device.asset_tag})
    note = action if not fixed else f"{action} (réparé : {', '.join(catalog.CHECKS[k] for k in fixed)})"
    data_ = {"repair_id": repair.id, "fixed": fixed, "parts": len(parts)}
    if device.state == "ready":
        lifecycle.apply(db, actor, device, "repairing", note=note, action="repair", data=data_)
    else:
        inventory.record_event(db, device, actor, "repair", note=note, data=data_)
    db.flush()
    db.refresh(repair)
    return repair


def repairs_of(db: Session, device: Device) -> list[Repair]:
    return list(db.scalars(select(Repair).where(Repair.device_id == device.id).order_by(Repair.at.desc(), Repair.id.desc())))


# --- grading --------------------------------------------------------------------------------

@use_case
def record_grading(db: Session, actor, device: Device, data: dict, *, expected_version=None) -> Grading:
    require_role(actor, WORKSHOP_ROLES, "d'enregistrer un grade")
    inventory.lock_device(db, actor, device, expected_version)
    if device.state not in RECORD_STATES["grading"]:
        hint = " Faites d'abord le diagnostic." if device.state == "received" else ""
        raise Conflict(f"Le grade s'enregistre sur un appareil en diagnostic, en réparation ou prêt ; "
                       f"{device.asset_tag} est « {device.state_label} ».{hint}", code="wrong_state")
    c = Checker(data)
    grade = c.choice("grade", "Le grade esthétique", catalog.GRADES)
    functional = c.choice("functional", "Le résultat fonctionnel", catalog.FUNCTIONAL_RESULTS, default="full")
    notes = c.text("notes", "Les observations", max_len=2000) or ""
    battery = c.integer("battery_health", "La santé de la batterie (%)", min_value=0, max_value=100)
    if device.category in WITH_BATTERY:
        if battery is None and "battery_health" not in c.errors:
            battery = status(db, device).measured_battery  # none after a battery replacement: measure again
            if battery is None:
                c.add("battery_health", "La santé de la batterie (%) est obligatoire pour cette catégorie "
                                        "(relevée par l'outil de diagnostic, ex. 87).")
    elif battery is not None:
        c.add("battery_health", "La santé de la batterie ne s'applique pas à cette catégorie d'appareil.")
    if functional == "limited" and not notes:
        c.add("notes", "Précisez les réserves de fonctionnement (ex. « touche F5 dure »).")
    c.done()
    grading = Grading(device_id=device.id, user_id=actor.id, grade=grade, functional=functional,
                      battery_health=battery, notes=notes)
    db.add(grading)
    db.flush()
    device.grade = grade
    _set_battery_spec(device, battery)
    note = f"Grade {grade}"
    if battery is not None:
        note += f", batterie {battery} %"
    if functional == "limited":
        note += f" — réserves : {notes}"
    inventory.record_event(db, device, actor, "grading", note=note,
                           data={"grading_id": grading.id, "grade": grade, "battery_health": battery})
    return grading


@use_case
def grade_and_declare_ready(db: Session, actor, device: Device, data: dict, *, expected_version=None) -> Grading:
    """The grade, then the move to "ready" in the same transaction: both services with their own rules (the
    grade form's "Enregistrer et déclarer prêt à la vente"); a refusal of either leaves nothing recorded."""
    grading = record_grading(db, actor, device, data, expected_version=expected_version)
    move(db, actor, device, "ready")
    return grading


# --- plain moves ----------------------------------------------------------------------------

@use_case
def move(db: Session, actor, device: Device, to_state: str, *, note: str = "", expected_version=None
         ) -> DeviceEvent:
    """A plain move of the workshop (start the diagnosis, send to repair, ready, loan pool and back, parts,
    recycling), after the rules that apply to it (``rules.ensure_move_allowed``); a move another area owns
    is refused saying where it is done."""
    require_role(actor, MOVE_ROLES, "de faire avancer un appareil dans l'atelier")
    inventory.lock_device(db, actor, device, expected_version)
    lifecycle.check(actor, device, to_state, note)
    if workflow.OWNER[(device.state, to_state)] != workflow.REFURBISHMENT:
        raise Conflict(workflow.done_elsewhere(device.state, to_state), code="transition_refused")
    ensure_move_allowed(db, device, to_state)
    return lifecycle.apply(db, actor, device, to_state, note=note)


# --- the queue ------------------------------------------------------------------------------

QUEUE_LIMIT = 1000


@dataclass
class QueueItem:
    """A device in the queue: where it stands, and what it waits for (``available_actions``)."""

    status: WorkshopStatus
    next_action: Action | None

    @property
    def device(self) -> Device:
        return self.status.device

    @property
    def step_label(self) -> str:
        return self.status.step_label


def queue(db: Session, actor, site=None) -> tuple[dict[str, list], int]:
    """Devices in the workshop at the user's sites by next step, oldest change first."""
    require_role(actor, WORKSHOP_ROLES, "d'ouvrir la file de l'atelier")
    stmt = limit_to_user_sites(select(Device), Device.site_id, actor).where(Device.state.in_(WORKSHOP_STATES))
    if site is not None:
        stmt = stmt.where(Device.site_id == site.id)
    devices = list(db.scalars(stmt.order_by(Device.updated_at, Device.id).limit(QUEUE_LIMIT + 1)))
    truncated = len(devices) > QUEUE_LIMIT
    devices = devices[:QUEUE_LIMIT]
    groups: dict[str, list] = {step: [] for step in STEP_ORDER}
    for st in statuses(db, devices).values():
        primary = next((a for a in available_actions(db, actor, st.device, st) if a.primary), None)
        groups.setdefault(st.step, []).append(QueueItem(st, primary))
    for items in groups.values():
        items.sort(key=lambda item: (item.device.updated_at, item.device.id))
    return groups, (QUEUE_LIMIT if truncated else len(devices))
