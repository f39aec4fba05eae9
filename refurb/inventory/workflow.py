"""The device lifecycle as an explicit state machine: the one table of allowed transitions, and the
area whose use case makes each of them (``OWNER``): that use case checks its own rules, then records the
move with ``lifecycle.apply``. This module only holds names and tables (any area may read it).
"""

from __future__ import annotations

STATES = {
    "received": "Reçu",
    "diagnosing": "En diagnostic",
    "repairing": "En réparation",
    "ready": "Prêt à la vente",  # not "reconditionné": a device sold stating a defect is not (décret 2022-190)
    "loan_pool": "Parc de prêt",
    "on_loan": "En prêt",
    "sold": "Vendu",
    "donated": "Donné",
    "parts": "Pièces détachées",
    "recycled": "Recyclé (DEEE)",
    "lost": "Perdu ou volé",
}

# Final states: the device has left the stock for good.
FINAL_STATES = frozenset({"sold", "donated", "recycled", "parts"})
# The states of a device the network still holds, in the lifecycle's order: the stock's columns.
HELD_STATES = tuple(s for s in STATES if s not in FINAL_STATES)
# States counted as stock on hand (lost devices are not on a shelf; on_loan ones are out).
IN_STOCK_STATES = frozenset({"received", "diagnosing", "repairing", "ready", "loan_pool"})

TRANSITIONS: dict[str, frozenset[str]] = {
    "received": frozenset({"diagnosing", "parts", "recycled", "lost"}),
    "diagnosing": frozenset({"repairing", "ready", "parts", "recycled", "lost"}),
    "repairing": frozenset({"diagnosing", "ready", "parts", "recycled", "lost"}),
    "ready": frozenset({"sold", "donated", "loan_pool", "repairing", "parts", "recycled", "lost"}),
    "loan_pool": frozenset({"on_loan", "ready", "repairing", "parts", "recycled", "lost"}),
    "on_loan": frozenset({"loan_pool", "repairing", "lost"}),
    "lost": frozenset({"received"}),  # found again: it goes back through the workshop
    "sold": frozenset(),
    "donated": frozenset(),
    "parts": frozenset(),
    "recycled": frozenset(),
}

# Which area's use case makes each move, and so holds its rules: refurbishment (the workshop and what
# leaves it: diagnosis, erasure, sale and gift forms), loans (check-out and return), inventory itself
# (a device lost from the stock, or found again). ``lifecycle.apply`` records the move for the owner.
INVENTORY, REFURBISHMENT, LOANS = "inventory", "refurbishment", "loans"
OWNER: dict[tuple[str, str], str] = {
    ("received", "diagnosing"): REFURBISHMENT,
    ("received", "parts"): REFURBISHMENT,
    ("received", "recycled"): REFURBISHMENT,
    ("received", "lost"): INVENTORY,
    ("diagnosing", "repairing"): REFURBISHMENT,
    ("diagnosing", "ready"): REFURBISHMENT,
    ("diagnosing", "parts"): REFURBISHMENT,
    ("diagnosing", "recycled"): REFURBISHMENT,
    ("diagnosing", "lost"): INVENTORY,
    ("repairing", "diagnosing"): REFURBISHMENT,
    ("repairing", "ready"): REFURBISHMENT,
    ("repairing", "parts"): REFURBISHMENT,
    ("repairing", "recycled"): REFURBISHMENT,
    ("repairing", "lost"): INVENTORY,
    ("ready", "sold"): REFURBISHMENT,
    ("ready", "donated"): REFURBISHMENT,
    ("ready", "loan_pool"): REFURBISHMENT,
    ("ready", "repairing"): REFURBISHMENT,
    ("ready", "parts"): REFURBISHMENT,
    ("ready", "recycled"): REFURBISHMENT,
    ("ready", "lost"): INVENTORY,
    ("loan_pool", "on_loan"): LOANS,
    ("loan_pool", "ready"): REFURBISHMENT,
    ("loan_pool", "repairing"): REFURBISHMENT,
    ("loan_pool", "parts"): REFURBISHMENT,
    ("loan_pool", "recycled"): REFURBISHMENT,
    ("loan_pool", "lost"): INVENTORY,
    ("on_loan", "loan_pool"): LOANS,
    ("on_loan", "repairing"): LOANS,
    ("on_loan", "lost"): LOANS,
    ("lost", "received"): INVENTORY,
}

# The verb shown on the button that makes a transition.
ACTION_LABELS = {
    "diagnosing": "Commencer le diagnostic",
    "repairing": "Envoyer en réparation",
    "ready": "Déclarer reconditionné",
    "loan_pool": "Mettre au parc de prêt",
    "sold": "Vendre",
    "donated": "Donner",
    "parts": "Démonter pour pièces",
    "recycled": "Recycler (DEEE)",
    "lost": "Déclarer perdu ou volé",
    "received": "Déclarer retrouvé",
    "on_loan": "Prêter",
}


def is_allowed(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


def move_refusal(from_state: str, to_state: str) -> str | None:
    """Why the state machine refuses this move (French), or None when the table allows it."""
    if to_state not in STATES:
        return f"État inconnu : « {str(to_state)[:40]} »."
    if not is_allowed(from_state, to_state):
        allowed = ", ".join(STATES[s] for s in sorted(TRANSITIONS[from_state])) or "aucun (état final)"
        return (f"Passage impossible de « {STATES[from_state]} » à « {STATES[to_state]} ». "
                f"États possibles depuis « {STATES[from_state]} » : {allowed}.")
    return None


# Where a move that another area owns is made, for the inventory's generic door to say so.
_SALE_FORM = ("La vente s'enregistre avec le formulaire de vente (acheteur, éligibilité, prix, garantie) : "
              "ouvrez « Vendre » dans le panneau Atelier de l'appareil.")
_GIFT_FORM = ("Le don à un bénéficiaire s'enregistre avec son formulaire (bénéficiaire, éligibilité) : "
              "ouvrez « Donner » dans le panneau Atelier de l'appareil.")
_AT_THE_DESK = "Les prêts et les retours se font depuis l'accueil (prêt de matériel), pas ici."


def done_elsewhere(from_state: str, to_state: str) -> str:
    """Where this move is made, in French, when its owner is not the inventory."""
    if OWNER.get((from_state, to_state)) == LOANS:
        return _AT_THE_DESK
    if to_state == "sold":
        return _SALE_FORM
    if to_state == "donated":
        return _GIFT_FORM
    return (f"« {ACTION_LABELS.get(to_state, STATES.get(to_state, to_state))} » se fait dans le panneau Atelier "
            "de l'appareil (étapes de l'atelier).")
