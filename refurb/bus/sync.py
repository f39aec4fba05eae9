"""The bus's offline queue, applied on the server: each operation at most once, in order, through the same
use cases as the desk (loans, the workshop's donations, the stock-take), at the time it happened.

An operation is keyed by the browser that queued it (``client``) and its ``op_id``: the first answer is kept
(``sync_operations``) and a replay gets it back as ``duplicate``. What cannot be applied as it was because the
world moved meanwhile (a device lent elsewhere, a card unknown or blocked, a device moved or recycled) is kept
as a conflict to settle on the "À régulariser" page (``conflicts.py``); what is malformed or not allowed is
rejected with its reason. A failed operation holds back the later ones on the same device only.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..accounts.roles import NETWORK_ROLES, STAFF_ROLES
from ..clock import local, utcnow
from ..db import use_case
from ..documents import services as documents
from ..errors import Conflict, Forbidden, Invalid, NotFound, RefurbError
from ..formatting import date_fr
from ..inventory import services as inventory
from ..inventory.models import Device
from ..loans import services as loans
from ..loans.models import Borrower
from ..refurbishment import services as refurbishment
from ..settings import get_setting, set_setting
from ..sites.models import Site
from ..sites.services import get_site
from ..validation import Checker
from .models import KINDS, SyncConflict, SyncConflictEvent, SyncOperation

QUEUE_FORMAT = 1  # the version of the queue's format the tablet sends; a change of format gets a new number
MAX_OPERATIONS = 500  # per batch: the tablet sends a long queue in several batches
MAX_OPERATION_BYTES = 4000
FUTURE_TOLERANCE = timedelta(minutes=5)  # a tablet's clock a little ahead is not a forgery
CLIENT_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,64}")
OP_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,64}")


class BatchTooLarge(RefurbError):
    status = 413
    code = "batch_too_large"


# --- the batch ---------------------------------------------------------------------------------------

def apply_batch(db: Session, actor, body) -> list[dict]:
    """Apply a queue sent by a tablet (``{"format", "client", "user"?, "operations": [...]}``) and answer one
    result per operation, in the same order. Each operation is its own unit of work: one that fails never
    undoes or blocks the others, except the later ones on the same device."""
    if actor.role not in STAFF_ROLES:
        raise Forbidden("Seule l'équipe d'un site envoie les opérations faites hors connexion.")
    if not isinstance(body, dict):
        raise Invalid("Le corps doit être un objet JSON {\"client\", \"operations\"}.", code="invalid_json")
    version = body.get("format", QUEUE_FORMAT)
    if version != QUEUE_FORMAT:
        raise Invalid(f"Cette file d'attente a le format n° {str(version)[:10]}, ce serveur lit le format "
                      f"n° {QUEUE_FORMAT} : rechargez la page du comptoir (une fois connecté) pour mettre la "
                      "tablette à jour, ses opérations en attente sont gardées.", code="queue_format")
    queued_by = body.get("user")
    if queued_by is not None and queued_by != actor.username:
        raise Forbidden(f"Ces opérations ont été faites par « {str(queued_by)[:40]} » : elles ne s'envoient "
                        "qu'avec son compte. Qu'il ou elle se connecte sur cette tablette pour les envoyer.",
                        code="other_user")
    client = body.get("client")
    if not isinstance(client, str) or not CLIENT_PATTERN.fullmatch(client):
        raise Invalid(fields={"client": "client : l'identifiant du navigateur (8 à 64 lettres, chiffres, . _ : -)."})
    operations = body.get("operations")
    if not isinstance(operations, list):
        raise Invalid(fields={"operations": "operations : une liste d'opérations attendue."})
    if len(operations) > MAX_OPERATIONS:
        raise BatchTooLarge(f"{len(operations)} opérations dans un seul envoi : {MAX_OPERATIONS} au plus. "
                            "Envoyez la file en plusieurs fois, dans l'ordre.")
    held: set[str] = set()
    return [_one(db, actor, client, raw, held) for raw in operations]


def _one(db: Session, actor, client: str, raw, held: set[str]) -> dict:
    if not isinstance(raw, dict):
        return _answer(None, "rejected", "Opération illisible : un objet JSON attendu.")
    op_id = raw.get("op_id")
    if not isinstance(op_id, str) or not OP_ID_PATTERN.fullmatch(op_id):
        return _answer(None, "rejected", "op_id manquant ou illisible (1 à 64 lettres, chiffres, . _ : -).")
    first = db.scalar(select(SyncOperation).where(SyncOperation.client == client, SyncOperation.op_id == op_id))
    if first is not None:
        return _replayed(actor, first)
    try:
        return _record(db, actor, client, op_id, raw, held)
    except IntegrityError:  # the same queue sent twice at once (two tabs): the other one recorded it first
        first = db.scalar(select(SyncOperation).where(SyncOperation.client == client, SyncOperation.op_id == op_id))
        if first is None:
            raise
        return _replayed(actor, first)


def _answer(op_id, status: str, message: str, **extra) -> dict:
    return {"op_id": op_id, "status": status, "message": message, **extra}


def _replayed(actor, first: SyncOperation) -> dict:
    if first.user_id != actor.id:
        return _answer(first.op_id, "rejected", "Cette opération a déjà été envoyée par un autre utilisateur : "
                                                "elle n'est pas rejouée sous votre nom.")
    return _answer(first.op_id, "duplicate", f"Déjà reçue le {local(first.received_at):%d/%m/%Y à %H:%M} : "
                                             f"{first.message}", first=first.result)


@use_case
def _record(db: Session, actor, client: str, op_id: str, raw: dict, held: set[str]) -> dict:
    """Check one operation, apply it (in a savepoint: a refusal leaves nothing half done) and keep its result."""
    try:
        kind, at, payload = _parse(db, raw)
    except RefurbError as err:
        result = _answer(op_id, "rejected", err.message, code=err.code)
        _keep_rejected(db, actor, client, op_id, raw, result)
        return result
    tag = inventory.normalise_code(payload.get("asset_tag") or "").upper()[:40]
    op = SyncOperation(client=client, op_id=op_id, user_id=actor.id, kind=kind, at=at, asset_tag=tag,
                       payload=payload, status="applied", message="", result={}, received_at=utcnow())
    op.site_id = _site_id(db, payload)
    db.add(op)
    db.flush()
    waiting = tag and (tag in held or _open_conflict_on(db, client, tag))
    if waiting:
        status, message, code, extra = "conflict", (
            f"Opération en attente : une opération précédente sur {tag} est à régulariser. Réglez-la d'abord, "
            "puis appliquez celle-ci depuis la page « À régulariser »."), "held", {}
    else:
        status, message, code, extra = _apply(db, actor, op)
    op.status, op.message = status, message
    op.result = {"status": status, "message": message, **({"code": code} if code else {}), **extra}
    if status == "conflict":
        _raise_conflict(db, actor, op, code)
    if status != "applied" and tag:
        held.add(tag)
    db.flush()
    return _answer(op_id, status, message, **({"code": code} if code else {}), **extra)


def _keep_rejected(db: Session, actor, client: str, op_id: str, raw: dict, result: dict) -> None:
    """A rejected operation is kept too (a replay answers the same), if its kind is one we store."""
    kind = raw.get("kind") if raw.get("kind") in KINDS else None
    if kind is None:
        return  # nothing to keep it under; it is answered and the tablet shows why
    text = json.dumps(raw, ensure_ascii=False, default=str)[:MAX_OPERATION_BYTES]
    db.add(SyncOperation(client=client, op_id=op_id, user_id=actor.id, kind=kind, at=utcnow(), asset_tag="",
                         payload={"raw": text}, status="rejected", message=result["message"],
                         result={k: v for k, v in result.items() if k != "op_id"}, received_at=utcnow()))
    db.flush()


def _open_conflict_on(db: Session, client: str, tag: str) -> bool:
    return db.scalar(select(SyncConflict.id).join(SyncOperation, SyncConflict.operation_id == SyncOperation.id)
                     .where(SyncConflict.state == "open", SyncOperation.client == client,
                            SyncOperation.asset_tag == tag).limit(1)) is not None


def _site_id(db: Session, payload: dict) -> int | None:
    code = payload.get("site")
    if isinstance(code, str) and code.strip():
        return db.scalar(select(Site.id).where(Site.code == code.strip().upper()[:32]))
    tag = payload.get("asset_tag")
    if isinstance(tag, str) and tag.strip():
        return db.scalar(select(Device.site_id).where(Device.asset_tag == tag.strip().upper()[:20]))
    return None


# --- checking one operation --------------------------------------------------------------------------

_FIELDS = {
    "check_out": {"asset_tag": True, "borrower_card": True, "due_on": False, "site": False, "rules_accepted": False},
    "return": {"asset_tag": True, "condition": True, "note": False, "site": False},
    "receive": {"site": True, "category": True, "brand": False, "model": False, "serial_number": False,
                "asset_tag": False, "donor_name": False},
    "seen": {"asset_tag": True, "site": True},
}
_COMMON = {"op_id", "at", "kind", "seen_offline"}


def sync_window(db: Session) -> timedelta:
    """How long after it was made an offline operation is still applied (setting ``sync_window_days``)."""
    return timedelta(days=int(get_setting(db, "sync_window_days")))


MAX_WINDOW_DAYS = 365


@use_case
def set_sync_window(db: Session, actor, days) -> int:
    """A manager sets the sync window: beyond it, an operation waited too long on a tablet to be trusted."""
    if actor.role not in NETWORK_ROLES:
        raise Forbidden("La fenêtre de synchronisation se règle par un gestionnaire du réseau.")
    c = Checker({"days": days})
    value = c.integer("days", "La fenêtre de synchronisation (en jours)", min_value=1, max_value=MAX_WINDOW_DAYS,
                      required=True)
    c.done()
    set_setting(db, "sync_window_days", str(value))
    return value


def _parse(db: Session, raw: dict) -> tuple[str, datetime, dict]:
    kind = raw.get("kind")
    if kind not in KINDS:
        raise Invalid(f"Opération de type inconnu « {str(kind)[:30]} » : check_out, return, receive ou seen "
                      "attendu. Mettez à jour la page du comptoir.", code="unknown_kind")
    if len(json.dumps(raw, ensure_ascii=False, default=str)) > MAX_OPERATION_BYTES:
        raise Invalid(f"Opération trop longue ({MAX_OPERATION_BYTES} caractères au plus).", code="too_long")
    at = _parse_at(db, raw.get("at"))
    fields = _FIELDS[kind]
    unknown = sorted(set(raw) - set(fields) - _COMMON)
    if unknown:
        raise Invalid(f"Champ(s) inconnu(s) pour « {kind} » : {', '.join(unknown)[:200]}.", code="unknown_field")
    missing = [name for name, required in fields.items() if required and raw.get(name) in (None, "")]
    if missing:
        raise Invalid(f"Champ(s) obligatoire(s) manquant(s) : {', '.join(missing)}.", code="missing_field")
    payload = {name: raw[name] for name in fields if raw.get(name) not in (None, "")}
    for name, value in payload.items():
        if name != "rules_accepted" and not isinstance(value, str):
            raise Invalid(f"{name} : du texte attendu.", code="invalid_field")
    if "rules_accepted" in payload and not isinstance(payload["rules_accepted"], bool):
        raise Invalid("rules_accepted : true ou false attendu.", code="invalid_field")
    if kind == "receive" and payload.get("asset_tag"):
        raise Invalid("Les étiquettes pré-imprimées ne sont pas encore reprises à la synchronisation : laissez "
                      "l'étiquette vide, l'appareil reçoit la sienne à la synchronisation.", code="preprinted_tag")
    if isinstance(raw.get("seen_offline"), dict):
        payload["seen_offline"] = raw["seen_offline"]
    return kind, at, payload


def _parse_at(db: Session, raw) -> datetime:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid("at : l'heure de l'opération est obligatoire (ISO 8601, avec son fuseau).", code="invalid_at")
    try:
        at = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"at : heure illisible « {raw[:40]} » (ISO 8601 attendu, ex. 2026-12-02T10:12:00Z).",
                      code="invalid_at") from None
    if at.tzinfo is None:
        raise Invalid("at : l'heure doit dire son fuseau (ex. …Z ou +01:00).", code="invalid_at")
    at = at.astimezone(timezone.utc)
    now = utcnow()
    if at > now + FUTURE_TOLERANCE:
        raise Invalid(f"Opération datée du futur ({local(at):%d/%m/%Y %H:%M}) : l'horloge de la tablette est "
                      "fausse. Corrigez-la ; l'opération n'est pas appliquée.", code="at_future")
    window = sync_window(db)
    if at < now - window:
        raise Invalid(f"Opération du {local(at):%d/%m/%Y %H:%M}, plus ancienne que la fenêtre de synchronisation "
                      f"({window.days} jours) : elle n'est pas appliquée. Saisissez-la au comptoir si elle doit "
                      "l'être.", code="at_too_old")
    return at


# --- applying one operation --------------------------------------------------------------------------

def _apply(db: Session, actor, op: SyncOperation) -> tuple[str, str, str | None, dict]:
    """(status, message, code, extra) of one operation applied through the areas' use cases, in a savepoint."""
    try:
        with db.begin_nested():
            message, extra = APPLY[op.kind](db, actor, op.payload, op.at)
    except Forbidden as err:
        return "rejected", err.message, err.code, {}
    except RefurbError as err:
        return "conflict", err.message, err.code, {}
    return "applied", message, None, extra


