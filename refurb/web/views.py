from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import text

from ..accounts.roles import STAFF_ROLES
from ..extensions import get_db
from . import scan
from .access import roles_required
from .kit import see_other
from .layout import current_site, user_sites
from .urls import safe_next

bp = Blueprint("web", __name__)

# Areas may replace the home page of a role with their own (workshop queue, desk, network).
HOME_BY_ROLE: dict[str, str] = {}


@bp.get("/")
@login_required
def home():
    endpoint = HOME_BY_ROLE.get(current_user.role)
    if endpoint:
        return redirect(url_for(endpoint))
    return render_template("web/home.html", sites=user_sites())


@bp.route("/scan", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def scan_code():
    """The scan box posts its code (a card presented at the desk is a change); a link or an address asks by GET,
    which opens what a code names and hands nothing over."""
    code = (request.form if request.method == "POST" else request.args).get("code", "")
    target = scan.resolve(get_db(), current_user, code)
    if isinstance(target, scan.Handover):
        return redirect(target.form, 307) if request.method == "POST" else redirect(target.page, 303)
    if target:
        return redirect(target, 303)
    shown = scan.normalise(code)[:80]
    message = (f"Aucun appareil ni usager ne correspond au code « {shown} ». Vérifiez le code ou saisissez-le à la main."
               if shown else "Scannez ou saisissez un code, puis appuyez sur Entrée.")
    return render_template("web/scan_result.html", message=message, code=shown), 404


@bp.post("/site")
@login_required
def switch_site():
    wanted = request.form.get("site_id", type=int)
    site = next((s for s in user_sites() if s.id == wanted), None)
    back = safe_next(request.form.get("next"))
    if site is None:
        return see_other(back, "Ce site ne fait pas partie des vôtres.", "error")
    session["site_id"] = site.id
    return see_other(back, f"Vous travaillez maintenant pour : {site.name}.")


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it on pages without a <link rel="icon"> (PDFs, files): public, cached a day."""
    return current_app.send_static_file("favicon.ico"), 200, {"Cache-Control": "public, max-age=86400"}


@bp.get("/healthz")
def healthz():
    try:
        get_db().execute(text("SELECT 1"))
    except Exception:  # any database failure means "not healthy"
        return jsonify(status="error", database="injoignable"), 503
    return jsonify(status="ok", database="ok")


@bp.app_context_processor
def _site():
    return {"site": current_site}
