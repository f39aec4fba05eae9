"""Where a device stands in the workshop, computed from its records: its diagnosis, the repairs since,
its erasures (those made since it last came back from a loan or was found again), its grade, and the
next step. The rules that follow from it are in ``rules.py``.

A device is "reconditionné" only if every check of its last diagnosis passed (or was repaired since),
its grading states no reservation on a function, and its data were erased (a verified erasure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session

from ..inventory.models import Device, DeviceEvent
from . import catalog
from .models import DeviceOrigin, Diagnosis, Erasure, Grading, MediaDestruction, Repair

STEP_LABELS = {
    "diagnose": "À diagnostiquer",
    "repair": "À réparer",
    "erase": "Effacement des données à faire",
    "erase_failed": "Effacement échoué : à refaire, ou support à détruire",
    "erase_unverified": "Effacement non vérifié : à refaire avec vérification, ou support à détruire",
    "grade": "À grader",
    "declare_ready": "À déclarer reconditionné",
    "out": "Prêt à sortir : à vendre, donner ou mettre au parc de prêt",
    "recycle": "À recycler (lot DEEE)",
    "clear_media": "Pièces ou recyclage : effacer les données ou enregistrer la destruction des supports d'abord",
    "done": "",
}
# Queue order: the workshop's steps in the order work is done.
STEP_ORDER = ["diagnose", "repair", "erase_failed", "erase_unverified", "erase", "clear_media", "grade",
              "declare_ready", "recycle", "out"]
WORKSHOP_STATES = ("received", "diagnosing", "repairing", "ready")


@dataclass
class ErasureStatus:
    """Per medium, its latest erasure: passed (and verified), failed, or unverified: reported passed without
    the read-back, which is not a failure but no proof either (NIST SP 800-88 §4.7), so not erased."""

    needed: bool
    records: list[Erasure] = field(default_factory=list)  # those that count (since the cutoff)
    failed_serials: list[str] = field(default_factory=list)
    passed_serials: list[str] = field(default_factory=list)
    destructions: list[MediaDestruction] = field(default_factory=list)  # media destroyed (since the cutoff)
    unverified_serials: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.needed or (bool(self.passed_serials) and not self.failed_serials
                                   and not self.unverified_serials)

    @property
    def cleared(self) -> bool:
        """No data left to protect: erased, or the media destroyed (what recycling and parts need)."""
        return self.ok or bool(self.destructions)

    @property
    def state(self) -> str:
        if not self.needed:
            return "not_needed"
        if self.failed_serials:
            return "failed"
        if self.unverified_serials:
            return "unverified"
        return "passed" if self.passed_serials else "none"

    @property
    def step(self) -> str:
        """The workshop step while the erasure is not ok."""
        return {"failed": "erase_failed", "unverified": "erase_unverified"}.get(self.state, "erase")

    @property
    def destroyed(self) -> bool:
        return bool(self.records) and all(r.method == "destruction" for r in self.records if r.passed)

    def refusal(self) -> str | None:
        if self.ok:
            return None
        if self.failed_serials:
            return (f"Effacement des données échoué (support {', '.join(self.failed_serials)}) — refaire "
                    "l'effacement, ou enregistrer la destruction physique du support.")
        if self.unverified_serials:
            return (f"Effacement des données non vérifié (support {', '.join(self.unverified_serials)}) : un "
                    "effacement sans relecture du support n'est pas une preuve — refaire l'effacement avec "
                    "vérification, ou enregistrer la destruction physique du support.")
        return ("Effacement des données non enregistré — enregistrer l'effacement (ou la destruction "
                "physique du support) dans le panneau Atelier de l'appareil.")


@dataclass
class WorkshopStatus:
    device: Device
    origin: DeviceOrigin | None
    diagnosis: Diagnosis | None
    repairs: list[Repair]  # since the last diagnosis
    unresolved: list[str]  # failed checks of the last diagnosis not repaired since
    erasure: ErasureStatus
    grading: Grading | None
    step: str
    all_repairs: list[Repair] = field(default_factory=list)  # every record, newest first (the panel's lists)
    all_erasures: list[Erasure] = field(default_factory=list)
    all_destructions: list[MediaDestruction] = field(default_factory=list)  # every record, oldest first

    @property
    def step_label(self) -> str:
        if self.step == "repair" and self.unresolved:
            return "En réparation : " + ", ".join(catalog.CHECKS.get(k, k).split(" (")[0].lower()
                                                  for k in self.unresolved)
        return STEP_LABELS.get(self.step, "")

    @property
    def battery_replaced_at(self):
        """When a repair since the last diagnosis last fixed the battery (None if none did)."""
        return max((r.at for r in self.repairs if "battery" in (r.checks_fixed or [])), default=None)

    @property
    def measured_battery(self) -> int | None:
        """The latest battery health measured (diagnosis or grade) on the battery the device has now: a
        reading made before a battery replacement says nothing about the new one."""
        replaced = self.battery_replaced_at
        readings = [(r.at, r.battery_health) for r in (self.diagnosis, self.grading)
                    if r is not None and r.battery_health is not None and (replaced is None or r.at > replaced)]
        return max(readings, key=lambda reading: reading[0])[1] if readings else None

    @property
    def refurbished(self) -> bool:
        return not self.refurbished_gaps()

    def refurbished_gaps(self) -> list[str]:
        """What is missing before the device may be called "reconditionné" (French)."""
        gaps = []
        d = self.diagnosis
        if d is None:
            gaps.append("aucun diagnostic enregistré")
        elif d.verdict in ("parts", "recycle"):
            gaps.append(f"le diagnostic conclut « {d.verdict_label} »")
        elif self.unresolved:
            gaps.append("contrôles en échec non réparés : " + ", ".join(catalog.CHECKS.get(k, k) for k in self.unresolved))
        elif d.verdict == "repair" and not self.repairs:
            gaps.append("réparation demandée par le diagnostic non enregistrée")
        g = self.grading
        if g is not None and g.functional == "limited" and not any(r.at > g.at for r in self.repairs):
            # R. 122-4: every function tested and, where needed, restored; a function left with a
            # reservation was not restored (a repair recorded since lifts it; grade again after it).
            gaps.append("fonctionnel avec réserves" + (f" ({g.notes.strip()})" if (g.notes or "").strip() else ""))
        if not self.erasure.ok:
            gaps.append("effacement des données non validé")
        return gaps


def _cutoffs(db: Session, ids: list[int]) -> dict[int, datetime]:
    """Per device, the last time it came back from a loan or was found again: earlier erasures
    do not count (a borrower's data may be on it)."""
    if not ids:
        return {}
    rows = db.execute(select(DeviceEvent.device_id, func.max(DeviceEvent.at))
                      .where(DeviceEvent.device_id.in_(ids), DeviceEvent.from_state.in_(("on_loan", "lost")))
                      .group_by(DeviceEvent.device_id))
    return {device_id: at for device_id, at in rows}


def _erasure_status(device: Device, erasures: list[Erasure], cutoff: datetime | None,
                    destructions: list[MediaDestruction] = ()) -> ErasureStatus:
    status = ErasureStatus(needed=bool(device.has_storage))
    status.destructions = [d for d in destructions if cutoff is None or d.created_at >= cutoff]
    latest: dict[str, Erasure] = {}
    for erasure in sorted(erasures, key=lambda e: (e.ended_at, e.id)):
        if cutoff is not None and erasure.ended_at < cutoff:
            continue
        status.records.append(erasure)
        for medium in erasure.media:
            latest[medium.serial] = erasure
    status.failed_serials = sorted(s for s, e in latest.items() if not e.passed and not e.unverified)
    status.unverified_serials = sorted(s for s, e in latest.items() if e.unverified)
    status.passed_serials = sorted(s for s, e in latest.items() if e.passed)
    return status


def _step(device: Device, diagnosis, repairs, unresolved, erasure: ErasureStatus) -> str:
    if device.state not in WORKSHOP_STATES:
        return "done"
    if device.state == "ready":
        if not erasure.ok:
            return erasure.step
        return "out"
    if diagnosis is None or device.state == "received":
        return "diagnose"
    if diagnosis.verdict in ("recycle", "parts"):
        # "parts" should already be in parts (a device sent back is recycled); either way its data first.
        return "recycle" if erasure.cleared else "clear_media"
    if unresolved or (diagnosis.verdict == "repair" and not repairs):
        return "repair"
    if not erasure.ok:
        return erasure.step
    if device.grade is None:
        return "grade"
    return "declare_ready"


_RECORDS = (Diagnosis, Repair, Erasure, Grading, DeviceOrigin, MediaDestruction)


def workshop_records() -> dict:
    """The EXISTS clauses of the workshop records of the device ``device_id`` (a bound parameter), by table: the
    device page asks them with its other panels' in one query (``inventory.PageReads.has``)."""
    return {model.__tablename__: exists().where(model.device_id == bindparam("device_id")) for model in _RECORDS}


def _kept(db: Session, ids: list[int], has=None) -> set[type]:
    """Which kinds of workshop record exist for one device, asked in one query (or told by ``has``, the page's
    answer): the device page then reads only those (most devices have few). Many devices (the queue) have some
    of each: every kind is read."""
    if len(ids) != 1:
        return set(_RECORDS)
    if has is not None:
        return {model for model in _RECORDS if has(model.__tablename__)}
    row = db.execute(select(*[clause.label(name) for name, clause in workshop_records().items()]),
                     {"device_id": ids[0]}).one()
    return {model for model, present in zip(_RECORDS, row) if present}


def statuses(db: Session, devices: list[Device], has=None) -> dict[int, WorkshopStatus]:
    """The workshop status of many devices in a handful of queries (the queue page). ``has``: for one device,
    which records it has, already asked (``records``)."""
    ids = [d.id for d in devices]
    if not ids:
        return {}
    kept = _kept(db, ids, has)
    diagnoses: dict[int, Diagnosis] = {}
    repairs: dict[int, list[Repair]] = {}
    erasures: dict[int, list[Erasure]] = {}
    gradings: dict[int, Grading] = {}
    origins: dict[int, DeviceOrigin] = {}
    destructions: dict[int, list[MediaDestruction]] = {}
    if Diagnosis in kept:
        for d in db.scalars(select(Diagnosis).where(Diagnosis.device_id.in_(ids))
                            .order_by(Diagnosis.at, Diagnosis.id)):
            diagnoses[d.device_id] = d
    if Repair in kept:
        for r in db.scalars(select(Repair).where(Repair.device_id.in_(ids)).order_by(Repair.at, Repair.id)):
            repairs.setdefault(r.device_id, []).append(r)
    if Erasure in kept:
        for e in db.scalars(select(Erasure).where(Erasure.device_id.in_(ids))):
            erasures.setdefault(e.device_id, []).append(e)
    if Grading in kept:
        for g in db.scalars(select(Grading).where(Grading.device_id.in_(ids)).order_by(Grading.at, Grading.id)):
            gradings[g.device_id] = g
    if DeviceOrigin in kept:
        origins = {o.device_id: o for o in db.scalars(select(DeviceOrigin).where(DeviceOrigin.device_id.in_(ids)))}
    if MediaDestruction in kept:
        for m in db.scalars(select(MediaDestruction).where(MediaDestruction.device_id.in_(ids))
                            .order_by(MediaDestruction.created_at, MediaDestruction.id)):
            destructions.setdefault(m.device_id, []).append(m)
    cutoffs = _cutoffs(db, [i for i in ids if i in erasures or i in destructions])  # they alone need one
    result = {}
    for device in devices:
        diagnosis = diagnoses.get(device.id)
        since = [r for r in repairs.get(device.id, []) if diagnosis is not None and
                 (r.at, r.id) >= (diagnosis.at, 0)]
        fixed = {k for r in since for k in (r.checks_fixed or [])}
        unresolved = [k for k in (diagnosis.failed if diagnosis else []) if k not in fixed]
        erasure = _erasure_status(device, erasures.get(device.id, []), cutoffs.get(device.id),
                                  destructions.get(device.id, []))
        result[device.id] = WorkshopStatus(
            device=device, origin=origins.get(device.id), diagnosis=diagnosis, repairs=since,
            unresolved=unresolved, erasure=erasure, grading=gradings.get(device.id),
            step=_step(device, diagnosis, since, unresolved, erasure),
            all_repairs=sorted(repairs.get(device.id, []), key=lambda r: (r.at, r.id), reverse=True),
            all_erasures=sorted(erasures.get(device.id, []), key=lambda e: (e.ended_at, e.id), reverse=True),
            all_destructions=destructions.get(device.id, []))
    return result


def status(db: Session, device: Device, has=None) -> WorkshopStatus:
    return statuses(db, [device], has)[device.id]


def page_status(db: Session, device: Device, reads) -> WorkshopStatus:
    """The workshop status that the panels of one rendering of the device page share (``inventory.PageReads``),
    read once, with the records the page already knows the device has none of left unread."""
    return reads.once("workshop", lambda: status(db, device, reads.has if reads.asked else None))


def erasure_status(db: Session, device: Device) -> ErasureStatus:
    return status(db, device).erasure


def is_refurbished(db: Session, device: Device) -> bool:
    """May this device be called "reconditionné" (décret 2022-190)? Every check of its last
    diagnosis passed or was repaired since, and its data were erased (when it holds any)."""
    return status(db, device).refurbished


def refurbished_gaps(db: Session, device: Device) -> list[str]:
    return status(db, device).refurbished_gaps()


def category_checks(category: str) -> list[str]:
    return catalog.CHECKLISTS.get(category, catalog.CHECKLISTS["other"])