def _device(db: Session, tag: str) -> Device:
    device = inventory.find_by_code(db, None, tag)
    if device is None:
        raise NotFound(f"Aucun appareil ne porte l'étiquette {tag[:40]} sur le serveur.", code="unknown_device")
    return device


def _site(db: Session, payload: dict) -> Site | None:
    return get_site(db, payload["site"], active_only=True) if payload.get("site") else None


def _check_out(db: Session, actor, payload: dict, at: datetime) -> tuple[str, dict]:
    device = _device(db, payload["asset_tag"])
    site = _site(db, payload)
    if site is not None and device.site_id != site.id and device.state not in ("on_loan",):
        raise Conflict(f"{device.asset_tag} n'est plus rattaché à « {site.name} » mais à « {device.site.name} » "
                       f"(état : {device.state_label}) depuis la dernière synchronisation.", code="moved")
    if find_borrower(db, payload["borrower_card"]) is None:
        raise NotFound(f"Carte inconnue du serveur : « {payload['borrower_card'][:40]} ». Rattachez le prêt à la "
                       "bonne carte, ou annulez-le.", code="unknown_card")
    borrower = loans.get_borrower(db, actor, payload["borrower_card"], need=loans.PANEL, presented=True)
    loan = loans.check_out(db, actor, borrower, [device.asset_tag], site=site, due_on=payload.get("due_on"),
                           rules_accepted=payload.get("rules_accepted"), at=at)[0]
    return (f"Prêt enregistré : {device.asset_tag} à {borrower.display_name}, depuis le "
            f"{local(loan.started_at):%d/%m/%Y %H:%M}, retour le {date_fr(loan.due_on)}.",
            {"loan_id": loan.id, "started_at": loan.started_at.isoformat(), "due_on": loan.due_on.isoformat()})


