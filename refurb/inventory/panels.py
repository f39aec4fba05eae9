"""Extension points of the device page: other areas add panels and timeline wording.

A panel is a template (under templates/<area>/) rendered on /d/<tag> with the context its
function returns, or hidden when the function returns None (e.g. the erasure form shows
only while the device waits for an erasure).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable[..., "dict | None"]  # (db, user, device, reads) -> dict or None to hide
    order: int = 100
    actions: bool = False  # the page's one action area: shown right under the device's head


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
    if all(p.key != panel.key for p in DEVICE_PANELS):
        DEVICE_PANELS.append(panel)
        DEVICE_PANELS.sort(key=lambda p: p.order)


class PageReads:
    """What the panels of one rendering of the device page read once and share (the workshop status, the
    history): made for that rendering and dropped with it, after any change the request made, so a page
    always shows the device's current state."""

    def __init__(self) -> None:
        self._read: dict[str, object] = {}

    def once(self, key: str, read: Callable[[], object]):
        if key not in self._read:
            self._read[key] = read()
        return self._read[key]

    def known(self, key: str):
        """What was read under ``key`` for this page already, else None."""
        return self._read.get(key)


def panels_for(db, user, device, reads: PageReads | None = None) -> list[tuple[Panel, dict]]:
    reads = reads or PageReads()
    shown = []
    for panel in DEVICE_PANELS:
        context = panel.context(db, user, device, reads)
        if context is not None:
            shown.append((panel, context))
    return shown
