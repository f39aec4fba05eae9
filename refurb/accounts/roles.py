"""Roles and what they may see. Site scoping is decided here and nowhere else."""

from __future__ import annotations

ADMIN = "admin"
MANAGER = "gestionnaire"
TECHNICIAN = "technicien"
RECEPTION = "accueil"
KIOSK = "borne"

ROLES = {
    ADMIN: "Administrateur",
    MANAGER: "Gestionnaire",
    TECHNICIAN: "Technicien",
    RECEPTION: "Accueil",
    KIOSK: "Borne libre-service",
}

# These roles see and act on the whole network; the others only on their sites.
NETWORK_ROLES = frozenset({ADMIN, MANAGER})
STAFF_ROLES = frozenset({ADMIN, MANAGER, TECHNICIAN, RECEPTION})
# Who works where (one set per meaning; views, services and tests use these, never a local copy).
WORKSHOP_ROLES = frozenset({ADMIN, MANAGER, TECHNICIAN})  # the workshop, stock-takes, imports of devices
LOAN_DESK_ROLES = frozenset({ADMIN, MANAGER, RECEPTION})  # borrowers, loans, reservations, kits
