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

Formula injection: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
run as a formula by Excel/LibreOffice when the CSV is opened. In CSV such text is prefixed with an
apostrophe (OWASP); in XLSX every text cell is written as a typed string, never as a formula.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Callable, Iterable, Sequence

from ..errors import Forbidden, NotFound
from ..formatting import local

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

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


def neutralise(value: str) -> str:
    """Text that a spreadsheet would run as a formula, made inert (CSV)."""
    if value and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return local(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return str(value)


def to_csv(columns: Sequence[tuple[str, str]], rows: Iterable[Sequence], *, delimiter: str = ";") -> bytes:
    """UTF-8 with BOM and ";" (what a French Excel opens directly), every text cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([neutralise(label) for _key, label in columns])
    for row in rows:
        writer.writerow([v if isinstance(v, int) and not isinstance(v, bool) else neutralise(_text(v))
                         for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(columns: Sequence[tuple[str, str]], rows: Iterable[Sequence], *, title: str = "Export") -> bytes:
    """An XLSX workbook (write-only: fast and light); text is always a string cell, never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=_sheet_title(title))
    bold = Font(bold=True)
    header = []
    for _key, label in columns:
        cell = WriteOnlyCell(ws, value=label)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    widths = [max(10, len(label) + 2) for _key, label in columns]
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if isinstance(value, bool) or value is None or not isinstance(value, (int, float, Decimal, date)):
                cell = WriteOnlyCell(ws, value=_text(value))
                cell.data_type = "s"  # never "f": a leading "=" stays text
            elif isinstance(value, datetime):
                cell = WriteOnlyCell(ws, value=local(value).replace(tzinfo=None))
                cell.number_format = "DD/MM/YYYY HH:MM"
            elif isinstance(value, date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "DD/MM/YYYY"
            else:
                cell = WriteOnlyCell(ws, value=value)
            cells.append(cell)
            if i < len(widths) and isinstance(cell.value, str):
                widths[i] = min(60, max(widths[i], len(cell.value) + 2))
        ws.append(cells)
    from openpyxl.utils import get_column_letter
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, " ")
    return (title.strip() or "Export")[:31]


CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render(fmt: str, columns, rows, *, title: str) -> tuple[bytes, str]:
    if fmt == "csv":
        return to_csv(columns, rows), CSV_MIMETYPE
    if fmt == "xlsx":
        return to_xlsx(columns, rows, title=title), XLSX_MIMETYPE
    raise NotFound(f"Format inconnu : « {fmt[:10]} » (csv ou xlsx).")


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
