"""CSV and XLSX exports, safe to open in a spreadsheet.

Any area adds its dataset with ``register_dataset`` (devices are registered here; the recycling register,
loans and donations are added by their areas)::

    from refurb.documents.exports import Dataset, register_dataset

    register_dataset(Dataset(
        key="loans", label="Prêts", roles=frozenset({"admin", "gestionnaire", "accueil"}),
        columns=[("borrower", "Usager"), ("device", "Appareil"), ("start", "Début")],
        rows=lambda db, user, args: ...,   # iterable of lists (in the columns' order); check site scope here
    ))

It is then served at ``/exports/<key>.csv`` and ``/exports/<key>.xlsx`` (query string passed to ``rows``)
and listed on the Documents page.

The files themselves are written by ``refurb.tabular`` (the one writer, which neutralises formulas).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from ..errors import Forbidden, NotFound
from ..tabular import CSV_MIMETYPE, XLSX_MIMETYPE, neutralise, render, to_csv, to_xlsx  # noqa: F401

Rows = Callable[..., Iterable[Sequence]]


@dataclass(frozen=True)
class Dataset:
    key: str
    label: str
    columns: Sequence[tuple[str, str]]  # (key, French header)
    rows: Rows  # rows(db, user, args) -> iterable of sequences in the columns' order
    roles: frozenset[str]
    description: str = ""


DATASETS: dict[str, Dataset] = {}


def register_dataset(dataset: Dataset) -> Dataset:
    DATASETS[dataset.key] = dataset
    return dataset


def get_dataset(key: str, user) -> Dataset:
    dataset = DATASETS.get(key)
    if dataset is None:
        raise NotFound(f"Aucun export ne s'appelle « {key[:40]} ».")
    if user.role not in dataset.roles:
        raise Forbidden(f"Votre rôle ne permet pas d'exporter « {dataset.label} ».")
    return dataset


# --- the devices dataset -------------------------------------------------------------------------

DEVICE_COLUMNS = [
    ("asset_tag", "Étiquette"), ("category", "Catégorie"), ("state", "État"), ("brand", "Marque"),
    ("model", "Modèle"), ("serial_number", "N° de série"), ("grade", "Grade"), ("site", "Site"),
    ("condition", "État esthétique"), ("notes", "Notes"), ("created_at", "Créé le"), ("updated_at", "Modifié le"),
]
MAX_EXPORT_ROWS = 200_000


def device_rows(db, user, args) -> Iterable[list]:
    """The devices of the list the user is looking at (same filters as /devices: q, site, state, category)."""
    from ..inventory import workflow
    from ..inventory.categories import CATEGORIES
    from ..inventory.models import Device
    from ..inventory.services import device_query, parse_filter

    f = parse_filter(args)
    stmt = device_query(db, user, f).order_by(Device.asset_tag).limit(MAX_EXPORT_ROWS)
    for d in db.scalars(stmt).yield_per(2000):
        yield [d.asset_tag, CATEGORIES.get(d.category, d.category), workflow.STATES.get(d.state, d.state),
               d.brand, d.model, d.serial_number or "", d.grade or "", d.site.code, d.condition, d.notes,
               d.created_at, d.updated_at]


def register_builtin_datasets() -> None:
    from ..accounts.roles import ADMIN, MANAGER, RECEPTION, TECHNICIAN

    register_dataset(Dataset(
        key="devices", label="Appareils", columns=DEVICE_COLUMNS, rows=device_rows,
        roles=frozenset({ADMIN, MANAGER, TECHNICIAN, RECEPTION}),
        description="Tous les appareils de vos sites (filtres de la liste : q, site, state, category)."))
