"""Where a device changes state: the state machine is checked, the history event recorded, the state moved.

Only the use cases of the area that owns a move (``workflow.OWNER``) call ``apply``, after their own rules:
refurbishment (erasure before release, media disposal, diagnosis, the sale and gift forms), loans (check-out
and return), inventory itself (lost, found again). ``record_event`` is the one way to append to a device's
history, for moves and for everything else that happens to it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..accounts.scope import require_site
from ..clock import utcnow
from ..errors import Conflict, Invalid
from . import workflow
from .models import Device, DeviceEvent

MAX_NOTE = 2000


def record_event(db: Session, device: Device, actor, action: str, *, note: str = "", data: dict | None = None,
                 from_state: str | None = None, to_state: str | None = None, at=None) -> DeviceEvent:
    """Append one history event; every change to a device goes through here (and bumps its version).
    ``at``: when it happened, if earlier than now (an operation made offline on the bus, synced later)."""
    event = DeviceEvent(device_id=device.id, at=at or utcnow(), user_id=getattr(actor, "id", None),
                        site_id=device.site_id, action=action, from_state=from_state, to_state=to_state,
                        note=(note or "")[:MAX_NOTE], data=data or {})
    db.add(event)
    device.updated_at = max(event.at, device.updated_at) if device.updated_at else event.at
    device.version = (device.version or 0) + 1
    return event


def check(actor, device: Device, to_state: str, note: str = "") -> None:
    """Refuse what no rule of any area can allow: another site's device, a note too long, a move the state
    machine does not have. The owner of a move calls it before its own rules, so that the answer to an
    impossible move does not depend on them."""
    require_site(actor, device.site_id, f"l'appareil {device.asset_tag}")
    if note and len(note) > MAX_NOTE:
        raise Invalid(fields={"note": f"La note est trop longue ({MAX_NOTE} caractères au maximum)."})
    reason = workflow.move_refusal(device.state, to_state)
    if reason:
        raise Conflict(reason, code="transition_refused")


def revert(db: Session, actor, device: Device, event: DeviceEvent, *, note: str = "") -> DeviceEvent:
    """Take back the move ``event`` (the device's last one): the device returns to the state it left, and
    the history gains an "undo" event (nothing is deleted). The caller checked that it may
    (``services.undo_refusal``); the state machine is not asked, a move taken back being the reverse of one
    it allowed."""
    require_site(actor, device.site_id, f"l'appareil {device.asset_tag}")
    if device.state != event.to_state:
        raise Conflict(f"{device.asset_tag} n'est plus « {workflow.STATES[event.to_state]} » : rien à annuler.",
                       code="stale")
    device.state = event.from_state
    return record_event(db, device, actor, "undo", note=note, from_state=event.to_state,
                        to_state=event.from_state, data={"undoes": event.id})


def apply(db: Session, actor, device: Device, to_state: str, *, action: str = "transition", note: str = "",
          data: dict | None = None, at=None) -> DeviceEvent:
    """Move ``device`` to ``to_state`` with its history event, or raise Conflict saying why the state machine
    refuses. The caller, the owner of the move, has already checked its own rules."""
    check(actor, device, to_state, note)
    from_state = device.state
    device.state = to_state
    return record_event(db, device, actor, action, note=note, from_state=from_state, to_state=to_state, data=data,
                        at=at)
