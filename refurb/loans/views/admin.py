"""Loan rules per site (managers), retention of borrower data (admins), kiosk sessions (staff)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from ...accounts.models import User
from ...accounts.roles import ADMIN
from ...accounts.scope import sites_for
from ...errors import NotFound, RefurbError
from ...extensions import get_db
from ...inventory.categories import CATEGORIES
from ...sites.services import get_site
from ...validation import as_id
from ...web.access import roles_required, sign_in
from ...web.layout import current_site
from .. import kiosk as kiosk_svc
from .. import rules as rules_svc
from ..borrowers import DESK_ROLES
from ..models import BORROWER_KINDS
from . import bp


@bp.route("/prets/regles", methods=["GET", "POST"])
@roles_required(*DESK_ROLES)
def rules_page():
    db = get_db()
    sites = sites_for(db, current_user, active_only=False)
    code = request.values.get("site") or (current_site().code if current_site() else (sites[0].code if sites else ""))
    site = get_site(db, code)
    if site not in sites:
        raise NotFound(f"Aucun de vos sites ne porte le code « {code[:32]} ».")
    errors, status, form = {}, 200, None
    if request.method == "POST":
        form = request.form.to_dict()
        form["accept_other_site_returns"] = request.form.get("accept_other_site_returns") == "on"
        try:
            rules_svc.update_rules(db, current_user, site, form)
        except RefurbError as err:
            db.rollback()
            errors, status = (dict(err.fields) or {"_": err.message}), err.status
        else:
            db.commit()
            flash(f"Règles de prêt de « {site.name} » enregistrées.", "success")
            return redirect(url_for(".rules_page", site=site.code))
    return render_template("loans/rules.html", site=site, sites=sites, table=rules_svc.rules_table(db, site),
                           kinds=BORROWER_KINDS, categories=CATEGORIES, errors=errors, form=form,
                           can_edit=current_user.role in ("admin", "gestionnaire"),
                           retention=rules_svc.retention_days(db)), status


@bp.post("/prets/regles/conservation")
@roles_required(ADMIN)
def retention_setting():
    db = get_db()
    try:
        days = rules_svc.set_retention_days(db, current_user, request.form.get("retention"))
    except RefurbError as err:
        db.rollback()
        flash(err.message, "error")
    else:
        db.commit()
        flash(f"Les usagers inactifs depuis {days} jours seront anonymisés (commande refurb purge-borrowers).",
              "success")
    return redirect(url_for(".rules_page"))


@bp.get("/prets/bornes")
@roles_required(*DESK_ROLES)
def kiosk_sessions():
    db = get_db()
    accounts = [u for s in sites_for(db, current_user) for u in kiosk_svc.kiosk_accounts(db, s)]
    return render_template("loans/kiosk_sessions.html", sessions=kiosk_svc.open_sessions(db, current_user),
                           accounts=accounts, ip=request.remote_addr or "")


@bp.post("/prets/bornes/ouvrir")
@roles_required(*DESK_ROLES)
def open_kiosk():
    """Turn this computer into the kiosk of a site: the session becomes the kiosk account's."""
    db = get_db()
    staff = current_user._get_current_object()
    user_id = as_id(request.form.get("kiosk_user"))
    kiosk_user = db.get(User, user_id) if user_id is not None else None
    if kiosk_user is None:
        flash("Choisissez le compte de borne à ouvrir.", "error")
        return redirect(url_for(".kiosk_sessions"))
    try:
        ks = kiosk_svc.open_session(db, staff, kiosk_user, request.remote_addr or "")
    except RefurbError as err:
        db.rollback()
        flash(err.message, "error")
        return redirect(url_for(".kiosk_sessions"))
    db.commit()
    sign_in(kiosk_user)
    session["kiosk_session_id"] = ks.id
    return redirect(url_for(".kiosk"))


@bp.post("/prets/bornes/<int:session_id>/fermer")
@roles_required(*DESK_ROLES)
def close_kiosk(session_id: int):
    db = get_db()
    ks = kiosk_svc.get_session(db, current_user, session_id)
    kiosk_svc.close_session(db, current_user, ks)
    db.commit()
    flash(f"Borne de « {ks.site.name} » fermée : elle affiche maintenant « borne fermée ».", "success")
    return redirect(url_for(".kiosk_sessions"))
