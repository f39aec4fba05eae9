"""Import from the spreadsheets sites keep today (CSV or XLSX): read, map columns, check every line, then
commit all lines or none.

Reading: XLSX through openpyxl (formulas are never computed: a cell holding a formula is refused with its
line number, since its value is unknown to us); CSV in UTF-8 (with or without BOM), else Windows-1252 (what
Excel on Windows saves), separator guessed among ";", "," and tab. Every read is bounded (the MAX_*
below) and refused early with a French message; a file is read once, at upload, and the table is kept
with the pending upload (refurb.storage) for the preview and the commit.

What each kind of line becomes is said by its importer (refurb.documents.importers): the columns it takes,
``check_row(db, user, values, ctx)`` that turns one line's mapped values into an object to create, or raises a
``RefurbError`` whose message is shown with the line number; ``check_batch(db, user, items, ctx)`` that
returns {line: message} for problems between lines (duplicates) or with the database (already known);
``commit_row(db, user, obj, ctx)`` that creates it, inside the one transaction of the import.

A long import run as a background job (more than ``STAGE_ROWS`` lines, for an importer that can ``withdraw``
what it created) does not hold SQLite's write lock for its whole run, which stopped every desk for as long: its
lines are checked with a reading session, then written ``STAGE_ROWS`` at a time, each earlier batch its own short
transaction whose rows are recorded as staged for the job (``job_staged_rows``, see jobs.py), the last batch in
the transaction that marks the job done. If a line is refused on the way (a serial number recorded meanwhile),
anything fails, or the process is killed, whoever writes the job's end withdraws the staged rows: every line or
none, as the user sees it, whichever process notices. Without a job (an import made within a request) every line
is written in one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Mapping, Protocol, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import storage
from ..db import reading_session, use_case
from ..errors import Invalid, NotFound, RefurbError
from ..formatting import plural
from ..sites.models import Site

MAX_IMPORT_BYTES = 50 * 1024 * 1024
MAX_IMPORT_ROWS = 10_000  # lines of data
MAX_ERRORS_SHOWN = 200
# What one import may read, whatever the file claims: every line counts, blank ones included (a sheet
# can hold a million blank rows in a few kilobytes), and so does every character of every cell (a shared
# string referenced by every cell costs nothing in the file and everything once read).
MAX_FILE_LINES = MAX_IMPORT_ROWS + 1_000
MAX_COLUMNS = 100
MAX_CELL_CHARS = 5_000  # the longest field an importer takes (notes) is 5,000 characters
MAX_TEXT_CHARS = 20_000_000
# An XLSX is a zip of XML parts: their sizes are checked from the zip's directory before any parsing.
# A real sheet of 10,000 devices × 17 columns is about 10 MB of XML.
MAX_XLSX_UNZIPPED = 40 * 1024 * 1024
MAX_XLSX_SHARED_TEXT = 16 * 1024 * 1024  # the shared strings part is read whole by openpyxl
MAX_XLSX_PARTS = 1_000


class ImportRefused(RefurbError):
    status = 422
    code = "import_refused"


class TooLarge(RefurbError):
    status = 413
    code = "too_large"


def too_large_message(size: int | None = None) -> str:
    shown = f" ({size / 1024 / 1024:.0f} Mo)" if size else ""
    return (f"Le fichier est trop volumineux{shown} : 50 Mo au plus. Enregistrez-le sans images ni onglets "
            "inutiles, ou coupez-le en plusieurs fichiers, puis recommencez. Rien n'a été importé.")


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} Mo"


# --- reading -------------------------------------------------------------------------------------

@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)
    encoding: str = ""
    problems: dict[int, str] = field(default_factory=dict)  # line -> message (formulas…)

    def to_json(self) -> bytes:
        """The table as read, to keep between the upload and the commit (the file is parsed once)."""
        return json.dumps({"headers": self.headers, "rows": self.rows, "encoding": self.encoding,
                           "problems": {str(k): v for k, v in self.problems.items()}},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> "Table":
        raw = json.loads(data)
        return cls(raw["headers"], [(line, cells) for line, cells in raw["rows"]], raw["encoding"],
                   {int(k): v for k, v in raw["problems"].items()})


class _Bounds:
    """Counts what is read and refuses, with a French message, as soon as a bound is passed."""

    def __init__(self):
        self.lines = 0
        self.chars = 0
        self.width = 0

    def line(self, line_no: int) -> None:
        self.lines += 1
        if self.lines > MAX_FILE_LINES:
            raise ImportRefused(
                f"Le fichier a plus de {_thousands(MAX_FILE_LINES)} lignes, lignes vides comprises (la lecture "
                f"s'arrête à la ligne {_thousands(line_no)}) : supprimez les lignes vides sous le tableau ou "
                "coupez-le en plusieurs fichiers. Rien n'a été importé.")

    def cells(self, line_no: int, values: list[str], where: Callable[[int, int], str]) -> list[str]:
        """The row without its trailing empty cells, each cell and the whole file checked for length.
        ``where(index, line_no)`` names a cell for the user ("C12")."""
        while values and not values[-1]:
            values.pop()
        if len(values) > MAX_COLUMNS:
            raise ImportRefused(f"La ligne {line_no} a plus de {MAX_COLUMNS} colonnes : gardez seulement les "
                                "colonnes à importer, puis recommencez. Rien n'a été importé.")
        for index, value in enumerate(values):
            if len(value) > MAX_CELL_CHARS:
                raise ImportRefused(
                    f"La cellule {where(index, line_no)} contient {_thousands(len(value))} caractères : "
                    f"{_thousands(MAX_CELL_CHARS)} au plus par cellule. Raccourcissez-la, puis recommencez. "
                    "Rien n'a été importé.")
            self.chars += len(value)
        if self.chars > MAX_TEXT_CHARS:
            raise ImportRefused(f"Le fichier contient plus de {_thousands(MAX_TEXT_CHARS)} caractères de texte : "
                                "coupez-le en plusieurs fichiers. Rien n'a été importé.")
        self.width = max(self.width, len(values))
        return values

    def too_many_rows(self, rows: list) -> None:
        if len(rows) > MAX_IMPORT_ROWS:
            raise ImportRefused(f"Le fichier a plus de {_thousands(MAX_IMPORT_ROWS)} lignes : coupez-le en "
                                "plusieurs fichiers. Rien n'a été importé.")

    def table(self, headers: list[str] | None, rows, encoding: str, problems=None) -> Table:
        headers = list(headers or [])
        headers += [""] * (self.width - len(headers))  # an untitled column with data can still be chosen
        return Table(headers, rows, encoding, problems or {})


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value).replace(".", ",")
    return str(value).strip()


def decode_csv(data: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-8 (BOM or not), else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 (BOM)"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise ImportRefused("L'encodage du fichier n'est pas reconnu (ni UTF-8 ni Windows-1252). Dans votre tableur, "
                            "enregistrez-le au format « CSV UTF-8 » ou en XLSX, puis recommencez.")


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ";"


def _physical_lines(text: str):
    """The text's lines, refusing one so long that the csv module would build a huge row from it."""
    limit = MAX_COLUMNS * (MAX_CELL_CHARS + 3)
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > limit:
            raise ImportRefused(f"La ligne {number} du fichier est trop longue ({_thousands(len(line))} caractères) : "
                                "vérifiez qu'il s'agit bien d'un tableau CSV. Rien n'a été importé.")
        yield line


