"""Loan rules per site (managers), retention of borrower data (admins), kiosk sessions (staff)."""

from __future__ import annotations

from flask import flash, render_template, request, session, url_for
from flask_login import current_user

from ...accounts.roles import ADMIN, LOAN_DESK_ROLES, NETWORK_ROLES
from ...accounts.scope import sites_for
from ...errors import NotFound
from ...extensions import get_db
from ...inventory.categories import CATEGORIES
from ...sites.services import get_site
from ...validation import as_id
from ...web.access import roles_required, sign_in
from ...web.kit import see_other, submit
from ...web.layout import current_site, user_sites
from .. import services as loans
from ..models import BORROWER_KINDS
from . import bp


def _rules_page(site, sites, errors: dict | None = None, form: dict | None = None, refusal=None):
    db = get_db()
    if refusal is not None:
        flash(refusal.message, "error")
    return render_template("loans/rules.html", site=site, sites=sites, table=loans.rules_table(db, site),
                           kinds=BORROWER_KINDS, categories=CATEGORIES, errors=errors or {}, form=form,
                           can_edit=current_user.role in NETWORK_ROLES, retention=loans.retention_days(db))


def _rules_site(db):
    sites = sites_for(db, current_user, active_only=False)
    code = request.values.get("site") or (current_site().code if current_site() else (sites[0].code if sites else ""))
    site = get_site(db, code)
    if site not in sites:
        raise NotFound(f"Aucun de vos sites ne porte le code « {code[:32]} ».")
    return site, sites


@bp.route("/prets/regles", methods=["GET", "POST"])
@roles_required(*LOAN_DESK_ROLES)
def rules_page():
    db = get_db()
    site, sites = _rules_site(db)
    if request.method == "GET":
        return _rules_page(site, sites)
    form = request.form.to_dict()
    form["accept_other_site_returns"] = request.form.get("accept_other_site_returns") == "on"
    return submit(lambda: loans.update_rules(db, current_user, site, form),
                  done=lambda _: see_other(url_for(".rules_page", site=site.code),
                                           f"Règles de prêt de « {site.name} » enregistrées."),
                  failed=lambda err: _rules_page(site, sites, dict(err.fields) or {"_": err.message}, form))


@bp.post("/prets/regles/conservation")
@roles_required(ADMIN)
def retention_setting():
    db = get_db()
    return submit(lambda: loans.set_retention_days(db, current_user, request.form.get("retention")),
                  done=lambda days: see_other(url_for(".rules_page"),
                                              f"Les usagers inactifs depuis {days} jours seront anonymisés "
                                              "(commande refurb purge-borrowers)."),
                  failed=lambda err: _rules_page(*_rules_site(db), refusal=err))


def _kiosk_sessions(refusal=None):
    """The kiosk sessions page; after a refused opening, with its reason (the kit adds the refusal's status)."""
    db = get_db()
    if refusal is not None:
        flash(refusal.message, "error")
    kiosks = [u for s in user_sites() for u in loans.kiosk_accounts(db, s)]
    return render_template("loans/kiosk_sessions.html", sessions=loans.open_sessions(db, current_user),
                           accounts=kiosks, ip=request.remote_addr or "")


@bp.get("/prets/bornes")
@roles_required(*LOAN_DESK_ROLES)
def kiosk_sessions():
    return _kiosk_sessions()


@bp.post("/prets/bornes/ouvrir")
@roles_required(*LOAN_DESK_ROLES)
def open_kiosk():
    """Turn this computer into the kiosk of a site: the session becomes the kiosk account's."""
    db = get_db()
    staff = current_user._get_current_object()

    def opened(ks):
        sign_in(ks.kiosk_user)
        session["kiosk_session_id"] = ks.id
        return see_other(url_for(".kiosk"))

    return submit(lambda: loans.open_from_desk(db, staff, as_id(request.form.get("kiosk_user")),
                                               request.remote_addr or ""),
                  done=opened, failed=_kiosk_sessions)


@bp.post("/prets/bornes/<int:session_id>/fermer")
@roles_required(*LOAN_DESK_ROLES)
def close_kiosk(session_id: int):
    db = get_db()
    ks = loans.get_session(db, current_user, session_id)
    loans.close_session(db, current_user, ks)
    return see_other(url_for(".kiosk_sessions"),
                     f"Borne de « {ks.site.name} » fermée : elle affiche maintenant « borne fermée ».")
