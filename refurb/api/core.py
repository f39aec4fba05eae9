"""API: who am I, the sites, and the OpenAPI document."""

from __future__ import annotations

from flask import jsonify

from ..accounts.scope import sites_for
from ..extensions import get_db
from . import api_user, bp
from .openapi import build_document
from .serializers import site_json


@bp.get("/openapi.json")
def openapi():
    return jsonify(build_document())


@bp.get("/me")
def me():
    user = api_user()
    return jsonify(username=user.username, full_name=user.full_name, role=user.role,
                   sites=[s.code for s in user.sites],
                   home_site=user.home_site.code if user.home_site else None)


@bp.get("/sites")
def sites():
    return jsonify(items=[site_json(s) for s in sites_for(get_db(), api_user(), active_only=False)])