def read_csv(data: bytes) -> Table:
    text, encoding = decode_csv(data)
    if "\x00" in text[:4096]:
        raise ImportRefused("Ce fichier n'est pas un CSV lisible (il contient des caractères binaires). "
                            "Envoyez un fichier .csv ou .xlsx.")
    first = text[:MAX_COLUMNS * (MAX_CELL_CHARS + 3)].split("\n", 1)[0]
    reader = csv.reader(_physical_lines(text), delimiter=_sniff_delimiter(first))
    bounds = _Bounds()
    headers: list[str] | None = None
    rows = []
    try:
        for cells in reader:
            line_no = reader.line_num
            bounds.line(line_no)
            values = bounds.cells(line_no, [c.strip() for c in cells], _csv_cell)
            if headers is None:
                headers = values
                continue
            if not values:
                continue
            rows.append((line_no, values))
            bounds.too_many_rows(rows)
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            raise ImportRefused(f"Une cellule vers la ligne {reader.line_num} dépasse "
                                f"{_thousands(MAX_CELL_CHARS)} caractères (ou un guillemet n'est pas fermé) : "
                                "corrigez le fichier, puis recommencez. Rien n'a été importé.")
        raise ImportRefused(f"Le fichier CSV est mal formé vers la ligne {reader.line_num} ({err}). "
                            "Vérifiez les guillemets, ou enregistrez-le en XLSX.")
    return bounds.table(headers, rows, encoding)


