"""The small local copy the tablet keeps to check scans while offline, refreshed at each sync and cleared at
logout: the devices at the site with their state, and the site's borrowers' card numbers with a first name
and an initial (nothing more personal). What it cannot check is checked at sync."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..accounts.roles import LOAN_DESK_ROLES, STAFF_ROLES
from ..accounts.scope import require_site
from ..clock import utcnow
from ..errors import Forbidden
from ..inventory.categories import CATEGORIES
from ..inventory.models import Device
from ..inventory.workflow import FINAL_STATES, STATES
from ..loans.models import Borrower, Loan
from ..sites.models import Site
from .sync import MAX_OPERATIONS, QUEUE_FORMAT, short_name, sync_window

MAX_DEVICES = 5000
MAX_BORROWERS = 5000
RECENT_BORROWERS = timedelta(days=365)  # a borrower who borrowed at the site this last year comes back


def local_copy(db: Session, actor, site: Site) -> dict:
    """What the tablet of ``site`` keeps offline (see the module's note)."""
    if actor.role not in STAFF_ROLES:
        raise Forbidden("La copie hors connexion est celle de l'équipe d'un site.")
    require_site(actor, site.id, f"le site « {site.name} »")
    devices = db.scalars(select(Device).where(Device.site_id == site.id, Device.state.not_in(FINAL_STATES))
                         .order_by(Device.asset_tag).limit(MAX_DEVICES))
    copy = {
        "format": QUEUE_FORMAT, "site": site.code, "site_name": site.name, "generated_at": utcnow().isoformat(),
        "user": actor.username, "window_days": sync_window(db).days, "max_operations": MAX_OPERATIONS,
        "states": STATES, "categories": CATEGORIES,
        "devices": [{"asset_tag": d.asset_tag, "state": d.state, "category": d.category, "title": d.title}
                    for d in devices],
        "borrowers": [],
    }
    if actor.role in LOAN_DESK_ROLES:
        copy["borrowers"] = [{"card": b.card_number, "name": short_name(b)} for b in _site_borrowers(db, site)]
    return copy


def _site_borrowers(db: Session, site: Site) -> list[Borrower]:
    recent = select(Loan.borrower_id).where(Loan.site_id == site.id,
                                            or_(Loan.returned_at.is_(None),
                                                Loan.started_at >= utcnow() - RECENT_BORROWERS))
    return list(db.scalars(select(Borrower).where(Borrower.anonymised_at.is_(None),
                                                  or_(Borrower.home_site_id == site.id, Borrower.id.in_(recent)))
                           .order_by(Borrower.card_number).limit(MAX_BORROWERS)))
