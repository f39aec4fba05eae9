"""Sites: list for managers, create and edit for admins."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from ..accounts.roles import ADMIN, MANAGER
from ..errors import RefurbError
from ..extensions import get_db
from ..sites import services
from ..sites.models import OPEN_DATA_SERVICES, SITE_KINDS
from ..web.access import roles_required

bp = Blueprint("sites", __name__, url_prefix="/sites")

FIELDS = ("code", "name", "kind", "address", "postal_code", "city", "phone", "email", "opening_hours",
          "pivot", "insee_code", "latitude", "longitude", "website", "public_summary")


def _form_data() -> dict:
    data = {f: request.form.get(f, "") for f in FIELDS}
    data["active"] = request.form.get("active") == "on"
    data["services"] = request.form.getlist("services")
    data["itinerant"] = request.form.get("itinerant") == "on"
    return data


@bp.get("/")
@roles_required(ADMIN, MANAGER)
def list_sites():
    return render_template("sites/list.html", sites=services.all_sites(get_db()))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_site():
    db = get_db()
    errors, data = {}, {"active": True, "kind": "epn"}
    if request.method == "POST":
        data = _form_data()
        try:
            site = services.create_site(db, data)
        except RefurbError as err:
            db.rollback()
            errors = err.fields or {"_": err.message}
        else:
            db.commit()
            flash(f"Site « {site.name} » créé.", "success")
            return redirect(url_for(".list_sites"))
    return render_template("sites/form.html", site=None, data=data, errors=errors, kinds=SITE_KINDS,
                           services=OPEN_DATA_SERVICES), \
        (422 if errors else 200)


@bp.route("/<code>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit_site(code: str):
    db = get_db()
    site = services.get_site(db, code)
    errors = {}
    data = {f: getattr(site, f) for f in FIELDS} | {"active": site.active, "services": site.services or [],
                                                  "itinerant": site.itinerant}
    if request.method == "POST":
        data = _form_data() | {"code": site.code}
        try:
            services.update_site(db, site, data)
        except RefurbError as err:
            db.rollback()
            errors = err.fields or {"_": err.message}
        else:
            db.commit()
            flash(f"Site « {site.name} » enregistré.", "success")
            return redirect(url_for(".list_sites"))
    return render_template("sites/form.html", site=site, data=data, errors=errors, kinds=SITE_KINDS,
                           services=OPEN_DATA_SERVICES), \
        (422 if errors else 200)
