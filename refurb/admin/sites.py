"""Sites: list for managers, create and edit for admins."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from ..accounts.roles import ADMIN, MANAGER
from ..errors import RefurbError
from ..extensions import get_db
from ..sites import services
from ..sites.hours import hours_problem, opening_hours_fr
from ..sites.models import OPEN_DATA_SERVICES, SITE_KINDS
from ..web.access import roles_required
from ..web.kit import see_other, submit

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
    db = get_db()
    return render_template("sites/list.html", sites=services.all_sites(db),
                           open_data=services.open_data_status(db), schema_version=services.SCHEMA_VERSION,
                           hours_fr=opening_hours_fr)


def _form(site, data: dict, error: RefurbError | None = None):
    errors = (error.fields or {"_": error.message}) if error else {}
    return render_template("sites/form.html", site=site, data=data, errors=errors, kinds=SITE_KINDS,
                           services=OPEN_DATA_SERVICES, **_hours_reading(data.get("opening_hours") or ""))


def _hours_reading(hours: str) -> dict:
    """The hours as the public pages will say them, or why they cannot be read."""
    return {"hours": hours, "hours_lines": opening_hours_fr(hours), "hours_problem": hours_problem(hours)}


@bp.get("/horaires")
@roles_required(ADMIN)
def hours_reading():
    """The French reading of the hours typed in the site form, before saving (the form asks it as you type)."""
    hours = (request.args.get("opening_hours") or "")[:500]
    return render_template("sites/_hours_reading.html", **_hours_reading(hours))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_site():
    if request.method == "GET":
        return _form(None, {"active": True, "kind": "epn"})
    data = _form_data()
    if request.form.get("preview"):
        return _form(None, data)
    return submit(lambda: services.create_site(get_db(), data),
                  done=lambda site: see_other(url_for(".list_sites"), f"Site « {site.name} » créé."),
                  failed=lambda err: _form(None, data, err))


@bp.route("/<code>/edit", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit_site(code: str):
    site = services.get_site(get_db(), code)
    if request.method == "GET":
        return _form(site, {f: getattr(site, f) for f in FIELDS}
                     | {"active": site.active, "services": site.services or [], "itinerant": site.itinerant})
    data = _form_data() | {"code": site.code}
    if request.form.get("preview"):
        return _form(site, data)
    return submit(lambda: services.update_site(get_db(), site, data),
                  done=lambda _: see_other(url_for(".list_sites"), f"Site « {site.name} » enregistré."),
                  failed=lambda err: _form(site, data, err))
