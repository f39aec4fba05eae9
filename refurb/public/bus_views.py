"""Managers keep the bus numérique's tour (date, time, commune, place): shown on the public page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..accounts.roles import ADMIN, MANAGER
from ..errors import RefurbError
from ..extensions import get_db
from ..web.access import roles_required
from . import services

bp = Blueprint("bus", __name__, url_prefix="/bus")

FIELDS = ("site", "day", "start_time", "end_time", "commune", "place", "postal_code", "note")


def _form() -> dict:
    return {f: request.form.get(f, "") for f in FIELDS}


def _page(data, errors, stop=None, status=200):
    db = get_db()
    return render_template("public/bus_stops.html", stops=services.list_stops(db, current_user),
                           vehicles=services.mobile_sites(db), data=data, errors=errors, stop=stop), status


@bp.route("/arrets", methods=["GET", "POST"])
@roles_required(ADMIN, MANAGER)
def stops():
    db = get_db()
    vehicles = services.mobile_sites(db)
    data = {"site": vehicles[0].code if vehicles else ""}
    if request.method == "POST":
        data = _form()
        try:
            stop = services.create_stop(db, current_user, data)
        except RefurbError as err:
            db.rollback()
            return _page(data, err.fields or {"_": err.message}, status=err.status)
        db.commit()
        flash(f"Arrêt ajouté : {stop.commune}, le {stop.day.strftime('%d/%m/%Y')} à {stop.start_time}.", "success")
        return redirect(url_for(".stops"))
    return _page(data, {})


@bp.route("/arrets/<int:stop_id>", methods=["GET", "POST"])
@roles_required(ADMIN, MANAGER)
def edit_stop(stop_id: int):
    db = get_db()
    stop = services.get_stop(db, current_user, stop_id)
    data = {"site": stop.site.code, "day": stop.day.isoformat(), "start_time": stop.start_time,
            "end_time": stop.end_time or "", "commune": stop.commune, "place": stop.place,
            "postal_code": stop.postal_code, "note": stop.note}
    if request.method == "POST":
        data = _form()
        try:
            services.update_stop(db, current_user, stop, data)
        except RefurbError as err:
            db.rollback()
            return _page(data, err.fields or {"_": err.message}, stop=stop, status=err.status)
        db.commit()
        flash("Arrêt enregistré.", "success")
        return redirect(url_for(".stops"))
    return _page(data, {}, stop=stop)


@bp.post("/arrets/<int:stop_id>/delete")
@roles_required(ADMIN, MANAGER)
def delete_stop(stop_id: int):
    db = get_db()
    stop = services.get_stop(db, current_user, stop_id)
    label = f"{stop.commune}, le {stop.day.strftime('%d/%m/%Y')}"
    services.delete_stop(db, current_user, stop)
    db.commit()
    flash(f"Arrêt supprimé : {label}.", "success")
    return redirect(url_for(".stops"))
