"""Loans pages (one blueprint "loans"): the desk, borrowers, loans and overdue lists, reservations,
kits, loan rules, kiosk sessions, and the kiosk (borne) itself."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("loans", __name__)


@bp.app_template_global("borrower_shown")
def borrower_shown(loan) -> bool:
    """Templates: may this page name the loan's borrower (see ``loans.shows_borrower``)?"""
    from flask_login import current_user

    from .. import services as loans

    return loans.shows_borrower(current_user, loan)


@bp.app_template_global("borrower_contact_shown")
def borrower_contact_shown(borrower) -> bool:
    """Templates: may this page show the borrower's contact (the record: see ``borrowers.borrower_access``)?"""
    from flask_login import current_user

    from .. import services as loans

    return loans.sees_record(current_user, borrower)


from . import admin, borrowers, desk, kiosk, lists  # noqa: F401 - their routes register on bp
