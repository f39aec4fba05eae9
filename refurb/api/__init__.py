"""The JSON API door under /api/v1: Bearer tokens only, same services as the pages."""

from __future__ import annotations

from flask import Blueprint, current_app, g, request

from ..accounts import services as accounts
from ..errors import Unauthorized

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}
# Also open to the web page's own session (the desk's offline queue), with its CSRF token for a change.
SESSION_ENDPOINTS: set[str] = set()


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    if not header and request.endpoint in SESSION_ENDPOINTS and _by_session():
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("Authentification requise : envoyez « Authorization: Bearer <jeton> ».")
    from ..extensions import get_db
    token = accounts.token_for_secret(get_db(), secret.strip())
    g.api_user = token.user
    g.api_user.authenticated_by = "token"  # services tell an API request from a page by this (loan channel)
    if accounts.token_needs_touch(token) and request.method not in ("GET", "HEAD", "OPTIONS"):
        accounts.touch_token(get_db(), token.id)  # a writing request already holds the write lock
    elif accounts.token_needs_touch(token):
        # A separate short write, so that reading requests stay read-only.
        with current_app.extensions["refurb.db"].session(write=True) as db:
            accounts.touch_token(db, token.id)
    return None


def _by_session() -> bool:
    """The page's logged-in user, when there is one (a change also needs the page's CSRF token)."""
    from flask_login import current_user

    from ..extensions import SAFE_METHODS, csrf
    if not current_user.is_authenticated:
        return False
    if request.method not in SAFE_METHODS:
        csrf.protect()
    g.api_user = current_user._get_current_object()
    return True


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="refurb"'
    return response


def api_user():
    return g.api_user


def json_body() -> dict:
    """The request's JSON object, or a 422 in French."""
    from ..errors import Invalid
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("Le corps de la requête doit être un objet JSON (Content-Type: application/json).",
                      code="invalid_json")
    return data


from . import core  # noqa: E402,F401  (registers the routes)
