"""CSV and XLSX exports, safe to open in a spreadsheet: the datasets, listed here one by one.

Each dataset names its columns, the roles that may export it and a ``rows(db, user, args)`` function that
keeps to the user's sites (the query string is passed on: ?site=CODE, the device list's filters…). The
rows of loans, donations and the DEEE register are written by their own areas; this module only lists
them. A dataset is served at ``/exports/<key>.csv`` and ``/exports/<key>.xlsx`` by ``refurb.tabular`` (the
one writer, which neutralises formulas).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from ..accounts.roles import LOAN_DESK_ROLES, STAFF_ROLES, WORKSHOP_ROLES
from ..errors import Forbidden, NotFound
from ..inventory import services as inventory
from ..inventory import workflow
from ..inventory.categories import CATEGORIES
from ..inventory.models import Device
from ..loans import exports as loans
from ..refurbishment import exports as refurbishment

Rows = Callable[..., Iterable[Sequence]]


@dataclass(frozen=True)
class Dataset:
    key: str
    label: str
    columns: Sequence[tuple[str, str]]  # (key, French header)
    rows: Rows  # rows(db, user, args) -> iterable of sequences in the columns' order
    roles: frozenset[str]
    description: str = ""


# --- the devices dataset -------------------------------------------------------------------------

DEVICE_COLUMNS = [
    ("asset_tag", "Étiquette"), ("category", "Catégorie"), ("state", "État"), ("brand", "Marque"),
    ("model", "Modèle"), ("serial_number", "N° de série"), ("grade", "Grade"), ("site", "Site"),
    ("condition", "État esthétique"), ("notes", "Notes"), ("created_at", "Créé le"), ("updated_at", "Modifié le"),
]
MAX_EXPORT_ROWS = 200_000


def device_rows(db, user, args) -> Iterable[list]:
    """The devices of the list the user is looking at (same filters as /devices: q, site, state, category)."""
    stmt = inventory.device_query(db, user, inventory.parse_filter(args)).order_by(Device.asset_tag)
    for d in db.scalars(stmt.limit(MAX_EXPORT_ROWS)).yield_per(2000):
        yield [d.asset_tag, CATEGORIES.get(d.category, d.category), workflow.STATES.get(d.state, d.state),
               d.brand, d.model, d.serial_number or "", d.grade or "", d.site.code, d.condition, d.notes,
               d.created_at, d.updated_at]


DATASETS: dict[str, Dataset] = {d.key: d for d in (
    Dataset(key="devices", label="Appareils", columns=DEVICE_COLUMNS, rows=device_rows, roles=STAFF_ROLES,
            description="Tous les appareils de vos sites (filtres de la liste : q, site, state, category)."),
    Dataset(key="loans", label="Prêts", columns=loans.LOAN_COLUMNS, rows=loans.loan_rows, roles=LOAN_DESK_ROLES,
            description="Les prêts de vos sites (usager par son numéro de carte)."),
    Dataset(key="donations", label="Dons", columns=refurbishment.DONATION_COLUMNS, rows=refurbishment.donation_rows,
            roles=STAFF_ROLES, description="Les dons reçus par vos sites, avec les étiquettes."),
    Dataset(key="recycling", label="Registre DEEE", columns=refurbishment.REGISTER_COLUMNS,
            rows=refurbishment.recycling_rows, roles=WORKSHOP_ROLES,
            description="Le registre chronologique des déchets (lots remis à la filière DEEE)."),
)}


def get_dataset(key: str, user) -> Dataset:
    dataset = DATASETS.get(key)
    if dataset is None:
        raise NotFound(f"Aucun export ne s'appelle « {key[:40]} ».")
    if user.role not in dataset.roles:
        raise Forbidden(f"Votre rôle ne permet pas d'exporter « {dataset.label} ».")
    return dataset
