"""The bus area's one door: the offline queue applied on the server (``sync``), its conflicts and the
actions that settle them (``conflicts``), and the tablet's small local copy (``local_copy``)."""

from __future__ import annotations

from .conflicts import ACTIONS, EVENT_LABELS, actions_for, get_conflict, list_conflicts, resolve
from .local_copy import local_copy
from .sync import MAX_OPERATIONS, QUEUE_FORMAT, BatchTooLarge, apply_batch, set_sync_window, sync_window

__all__ = [
    "ACTIONS", "EVENT_LABELS", "actions_for", "get_conflict", "list_conflicts", "resolve",
    "local_copy",
    "MAX_OPERATIONS", "QUEUE_FORMAT", "BatchTooLarge", "apply_batch", "set_sync_window", "sync_window",
]
