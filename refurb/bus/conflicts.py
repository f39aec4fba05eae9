"""The "À régulariser" list: offline operations the server could not apply as they were, and the actions that
settle each one (record the loan anyway and close the other one, attach it to the right borrower, apply it
again now that things changed, or cancel it), each kept in the conflict's history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.roles import STAFF_ROLES
from ..accounts.scope import require_site, site_ids
from ..clock import local, utcnow
from ..db import use_case
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..inventory import services as inventory
from ..loans import services as loans
from ..sites.services import get_site
from ..validation import Checker, as_id
from .models import CONFLICT_STATES, SyncConflict, SyncConflictEvent
from .sync import APPLY, server_view

ACTIONS = {
    "force": "Enregistrer ce prêt quand même (et clore l'autre prêt)",
    "attach": "Rattacher le prêt à la bonne carte",
    "apply": "Appliquer de nouveau",
    "cancel": "Annuler l'opération",
}
EVENT_LABELS = {"raised": "Mise à régulariser", **{k: v for k, v in ACTIONS.items()}}


@dataclass
class Action:
    name: str
    label: str


def _require_staff(actor) -> None:
    if actor.role not in STAFF_ROLES:
        raise Forbidden("La page « À régulariser » est celle de l'équipe des sites et de leurs gestionnaires.")


def actions_for(conflict: SyncConflict) -> list[Action]:
    """The actions that can settle this conflict (offered as buttons, and checked again by ``resolve``)."""
    if conflict.state != "open":
        return []
    names = []
    kind, code = conflict.operation.kind, conflict.code
    if kind == "check_out" and code in ("on_loan", "not_lendable"):
        names.append("force")
    if kind == "check_out":
        names.append("attach")
    names += ["apply", "cancel"]
    return [Action(n, ACTIONS[n]) for n in names]


def list_conflicts(db: Session, actor, *, site_code: str | None = None, state: str | None = "open",
                   limit: int = 200) -> list[SyncConflict]:
    """The conflicts of the user's sites (a manager's: the network's), oldest first, at ``site_code`` if given."""
    _require_staff(actor)
    c = Checker({"state": state})
    state = c.choice("state", "L'état", CONFLICT_STATES, required=False)
    c.done()
    stmt = select(SyncConflict)
    if site_code:
        site = get_site(db, str(site_code)[:32])
        require_site(actor, site.id, f"le site « {site.name} »")
        stmt = stmt.where(SyncConflict.site_id == site.id)
    else:
        ids = site_ids(actor)
        if ids is not None:
            stmt = stmt.where(SyncConflict.site_id.in_(list(ids) or [-1]))
    if state:
        stmt = stmt.where(SyncConflict.state == state)
    return list(db.scalars(stmt.order_by(SyncConflict.created_at, SyncConflict.id).limit(limit)))


def get_conflict(db: Session, actor, conflict_id) -> SyncConflict:
    _require_staff(actor)
    key = as_id(conflict_id)
    conflict = db.get(SyncConflict, key) if key is not None else None
    if conflict is None:
        raise NotFound(f"Aucune opération à régulariser n° {str(conflict_id)[:20]}.")
    if conflict.site_id is None:
        if site_ids(actor) is not None:
            raise Forbidden("Cette opération n'est rattachée à aucun site : un gestionnaire la régularise.")
    else:
        require_site(actor, conflict.site_id, f"l'opération à régulariser n° {conflict.id}")
    return conflict


@use_case
def resolve(db: Session, actor, conflict: SyncConflict, action, *, borrower_card=None, note=None) -> SyncConflict:
    """Settle a conflict with one of ``actions_for`` (all of it, or nothing: a refused action leaves the
    conflict open and says why)."""
    _require_staff(actor)
    c = Checker({"action": action, "note": note, "borrower_card": borrower_card})
    action = c.choice("action", "L'action", ACTIONS)
    note = c.text("note", "La note", max_len=500) or ""
    card = c.text("borrower_card", "La carte", max_len=40) or ""
    c.done()
    if conflict.state != "open":
        raise Conflict(f"Cette opération a déjà été traitée ({conflict.state_label.lower()}).", code="settled")
    if action not in {a.name for a in actions_for(conflict)}:
        raise Conflict(f"« {ACTIONS[action]} » ne s'applique pas à cette opération.", code="not_offered")
    op = conflict.operation
    if action == "cancel":
        done, state = note or "Annulée : rien n'a été enregistré.", "cancelled"
    else:
        payload = dict(op.payload)
        if action == "attach":
            if not card:
                raise Invalid(fields={"borrower_card": "Scannez ou tapez la carte de l'usager à qui le prêt a été fait."})
            payload["borrower_card"] = card.strip().upper()
        if action == "force":
            _close_other_loan(db, actor, op)
        message, _extra = APPLY[op.kind](db, actor, payload, op.at)
        done, state = message + (f" — {note}" if note else ""), "resolved"
    conflict.state, conflict.resolved_at, conflict.resolved_by_id = state, utcnow(), actor.id
    conflict.server = {**conflict.server, "at_resolution": server_view(db, op)} if action != "cancel" \
        else conflict.server
    db.add(SyncConflictEvent(conflict_id=conflict.id, at=utcnow(), user_id=actor.id, action=action, note=done))
    db.flush()
    db.expire(conflict, ["history"])
    return conflict


def _close_other_loan(db: Session, actor, op) -> None:
    """The loan that holds the device now is closed (complete, with a note) when the device was lent offline:
    it was in the bus's hands, so the other loan's record was the mistake."""
    device = inventory.find_by_code(db, None, op.asset_tag)
    other = loans.open_loan_for(db, device) if device is not None else None
    if other is None:
        return
    when = max(other.started_at, op.at)
    loans.return_loan(db, actor, other, condition="complete", at=when,
                      note=f"Clos à la régularisation : prêté hors connexion au bus le {local(op.at):%d/%m/%Y %H:%M}.")