def _return(db: Session, actor, payload: dict, at: datetime) -> tuple[str, dict]:
    device = _device(db, payload["asset_tag"])
    loan = loans.open_loan_for(db, device)
    if loan is None:
        raise Conflict(f"{device.asset_tag} n'était pas en prêt quand le retour est arrivé (état : "
                       f"{device.state_label}, site « {device.site.name} ») : rien n'a été rendu.",
                       code="not_on_loan")
    loans.return_loan(db, actor, loan, condition=payload["condition"], note=payload.get("note") or "",
                      site=_site(db, payload), at=at)
    return (f"Retour enregistré : {device.asset_tag} ({loan.condition_label.lower()}) le "
            f"{local(loan.returned_at):%d/%m/%Y %H:%M}.",
            {"loan_id": loan.id, "returned_at": loan.returned_at.isoformat()})


def _receive(db: Session, actor, payload: dict, at: datetime) -> tuple[str, dict]:
    donation, devices = refurbishment.create_donation(db, actor, {
        "site": payload["site"], "received_on": local(at).date().isoformat(),
        "donor": {"kind": "individual", "name": payload.get("donor_name") or "Don reçu au bus numérique"},
        "devices": [{k: payload[k] for k in ("category", "brand", "model", "serial_number") if k in payload}],
    })
    device = devices[0]
    return (f"Don reçu : {device.asset_tag} ({device.category_label} {device.title}), don {donation.reference}. "
            "Collez son étiquette.", {"asset_tag": device.asset_tag, "donation": donation.reference})


