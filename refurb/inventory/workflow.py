"""The device lifecycle as an explicit state machine: the one table of allowed transitions.

Other areas add *guards* (rules that may refuse a transition, e.g. "no erasure recorded")
with ``register_guard``; the loans area alone moves devices in and out of ``on_loan``.
"""

from __future__ import annotations

from typing import Callable

STATES = {
    "received": "Reçu",
    "diagnosing": "En diagnostic",
    "repairing": "En réparation",
    "ready": "Prêt (reconditionné)",
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

# Moves that only the loans area makes (check-out, return).
LOANS_ONLY = frozenset({("loan_pool", "on_loan"), ("on_loan", "loan_pool"), ("on_loan", "repairing"),
                        ("on_loan", "lost")})

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
    "ready": "Déclarer prêt",
    "loan_pool": "Mettre au parc de prêt",
    "sold": "Vendre",
    "donated": "Donner",
    "parts": "Démonter pour pièces",
    "recycled": "Recycler (DEEE)",
    "lost": "Déclarer perdu ou volé",
    "received": "Déclarer retrouvé",
    "on_loan": "Prêter",
}

Guard = Callable[..., "str | None"]  # (db, device, to_state) -> French reason to refuse, or None
GUARDS: list[Guard] = []


def register_guard(guard: Guard) -> Guard:
    if guard not in GUARDS:
        GUARDS.append(guard)
    return guard


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


def refusal(db, device, to_state: str, *, via: str | None = None) -> str | None:
    """Why this transition cannot happen now (French), or None when it can."""
    reason = move_refusal(device.state, to_state)
    if reason:
        return reason
    if (device.state, to_state) in LOANS_ONLY and via != "loans":
        return "Les prêts et les retours se font depuis l'accueil (prêt de matériel), pas ici."
    for guard in GUARDS:
        reason = guard(db, device, to_state)
        if reason:
            return reason
    return None
