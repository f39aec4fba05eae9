"""Public pages (no login): the places, what can be borrowed now, the bus's next stops; the open data."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from ..clock import today
from ..extensions import get_db
from ..settings import get_setting
from ..web.files import send_bytes
from . import services

bp = Blueprint("public", __name__)

CACHE = "public, max-age=300"


@bp.get("/lieux")
def places():
    db = get_db()
    response = Response(render_template("public/places.html", places=services.public_places(db),
                                        stops=services.upcoming_stops(db), network=get_setting(db, "network_name"),
                                        today=today()))
    response.headers["Cache-Control"] = CACHE
    return response


@bp.get("/open-data/lieux-mediation-numerique.json")
def open_data_json():
    response = Response(services.open_data_json(get_db()), mimetype="application/json")
    response.headers["Cache-Control"] = CACHE
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/open-data/lieux-mediation-numerique.csv")
def open_data_csv():
    response = send_bytes(services.open_data_csv(get_db()), "lieux-mediation-numerique.csv", "text/csv",
                          inline=True, cache=CACHE)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