def _seen(db: Session, actor, payload: dict, at: datetime) -> tuple[str, dict]:
    site = _site(db, payload)
    stocktake = documents.open_stocktake_for(db, site.id)
    if stocktake is None:
        raise Conflict(f"Aucun inventaire physique n'est ouvert à « {site.name} » : ouvrez-en un, puis appliquez "
                       "de nouveau cette opération.", code="no_stocktake")
    scan = documents.record_scan(db, actor, stocktake, payload["asset_tag"], at=max(at, stocktake.started_at))
    return (f"{scan.code} : {documents.OUTCOME_LABELS.get(scan.outcome, scan.outcome)} "
            f"(inventaire n° {stocktake.id}).", {"stocktake_id": stocktake.id, "outcome": scan.outcome})


APPLY = {"check_out": _check_out, "return": _return, "receive": _receive, "seen": _seen}


def find_borrower(db: Session, card) -> Borrower | None:
    """The borrower of a card as the tablet knew it (a card number), not anonymised; no access is granted
    by it (the check-out asks ``loans.get_borrower``)."""
    card = str(card or "").strip().upper()[:40]
    return db.scalar(select(Borrower).where(Borrower.card_number == card, Borrower.anonymised_at.is_(None)))


def short_name(borrower: Borrower) -> str:
    """A first name and an initial: all the tablet keeps, and all a conflict shows of a borrower."""
    initial = f" {borrower.last_name[:1]}." if borrower.last_name else ""
    return f"{borrower.first_name}{initial}".strip()


