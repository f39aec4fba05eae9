"""The one writer of CSV and XLSX files, safe to open in a spreadsheet.

Formula injection: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
run as a formula by Excel/LibreOffice when the CSV is opened. In CSV such text is prefixed with an
apostrophe (OWASP); in XLSX every text cell is written as a typed string, never as a formula.
Every export a person downloads goes through here. The open-data CSV is written by ``sites/opendata.py`` in
the published schema's own form, but its free text goes through ``neutralise`` too.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Sequence

from .errors import NotFound
from .formatting import local

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


# Werkzeug adds "; charset=utf-8" to a text/* mimetype itself: give it the bare type.
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render(fmt: str, columns, rows, *, title: str) -> tuple[bytes, str]:
    if fmt == "csv":
        return to_csv(columns, rows), CSV_MIMETYPE
    if fmt == "xlsx":
        return to_xlsx(columns, rows, title=title), XLSX_MIMETYPE
    raise NotFound(f"Format inconnu : « {fmt[:10]} » (csv ou xlsx).")
