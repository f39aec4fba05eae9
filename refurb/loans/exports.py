"""The loans export (listed with the other CSV/XLSX exports by refurb.documents): one line per loan of the
user's sites. The borrower appears by card number only (no name: an export leaves the application)."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from ..accounts.scope import limit_to_user_sites
from ..inventory.categories import CATEGORIES
from ..sites.models import Site
from .models import Loan

LOAN_COLUMNS = [
    ("loan", "N° de prêt"), ("asset_tag", "Étiquette"), ("category", "Catégorie"), ("card", "Carte usager"),
    ("site", "Site"), ("start", "Début"), ("due", "Retour prévu"), ("returned", "Rendu le"),
    ("condition", "État au retour"), ("renewals", "Prolongations"), ("deposit", "Caution (€)"),
    ("deposit_status", "Caution : état"),
]
MAX_EXPORT_ROWS = 200_000


def loan_rows(db, user, args) -> Iterable[list]:
    """Loans started at the user's sites (optionally ?site=CODE), most recent first."""
    stmt = limit_to_user_sites(select(Loan), Loan.site_id, user)
    code = (args.get("site") or "").strip().upper()
    if code and code != "*":
        stmt = stmt.join(Site, Site.id == Loan.site_id).where(Site.code == code)
    stmt = stmt.order_by(Loan.started_at.desc(), Loan.id.desc()).limit(MAX_EXPORT_ROWS)
    for loan in db.scalars(stmt).yield_per(2000):
        yield [loan.id, loan.device.asset_tag, CATEGORIES.get(loan.category, loan.category),
               loan.borrower.card_number or "(anonymisé)", loan.site.code, loan.start_on, loan.due_on,
               loan.returned_at, loan.condition_label, loan.renewals, loan.deposit_amount,
               loan.deposit_status_label]