# --- conflicts: what the tablet saw, what the server had ---------------------------------------------

def server_view(db: Session, op: SyncOperation) -> dict:
    """What the server has about the operation's device and card now (no contact, a first name and initial)."""
    view: dict = {}
    device = inventory.find_by_code(db, None, op.asset_tag) if op.asset_tag else None
    if op.asset_tag:
        view["device"] = None if device is None else {
            "asset_tag": device.asset_tag, "state": device.state, "state_label": device.state_label,
            "site": device.site.code, "site_name": device.site.name}
    if device is not None:
        loan = loans.open_loan_for(db, device)
        if loan is not None:
            view["open_loan"] = {"id": loan.id, "site": loan.site.code, "started_at": loan.started_at.isoformat(),
                                 "due_on": loan.due_on.isoformat(), "borrower": short_name(loan.borrower),
                                 "borrower_card": loan.borrower.card_number}
    card = op.payload.get("borrower_card")
    if card:
        borrower = find_borrower(db, card)
        view["borrower"] = None if borrower is None else {
            "card": borrower.card_number, "name": short_name(borrower), "blocked": borrower.blocked}
    return view


def _raise_conflict(db: Session, actor, op: SyncOperation, code: str | None) -> SyncConflict:
    site_id = op.site_id or _site_of_actor(actor)
    conflict = SyncConflict(operation_id=op.id, site_id=site_id, code=code or "conflict",
                            tablet={k: v for k, v in op.payload.items()}, server=server_view(db, op),
                            state="open", created_at=utcnow())
    db.add(conflict)
    db.flush()
    db.add(SyncConflictEvent(conflict_id=conflict.id, at=utcnow(), user_id=actor.id, action="raised",
                             note=op.message))
    return conflict


def _site_of_actor(actor) -> int | None:
    return actor.home_site_id or (actor.sites[0].id if actor.sites else None)
