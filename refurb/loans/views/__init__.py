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


@bp.app_template_global("borrower_shown")
def borrower_shown(loan) -> bool:
    """Templates: may this page name the loan's borrower (see ``loans.shows_borrower``)?"""
    from flask_login import current_user

    from ..loans import shows_borrower

    return shows_borrower(current_user, loan)


@bp.app_template_global("borrower_contact_shown")
def borrower_contact_shown(borrower) -> bool:
    """Templates: may this page show the borrower's contact (the record: see ``borrowers.borrower_access``)?"""
    from flask_login import current_user

    from ..borrowers import sees_record

    return sees_record(current_user, borrower)


from . import admin, borrowers, desk, kiosk, lists  # noqa: E402,F401  (register their routes)
