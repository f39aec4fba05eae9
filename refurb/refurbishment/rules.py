"""The workshop's rules, each in one function with its French message, and what a user may do with a
device now (``available_actions``: the device page's workshop panel and the queue ask there).

- Erasure before release: a device holding storage becomes ready, joins the loan pool, is sold or given
  only after a passed erasure of its media (or their recorded destruction) made since it last came back
  from a loan or was found again; a failed erasure blocks it until redone (``ensure_erased_before_release``).
- Media disposal: a device holding storage leaves for recycling or parts (a move, a diagnosis concluding
  "parts", a DEEE batch) only after a passed erasure or a recorded destruction of its media, by us or by
  the recycler with its destruction certificate number (``ensure_media_cleared``): a donor's data never
  leave unerased.
- Diagnosis: a device whose last diagnosis has failures not repaired since, or concludes parts or
  recycling, is neither ready nor in the loan pool (``ensure_diagnosis_allows_release``).
- Sale and gift: ``sold`` and ``donated`` are reached only through their forms (buyer, eligibility, price
  caps, guarantee): ``sales.sell`` and ``sales.give``.

The services call these functions themselves, so a script that uses the services without the web
application meets the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy.orm import Session

from ..accounts.roles import STAFF_ROLES, WORKSHOP_ROLES
from ..errors import Conflict
from ..inventory import workflow
from ..inventory.models import Device
from . import catalog
from .status import WorkshopStatus, status, statuses

RELEASE_STATES = ("ready", "loan_pool", "sold", "donated")
DISPOSAL_STATES = ("parts", "recycled")

# The records of the workshop and the forms of the desk: the states a device may be in for each, and who
# makes it. The services refuse outside these; the panel offers a form only within them.
RECORD_STATES = {
    "diagnosis": ("received", "diagnosing", "repairing"),
    "erasure": ("received", "diagnosing", "repairing", "ready", "loan_pool", "parts"),
    "destruction": ("received", "diagnosing", "repairing", "ready", "loan_pool", "parts", "recycled"),
    "repair": ("diagnosing", "repairing", "ready"),
    "grading": ("diagnosing", "repairing", "ready"),
    "sale": ("ready",),
    "gift": ("ready",),
}
RECORD_ROLES = {"diagnosis": WORKSHOP_ROLES, "erasure": WORKSHOP_ROLES, "destruction": WORKSHOP_ROLES,
                "repair": WORKSHOP_ROLES, "grading": WORKSHOP_ROLES, "sale": STAFF_ROLES, "gift": STAFF_ROLES}
RECORD_LABELS = {
    "diagnosis": "Enregistrer un diagnostic",
    "erasure": "Enregistrer un effacement ou une destruction",
    "destruction": "Enregistrer la destruction des supports (par nos soins ou par le recycleur)",
    "repair": "Enregistrer une réparation",
    "grading": "Enregistrer le grade",
    "sale": "Vendre",
    "gift": "Donner à un bénéficiaire ou une association",
}
# The plain moves of the workshop are made by any staff member (as the device page always allowed);
# the records above say who records what.
MOVE_ROLES = STAFF_ROLES
MOVE_LABELS = {
    "diagnosing": "Commencer le diagnostic",
    "repairing": "Renvoyer en réparation",
    "ready": "Déclarer reconditionné",
    "loan_pool": "Mettre au parc de prêt",
    "parts": "Démonter pour pièces",
    "recycled": "Recycler (DEEE)",
}
NOT_REFURBISHED_READY = "Déclarer prêt à la vente (d'occasion, non reconditionné)"
# Moves whose wording depends on where the device comes from.
MOVE_LABELS_FROM = {("diagnosing", "repairing"): "Envoyer en réparation",
                    ("loan_pool", "ready"): "Retirer du parc de prêt (à vendre ou donner)"}
# Moves that take a device out of the stock for good, or out of sight: the panel keeps them apart, each
# behind a confirmation that says what happens.
DANGER_MOVES = frozenset({"parts", "recycled"})
DANGER_CONSEQUENCES = {
    "parts": "quittera le stock pour de bon : il sera compté en pièces détachées, et ses pièces pourront servir "
             "à réparer d'autres appareils. Il ne pourra plus être vendu, donné ni prêté.",
    "recycled": "quittera le stock pour de bon : il sera compté recyclé (DEEE). Pour le registre DEEE (poids, "
                "transporteur, bordereau), ajoutez-le plutôt à un lot de recyclage.",
    "lost": "sera déclaré perdu ou volé : il sort du stock compté. S'il est retrouvé, « Déclarer retrouvé » le "
            "renvoie à l'atelier, où ses données seront à effacer de nouveau.",
}
# The form to fill first at each step of the queue.
STEP_FORMS = {"diagnose": "diagnosis", "repair": "repair", "erase": "erasure", "erase_failed": "erasure",
              "erase_unverified": "erasure",
              "clear_media": "erasure", "grade": "grading", "out": "sale"}


# --- the rules -----------------------------------------------------------------------------------------------

def ensure_erased_before_release(db: Session, device: Device, st: WorkshopStatus | None = None) -> None:
    """No ready, loan pool, sale or gift for a device holding storage without a passed erasure (or the
    destruction of its media) since it last came back from a loan or was found again."""
    if not device.has_storage:
        return
    reason = (st or status(db, device)).erasure.refusal()
    if reason:
        raise Conflict(reason, code="transition_refused")


def ensure_media_cleared(db: Session, device: Device, st: WorkshopStatus | None = None) -> None:
    """No recycling, no parts for a device whose storage was neither erased nor destroyed."""
    erasure = (st or status(db, device)).erasure
    if not _holds_data(device, erasure):
        return
    if erasure.failed_serials:
        what = f"l'effacement de ses données a échoué (support {', '.join(erasure.failed_serials)})"
    elif erasure.unverified_serials:
        what = (f"l'effacement de ses données n'a pas été vérifié (support {', '.join(erasure.unverified_serials)} : "
                "sans relecture, ce n'est pas une preuve)")
    else:
        what = "ses données n'ont pas été effacées"
    raise Conflict(f"{device.asset_tag} contient un support de données et {what} : il ne part au recyclage ou en "
                   "pièces détachées qu'après un effacement réussi, ou la destruction de ses supports. Enregistrez "
                   "l'effacement, ou la destruction des supports (par nos soins, ou par le recycleur avec le n° de "
                   "son certificat de destruction) dans le panneau Atelier de l'appareil.", code="transition_refused")


def _holds_data(device: Device, erasure) -> bool:
    return bool(device.has_storage) and not erasure.cleared


def still_holding_data(db: Session, devices: list[Device]) -> set[str]:
    """The tags of those devices that ``ensure_media_cleared`` would stop (the recycling page marks them)."""
    return {st.device.asset_tag for st in statuses(db, devices).values() if _holds_data(st.device, st.erasure)}


def ensure_diagnosis_allows_release(db: Session, device: Device, st: WorkshopStatus | None = None) -> None:
    """Not ready, not in the loan pool, while the last diagnosis has failures not repaired since or
    concludes parts or recycling."""
    st = st or status(db, device)
    d = st.diagnosis
    if d is None:
        return
    if d.verdict in ("parts", "recycle"):
        raise Conflict(f"Le dernier diagnostic conclut « {d.verdict_label} » — refaire le diagnostic si l'appareil "
                       "a été remis en état.", code="transition_refused")
    if st.unresolved:
        names = ", ".join(catalog.CHECKS.get(k, k) for k in st.unresolved)
        raise Conflict(f"Contrôles en échec non réparés ({names}) — enregistrer la réparation, "
                       "ou refaire le diagnostic.", code="transition_refused")


def ensure_move_allowed(db: Session, device: Device, to_state: str, st: WorkshopStatus | None = None) -> None:
    """The workshop's rules for a plain move to ``to_state`` (the state machine is checked apart)."""
    st = st or status(db, device)
    if to_state in RELEASE_STATES:
        ensure_erased_before_release(db, device, st)
    if to_state in ("ready", "loan_pool"):
        ensure_diagnosis_allows_release(db, device, st)
    if to_state in ("sold", "donated"):
        raise Conflict(workflow.done_elsewhere(device.state, to_state), code="transition_refused")
    if to_state in DISPOSAL_STATES:
        ensure_media_cleared(db, device, st)


