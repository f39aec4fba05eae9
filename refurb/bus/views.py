"""The bus's pages: "À régulariser" (offline operations to settle), the desk's offline shell and its service
worker (the desk keeps working without a connection; see static/js/bus-offline.js)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from ..accounts.roles import LOAN_DESK_ROLES, NETWORK_ROLES, STAFF_ROLES
from ..errors import Forbidden
from ..extensions import get_db
from ..formatting import plural
from ..inventory.categories import CATEGORIES
from ..loans.models import RETURN_CONDITIONS
from ..web.access import roles_required
from ..web.kit import see_other, submit
from ..web.layout import current_site, user_sites
from . import services as bus
from .models import CONFLICT_STATES, KINDS

bp = Blueprint("offline", __name__)

DESK_SCOPE = "/prets/comptoir"  # what the service worker serves offline: the desk and its shell


@bp.get("/a-regulariser")
@roles_required(*STAFF_ROLES)
def conflicts():
    return _page()


def _page(error=None, failed_id=None, status=200):
    db = get_db()
    site_code = request.args.get("site") or None
    state = request.args.get("etat", "open") or None
    items = bus.list_conflicts(db, current_user, site_code=site_code, state=state)
    return render_template("bus/conflicts.html", items=items, site_code=site_code or "", state=state or "",
                           sites=user_sites(), states=CONFLICT_STATES, kinds=KINDS,
                           actions_for=bus.actions_for, event_labels=bus.EVENT_LABELS, error=error,
                           failed_id=failed_id, window_days=bus.sync_window(db).days,
                           sets_window=current_user.role in NETWORK_ROLES), status


@bp.post("/a-regulariser/<int:conflict_id>")
@roles_required(*STAFF_ROLES)
def resolve(conflict_id: int):
    db = get_db()
    conflict = bus.get_conflict(db, current_user, conflict_id)
    action = request.form.get("action")
    return submit(lambda: bus.resolve(db, current_user, conflict, action, note=request.form.get("note"),
                                      borrower_card=request.form.get("borrower_card")),
                  done=lambda c: see_other(url_for(".conflicts", **_filters()),
                                           f"Opération n° {c.id} : {c.state_label.lower()}."),
                  failed=lambda err: _page(error=err, failed_id=conflict_id)[0])


@bp.post("/a-regulariser/fenetre")
@roles_required(*NETWORK_ROLES)
def sync_window():
    db = get_db()
    return submit(lambda: bus.set_sync_window(db, current_user, request.form.get("days")),
                  done=lambda days: see_other(url_for(".conflicts"),
                                              f"Fenêtre de synchronisation : {plural(days, 'jour')}."),
                  failed=lambda err: _page(error=err)[0])


def _filters() -> dict:
    return {k: v for k, v in (("site", request.args.get("site")), ("etat", request.args.get("etat"))) if v}


@bp.get("/prets/comptoir/hors-ligne")
@roles_required(*LOAN_DESK_ROLES)
def offline_desk():
    """The desk's shell without anyone's data: what the service worker shows when the desk is opened offline."""
    site = current_site()
    if site is None:
        raise Forbidden("Aucun site ne vous est attribué : le comptoir de prêt a besoin d'un site.")
    return render_template("bus/offline_desk.html", site=site, shell=True, conditions=RETURN_CONDITIONS,
                           categories=CATEGORIES)


@bp.get("/comptoir-sw.js")
def service_worker():
    """The desk's service worker, at the root so that its scope may cover the desk (public: a script)."""
    body = render_template("bus/desk-sw.js", scope=DESK_SCOPE, shell=url_for(".offline_desk"),
                           assets=[url_for("static", filename=f) for f in (
                               "vendor/pico.min.css", "css/refurb.css", "vendor/htmx.min.js", "js/refurb.js",
                               "js/bus-offline.js")])
    return body, 200, {"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache"}


@bp.app_context_processor
def _offline_context():
    """The desk template includes ``bus/_offline.html``; it needs these."""
    return {"offline_conditions": RETURN_CONDITIONS, "offline_categories": CATEGORIES, "offline_scope": DESK_SCOPE}