def _csv_cell(index: int, line_no: int) -> str:
    return f"de la colonne {index + 1}, ligne {line_no},"


UNREADABLE_XLSX = ("Ce fichier XLSX ne peut pas être lu (abîmé, protégé par un mot de passe, ou ancien format .xls). "
                   "Ouvrez-le dans votre tableur et enregistrez-le en .xlsx ou .csv.")


def check_xlsx_parts(data: bytes) -> None:
    """Refuse, before any parsing, a workbook whose parts would unzip to too much.

    The sizes come from the zip's central directory; a part that inflates to more than it declares is
    cut at its declared size by ``zipfile`` and fails its CRC check, so a lying directory ends as an
    unreadable file, never as more data."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise ImportRefused(UNREADABLE_XLSX)
    if len(parts) > MAX_XLSX_PARTS:
        raise ImportRefused(f"Ce fichier XLSX contient {_thousands(len(parts))} éléments : ce n'est pas un "
                            "simple tableau. Enregistrez l'onglet à importer seul, en .xlsx ou .csv.")
    unzipped = sum(p.file_size for p in parts)
    shared = sum(p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml"))
    if unzipped > MAX_XLSX_UNZIPPED or shared > MAX_XLSX_SHARED_TEXT:
        shown, limit = (unzipped, MAX_XLSX_UNZIPPED) if unzipped > MAX_XLSX_UNZIPPED else (shared, MAX_XLSX_SHARED_TEXT)
        raise ImportRefused(f"Ce fichier XLSX, une fois décompressé, est trop gros ({_mb(shown)} ; {_mb(limit)} "
                            "au plus). Enregistrez-le sans images ni onglets inutiles, ou en .csv, ou coupez-le en "
                            "plusieurs fichiers, puis recommencez. Rien n'a été importé.")


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    check_xlsx_parts(data)
    try:
        # data_only=False: a formula stays a formula (never computed here); we refuse it below.
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - any unreadable workbook gets the same French message
        raise ImportRefused(UNREADABLE_XLSX)
    try:
        return _read_sheet(wb.worksheets[0], lambda index, line_no: f"{get_column_letter(index + 1)}{line_no}")
    except ImportRefused:
        raise
    except Exception:  # noqa: BLE001 - a part that fails half-way (bad XML, bad CRC) is an unreadable file
        raise ImportRefused(UNREADABLE_XLSX)
    finally:
        wb.close()


def _read_sheet(ws, where) -> Table:
    # The dimension the sheet declares is not trusted either way: too small, rows would be dropped;
    # too large, a million blank rows would be made up. Rows and columns are bounded here instead.
    ws.reset_dimensions()
    bounds = _Bounds()
    headers: list[str] | None = None
    rows = []
    problems: dict[int, str] = {}
    for line_no, cells in enumerate(ws.iter_rows(max_row=MAX_FILE_LINES + 1, max_col=MAX_COLUMNS + 1), start=1):
        bounds.line(line_no)
        values = []
        for cell in cells:
            if getattr(cell, "data_type", None) == "f":
                column = getattr(cell, "column_letter", "?")
                problems.setdefault(line_no, f"la cellule {column}{line_no} contient une formule "
                                             "(non calculée ici) : remplacez-la par sa valeur")
                values.append("")
            else:
                values.append(_cell_text(cell.value))
        values = bounds.cells(line_no, values, where)
        if headers is None:
            if values:
                headers = values
            continue
        if not values:
            continue  # (a lone formula, e.g. a totals line, stays reported in ``problems``)
        rows.append((line_no, values))
        bounds.too_many_rows(rows)
    return bounds.table(headers, rows, "XLSX", problems)


def read_table(filename: str, data: bytes) -> Table:
    if not data:
        raise ImportRefused("Le fichier est vide : choisissez le fichier à importer.")
    if len(data) > MAX_IMPORT_BYTES:
        raise TooLarge(too_large_message(len(data)))
    name = (filename or "").lower()
    if data[:2] == b"PK" or name.endswith(".xlsx"):
        table = read_xlsx(data)
    elif name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportRefused("L'ancien format Excel .xls n'est pas lu : enregistrez le fichier en .xlsx ou .csv.")
    else:
        table = read_csv(data)
    if not table.headers or not any(table.headers):
        raise ImportRefused("La première ligne du fichier doit donner le nom des colonnes (catégorie, marque, "
                            "modèle, numéro de série…).")
    if not table.rows:
        raise ImportRefused("Le fichier n'a aucune ligne de données sous la ligne des titres.")
    return table


# --- importers -----------------------------------------------------------------------------------

def normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str
    required: bool = False
    synonyms: Sequence[str] = ()
    hint: str = ""


@dataclass
class Importer:
    key: str
    label: str
    roles: frozenset[str]
    fields: list[ImportField]
    check_row: Callable[..., Any]
    commit_row: Callable[..., Any]
    check_batch: Callable[..., dict[int, str]] | None = None
    # ``withdraw(db, created) -> kept``: remove what ``commit_row`` returned for the lines of an import that did
    # not end; returns what it had to keep (changed by someone meanwhile), named for the user. An importer that
    # has it is written in short batches when it runs as a job (see the module's note).
    withdraw: Callable[..., list[str]] | None = None

    def field(self, key: str) -> ImportField | None:
        return next((f for f in self.fields if f.key == key), None)


class ImportContext:
    """What every line of one import shares: the site chosen on the upload page, the file's name, and the
    network's sites, found by code or by name."""

    def __init__(self, db: Session, options: dict):
        self.default_site: str = options.get("site") or ""
        self.filename: str = options.get("filename", "")
        sites = list(db.scalars(select(Site)))
        self._by_code = {s.code: s for s in sites}
        self._by_name = {normalise_header(s.name): s for s in sites}
        self._lookups: dict[int, dict[str, str]] = {}

    def site(self, value: str) -> Site | None:
        """The site a cell names: its code (ex. EPN-CHINON) or its name (accents, case and punctuation ignored)."""
        return self._by_code.get(value.strip().upper()) or self._by_name.get(normalise_header(value))

    def choice(self, value: str, words: Mapping[str, Sequence[str]]) -> str | None:
        """The key whose words hold the cell's value (accents, case and punctuation ignored), or None."""
        lookup = self._lookups.get(id(words))
        if lookup is None:
            lookup = self._lookups[id(words)] = {normalise_header(w): key for key, ws in words.items() for w in ws}
        return lookup.get(normalise_header(value))


