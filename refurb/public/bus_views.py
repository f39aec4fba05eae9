"""Managers keep the bus numérique's tour (date, time, commune, place): shown on the public page."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from ..accounts.roles import NETWORK_ROLES
from ..extensions import get_db
from ..web.access import roles_required
from ..web.kit import see_other, submit
from . import services

bp = Blueprint("bus", __name__, url_prefix="/bus")

FIELDS = ("site", "day", "start_time", "end_time", "commune", "place", "postal_code", "note")


def _form() -> dict:
    return {f: request.form.get(f, "") for f in FIELDS}


def _page(data, errors, stop=None):
    db = get_db()
    return render_template("public/bus_stops.html", stops=services.list_stops(db, current_user),
                           vehicles=services.mobile_sites(db), data=data, errors=errors, stop=stop)


def _failed(data, stop=None):
    return lambda err: _page(data, err.fields or {"_": err.message}, stop=stop)


@bp.route("/arrets", methods=["GET", "POST"])
@roles_required(*NETWORK_ROLES)
def stops():
    if request.method == "GET":
        vehicles = services.mobile_sites(get_db())
        return _page({"site": vehicles[0].code if vehicles else ""}, {})
    data = _form()
    return submit(lambda: services.create_stop(get_db(), current_user, data),
                  done=lambda stop: see_other(url_for(".stops"), f"Arrêt ajouté : {stop.commune}, le "
                                              f"{stop.day.strftime('%d/%m/%Y')} à {stop.start_time}."),
                  failed=_failed(data))


@bp.route("/arrets/<int:stop_id>", methods=["GET", "POST"])
@roles_required(*NETWORK_ROLES)
def edit_stop(stop_id: int):
    db = get_db()
    stop = services.get_stop(db, current_user, stop_id)
    if request.method == "GET":
        return _page({"site": stop.site.code, "day": stop.day.isoformat(), "start_time": stop.start_time,
                      "end_time": stop.end_time or "", "commune": stop.commune, "place": stop.place,
                      "postal_code": stop.postal_code, "note": stop.note}, {}, stop=stop)
    data = _form()
    return submit(lambda: services.update_stop(db, current_user, stop, data),
                  done=lambda _: see_other(url_for(".stops"), "Arrêt enregistré."),
                  failed=_failed(data, stop))


@bp.post("/arrets/<int:stop_id>/delete")
@roles_required(*NETWORK_ROLES)
def delete_stop(stop_id: int):
    db = get_db()
    stop = services.get_stop(db, current_user, stop_id)
    label = f"{stop.commune}, le {stop.day.strftime('%d/%m/%Y')}"
    services.delete_stop(db, current_user, stop)
    return see_other(url_for(".stops"), f"Arrêt supprimé : {label}.")