def why_not(rule: Callable[..., None], *args) -> str | None:
    """The French reason a rule gives to refuse, or None when it allows."""
    try:
        rule(*args)
    except Conflict as err:
        return err.message
    return None


# --- what a user may do now ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    """Something the panel offers: a form to fill (a record, the sale, the gift) or a plain move."""

    key: str  # the form ("diagnosis", "erasure", …, "sale", "gift"), or the state a move goes to
    label: str
    move: bool = False
    refusal: str | None = None  # why the move is refused now (French); forms are offered only when possible
    primary: bool = False  # what the device waits for: the form of its step, or "ready" when it is due
    danger: bool = False  # the device leaves the stock for good (``DANGER_MOVES``): confirmed apart


def available_actions(db: Session, actor, device: Device, st: WorkshopStatus | None = None) -> list[Action]:
    """What ``actor`` may do with ``device`` now: the forms that apply to its state and the user's role, and
    every move of the workshop the state machine has from here, each with the reason a rule refuses it
    now. The panel, the device page and the queue show these; the services check the same rules."""
    st = st or status(db, device)
    role = getattr(actor, "role", None)
    actions = []
    for key, states in RECORD_STATES.items():
        if role not in RECORD_ROLES[key] or device.state not in states:
            continue
        if key in ("erasure", "destruction") and not device.has_storage:
            continue
        if key == "destruction" and st.erasure.cleared:
            continue
        actions.append(Action(key, RECORD_LABELS[key], primary=STEP_FORMS.get(st.step) == key))
    if role in MOVE_ROLES:
        for to_state in workflow.STATES:
            if workflow.OWNER.get((device.state, to_state)) != workflow.REFURBISHMENT or to_state in ("sold", "donated"):
                continue
            if to_state == "diagnosing" and any(a.key == "diagnosis" for a in actions):
                continue  # recording the diagnosis starts it: one way to do it, not two buttons
            label = MOVE_LABELS_FROM.get((device.state, to_state), MOVE_LABELS[to_state])
            refusal = why_not(ensure_move_allowed, db, device, to_state, st)
            if to_state == "ready" and label == MOVE_LABELS["ready"] and refusal is None and not st.refurbished:
                label = NOT_REFURBISHED_READY  # a reservation or no diagnosis: never called "reconditionné"
            actions.append(Action(to_state, label, move=True, refusal=refusal,
                                  primary=to_state == "ready" and st.step == "declare_ready",
                                  danger=to_state in DANGER_MOVES))
    return actions