def guess_mapping(importer: Importer, headers: list[str]) -> dict[int, str]:
    """Column index → field key, from the header names (accents, case and punctuation ignored)."""
    mapping: dict[int, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        h = normalise_header(header)
        if not h:
            continue
        for f in importer.fields:
            names = {normalise_header(f.key), normalise_header(f.label)} | {normalise_header(s) for s in f.synonyms}
            if f.key not in used and h in names:
                mapping[index] = f.key
                used.add(f.key)
                break
    return mapping


def mapping_from_form(importer: Importer, headers: list[str], form) -> dict[int, str]:
    """``map_<index>=<field key>`` pairs (empty = column ignored); a field mapped twice is refused."""
    mapping: dict[int, str] = {}
    seen: dict[str, int] = {}
    keys = {f.key for f in importer.fields}
    for index in range(len(headers)):
        value = (form.get(f"map_{index}") or "").strip()
        if not value:
            continue
        if value not in keys:
            raise Invalid(fields={f"map_{index}": f"Colonne « {headers[index][:40]} » : champ inconnu « {value[:40]} »."})
        if value in seen:
            label = importer.field(value).label
            raise Invalid(fields={f"map_{index}": f"« {label} » est choisi pour deux colonnes "
                                                  f"(« {headers[seen[value]][:40]} » et « {headers[index][:40]} »)."})
        seen[value] = index
        mapping[index] = value
    return mapping


@dataclass
class Checked:
    total: int
    items: list[tuple[int, Any]]
    errors: dict[int, str]  # line -> French message
    missing_columns: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.missing_columns

    def error_lines(self, limit: int = MAX_ERRORS_SHOWN) -> list[tuple[int, str]]:
        return sorted(self.errors.items())[:limit]


def check_table(db: Session, user, importer: Importer, table: Table, mapping: dict[int, str],
                options: dict | None = None) -> Checked:
    """Every line checked, nothing written. Line numbers are the file's (titles = line 1)."""
    ctx = ImportContext(db, options or {})
    mapped = set(mapping.values())
    missing = [f.label for f in importer.fields if f.required and f.key not in mapped]
    items: list[tuple[int, Any]] = []
    errors: dict[int, str] = dict(table.problems)
    if missing:
        return Checked(len(table.rows), [], errors, missing)
    for line, cells in table.rows:
        values = {key: (cells[i] if i < len(cells) else "") for i, key in mapping.items()}
        if line in errors:
            continue
        try:
            items.append((line, importer.check_row(db, user, values, ctx)))
        except Invalid as err:
            errors[line] = " ; ".join(err.fields.values()) if err.fields else err.message
        except RefurbError as err:
            errors[line] = err.message
    if importer.check_batch and items:
        for line, message in importer.check_batch(db, user, items, ctx).items():
            errors.setdefault(line, message)
    return Checked(len(table.rows), [(line, obj) for line, obj in items if line not in errors], errors, [])


# A long import writes at most this many lines, or for at most this long, per transaction: SQLite's write lock
# is held a fraction of a second at a time, well within a desk's 5-second busy timeout.
STAGE_ROWS = 250
STAGE_SECONDS = 0.5
STAGE_PAUSE = 0.15  # between two batches, for the desks' writes


class Staging(Protocol):
    """Where a long import keeps its earlier batches (a background job: ``jobs._Heartbeat``)."""

    def keep(self, db: Session, created: list) -> None:
        """In the batch's transaction, before its commit: record ``created`` as staged; raise to stop (the
        import is no longer this worker's)."""


def _refuse_unless_ok(checked: Checked) -> None:
    if checked.missing_columns:
        raise ImportRefused("Colonne(s) obligatoire(s) non choisie(s) : " + ", ".join(checked.missing_columns)
                            + ". Rien n'a été importé.")
    if checked.errors:
        first = checked.error_lines(5)
        shown = " ; ".join(f"ligne {line} : {msg}" for line, msg in first)
        more = f" (et {plural(len(checked.errors) - 5, 'autre')})" if len(checked.errors) > 5 else ""
        raise ImportRefused(f"{plural(len(checked.errors), 'ligne à corriger')}, rien n'a été importé : {shown}{more}.")


def _write_line(db: Session, user, importer: Importer, line: int, obj, ctx: ImportContext):
    try:
        return importer.commit_row(db, user, obj, ctx)
    except RefurbError as err:
        raise ImportRefused(f"Ligne {line} : {err.message} Rien n'a été importé.")


@use_case
def import_table(db: Session, user, importer: Importer, table: Table, mapping: dict[int, str],
                 options: dict | None = None, *, pending: str | None = None, progress=None,
                 staging: Staging | None = None) -> int:
    """Check every line again, then create them all: every line or none. The pending upload ``pending`` is
    discarded with the last lines. With ``staging`` (a background job) a long import is written in batches."""
    if staging is not None and importer.withdraw is not None and len(table.rows) > STAGE_ROWS:
        return _import_in_batches(db, user, importer, table, mapping, options or {}, pending, progress, staging)
    checked = check_table(db, user, importer, table, mapping, options)
    _refuse_unless_ok(checked)
    ctx = ImportContext(db, options or {})
    total = len(checked.items)
    for done, (line, obj) in enumerate(checked.items, start=1):
        _write_line(db, user, importer, line, obj, ctx)
        if progress is not None and (done % 25 == 0 or done == total):
            progress(done, total, f"{done} / {total} lignes enregistrées…")
    if pending:
        storage.discard(db, pending)
    return total


def _import_in_batches(db: Session, user, importer: Importer, table: Table, mapping: dict[int, str], options: dict,
                       pending: str | None, progress, staging: Staging) -> int:
    """A long import: checked without the write lock, then written in short transactions, each batch's rows
    staged; the last batch is left to the caller's transaction, which ends the job (see the module's note)."""
    db.commit()  # what the caller read in a writing session (the pending upload) holds the lock: let it go
    with reading_session(db) as reader:
        checked = check_table(reader, user, importer, table, mapping, options)
        ctx = ImportContext(reader, options)
    # The checked objects and the sites now belong to no session: the writing session takes them as it goes.
    _refuse_unless_ok(checked)
    total, created = len(checked.items), []
    batch_started = time.monotonic()
    for done, (line, obj) in enumerate(checked.items, start=1):
        created.append(_write_line(db, user, importer, line, obj, ctx))
        if done < total and (done % STAGE_ROWS == 0 or time.monotonic() - batch_started > STAGE_SECONDS):
            staging.keep(db, created)
            db.commit()
            created = []
            if progress is not None:
                progress(done, total, f"{done} / {total} lignes enregistrées…")
            # A desk waiting for the lock polls it (SQLite's busy handler sleeps up to 100 ms between tries):
            # without a pause the next batch would take the lock again before any desk wakes.
            time.sleep(STAGE_PAUSE)
            batch_started = time.monotonic()
    if pending:
        storage.discard(db, pending)  # with the last lines
    if progress is not None:
        progress(total, total, f"{total} / {total} lignes enregistrées…")
    return total


# --- pending uploads -----------------------------------------------------------------------------

UPLOAD_PURPOSE = "import"


@use_case
def keep_upload(db: Session, user, key: str, filename: str, data: bytes, table: Table, site: str) -> str:
    """Keep the table read from an uploaded file (read once, at upload) for the preview and the commit;
    returns its token."""
    stored = storage.put(db, purpose=UPLOAD_PURPOSE, owner_id=user.id, filename=filename, content=table.to_json(),
                         meta={"key": key, "site": site, "encoding": table.encoding, "rows": len(table.rows),
                               "source_bytes": len(data), "source_sha256": hashlib.sha256(data).hexdigest()})
    return stored.token


def pending_upload(db: Session, user, key: str, token: str) -> tuple[dict, Table]:
    """The pending import ``token`` of this user for importer ``key``: (its facts, its table)."""
    stored = storage.get(db, token, owner_id=user.id, purpose=UPLOAD_PURPOSE)
    if stored.meta.get("key") != key:
        raise NotFound(storage.GONE)
    return dict(stored.meta, filename=stored.filename), Table.from_json(stored.content)
