"""API: who am I, the sites, and the OpenAPI document."""

from __future__ import annotations

from flask import current_app, jsonify

from ..accounts.scope import sites_for
from ..extensions import get_db
from . import api_user, bp
from .openapi import build_document
from .serializers import site_json


@bp.get("/openapi.json")
def openapi():
    """The document is the same for the life of the process (its operations are declared at import): built and
    written once (12 ms of copies and 2 ms of JSON), then sent as it is."""
    body = current_app.extensions.get("refurb.openapi")
    if body is None:
        body = current_app.extensions["refurb.openapi"] = current_app.json.dumps(build_document()) + "\n"
    return current_app.response_class(body, mimetype="application/json")


@bp.get("/me")
def me():
    user = api_user()
    return jsonify(username=user.username, full_name=user.full_name, role=user.role,
                   sites=[s.code for s in user.sites],
                   home_site=user.home_site.code if user.home_site else None)


@bp.get("/sites")
def sites():
    return jsonify(items=[site_json(s) for s in sites_for(get_db(), api_user(), active_only=False)])
