"""Extension points of the device page: other areas add panels and timeline wording.

A panel is a template (under templates/<area>/) rendered on /d/<tag> with the context its
function returns, or hidden when the function returns None (e.g. the erasure form shows
only while the device waits for an erasure).

A panel may also say which records it shows (``records``: a name and an EXISTS clause on the bound parameters
``device_id`` and ``asset_tag``). The page asks for all of them in one query before the panels run
(``PageReads.has``), and a panel skips reading the records a device has none of: most devices have no loan, no
certificate, no hardware report. A panel that reads a few rows on many pages may have the page's own statement
carry them (``carried``: a name and the statement of those rows, ``device_id`` bound): they are then
``PageReads.known(name)``, as that statement's rows, and their presence is whether there are any.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.visitors import replacement_traverse

from ..db import plain_rows, rows_as_json, typed_rows_from_json


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[..., "dict | None"]  # (db, user, device, reads) -> dict or None to hide
    order: int = 100
    actions: bool = False  # the page's one action area: shown right under the device's head
    records: dict | None = None  # {name: EXISTS clause} of what the panel shows (see above)
    carried: dict | None = None  # {name: statement of rows it shows, ``device_id`` bound}: read with the device


DEVICE_PANELS: list[Panel] = []

# action (DeviceEvent.action) → French label for the timeline; areas add theirs.
EVENT_LABELS: dict[str, str] = {
    "created": "Enregistré",
    "transition": "Changement d'état",
    "transfer": "Transfert",
    "edit": "Fiche modifiée",
    "undo": "Étape annulée",
}


def add_event_labels(labels: dict[str, str]) -> None:
    """Timeline wording of another area's history actions (an action already named keeps its name)."""
    for action, label in labels.items():
        EVENT_LABELS.setdefault(action, label)


def register_panel(panel: Panel) -> None:
    global _presence, _with_history
    if all(p.key != panel.key for p in DEVICE_PANELS):
        DEVICE_PANELS.append(panel)
        DEVICE_PANELS.sort(key=lambda p: p.order)
        _presence = _with_history = None


_presence = None  # the one query of every panel's records, built once the panels are known
_with_history = None  # (a history statement, that statement with the presence's columns), built once


def _presence_columns() -> list:
    """Every panel's records, each an EXISTS clause labelled with its name."""
    return [clause.label(name) for panel in DEVICE_PANELS if panel.records for name, clause in panel.records.items()]


def _presence_query():
    global _presence
    if _presence is None:
        columns = _presence_columns()
        _presence = select(*columns) if columns else False
    return _presence


def presence_of(device_id, asset_tag, *, but: tuple = ()) -> list:
    """Every panel's records (``_presence_columns``) but those named in ``but``, for the device of a statement that
    reads it: its bound parameters ``device_id`` and ``asset_tag`` replaced by these expressions (the statement's
    own columns)."""
    values = {"device_id": device_id, "asset_tag": asset_tag}
    return [_bound(column, values) for column in _presence_columns() if column.name not in but]


def _bound(clause, values: dict):
    """``clause`` with its bound parameters named in ``values`` replaced by those expressions."""
    def replace(element):
        if isinstance(element, BindParameter) and element.key in values:
            return values[element.key]
        return None

    return replacement_traverse(clause, {}, replace)


def _carried() -> dict:
    """Every panel's carried rows (``Panel.carried``): {name: statement}."""
    return {name: stmt for panel in DEVICE_PANELS if panel.carried for name, stmt in panel.carried.items()}


def carried_of(device) -> list:
    """Every panel's carried rows for the device of a statement that reads ``device`` (its mapped class): each
    statement with its ``device_id`` replaced by the device's id and correlated with it, its rows as one JSON value
    (``db.rows_as_json``) labelled with its name."""
    return [rows_as_json(_bound(stmt, {"device_id": device.id}).correlate(device)).label(name)
            for name, stmt in _carried().items()]


def carried_rows(name: str, value: str | None) -> list:
    """The rows ``carried_of`` read under ``name``, as that panel's statement gives them (``db.plain_rows``)."""
    return typed_rows_from_json(value, _carried()[name])


def _history_with_presence(history) -> tuple:
    """``history`` with the presence's columns after its own, and those columns' names."""
    global _with_history
    if _with_history is None or _with_history[0] is not history:
        columns = _presence_columns()
        _with_history = (history, history.add_columns(*columns), [c.name for c in columns])
    return _with_history[1:]


class PageReads:
    """What the panels of one rendering of the device page read once and share (the workshop status, the
    history): made for that rendering and dropped with it, after any change the request made, so a page
    always shows the device's current state."""

    def __init__(self) -> None:
        self._read: dict[str, object] = {}
        self._present: dict[str, bool] = {}

    @property
    def asked(self) -> bool:
        """Whether the page asked which records the device has (``panels_for``)."""
        return bool(self._present)

    def has(self, name: str) -> bool:
        """Whether the device has records ``name`` (a panel's ``records``); True when the page did not ask (a
        panel answered alone reads them all)."""
        return self._present.get(name, True)

    def once(self, key: str, read: Callable[[], object]):
        if key not in self._read:
            self._read[key] = read()
        return self._read[key]

    def known(self, key: str):
        """What was read under ``key`` for this page already, else None."""
        return self._read.get(key)

    @classmethod
    def read(cls, history: list, present: dict[str, bool], carried: dict[str, list]) -> PageReads:
        """The reads of a device page whose statement read the history, the records and the panels' carried rows
        already (the device page itself, ``inventory.services.device_page``): the history is then
        ``known("history")``, each carried name's rows ``known(name)``, present when there are some."""
        reads = cls()
        reads._read["history"] = history
        reads._read.update(carried)
        reads._present.update(present)
        reads._present.update({name: bool(rows) for name, rows in carried.items()})
        return reads

    @classmethod
    def with_history(cls, db, device, history) -> PageReads:
        """The reads of a device page that prints the device's history: ``history`` (a statement of its events
        newest first, ``device_id`` bound) and which records it has, in one statement (one round trip fewer on
        PostgreSQL); the history is then ``known("history")``."""
        reads = cls()
        statement, names = _history_with_presence(history)
        rows = plain_rows(db, statement, {"device_id": device.id, "asset_tag": device.asset_tag})
        reads._read["history"] = rows
        if rows:  # every device has its "created" event; a device without one has its presence asked apart
            reads._present.update({name: bool(rows[0]._mapping[name]) for name in names})
        return reads


def panels_for(db, user, device, reads: PageReads | None = None) -> list[tuple[Panel, dict]]:
    reads = reads or PageReads()
    query = _presence_query()
    if query is not False and not reads.asked:
        (row,) = plain_rows(db, query, {"device_id": device.id, "asset_tag": device.asset_tag})
        reads._present.update({name: bool(value) for name, value in row._mapping.items()})
    shown = []
    for panel in DEVICE_PANELS:
        context = panel.context(db, user, device, reads)
        if context is not None:
            shown.append((panel, context))
    return shown
