"""Loans pages (one blueprint "loans"): the desk, borrowers, loans and overdue lists, reservations,
kits, loan rules, kiosk sessions, and the kiosk (borne) itself."""

from __future__ import annotations

import json

from flask import Blueprint, request

bp = Blueprint("loans", __name__)


def is_htmx() -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def tone(kind: str = "ok") -> dict:
    return {"HX-Trigger": json.dumps({"refurb:tone": {"kind": kind}})}


def page_number(name: str = "page") -> int:
    try:
        return max(1, min(100000, int(request.args.get(name, 1))))
    except (TypeError, ValueError):
        return 1


from . import admin, borrowers, desk, kiosk, lists  # noqa: E402,F401  (register their routes)
