"""The bus's offline queue on /api/v1: the sync, the conflicts to settle, the tablet's local copy.

These routes take a Bearer token, or the desk page's own session with its CSRF token (the page's script
sends its queue when the link returns): ``api.SESSION_ENDPOINTS``."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..api import SESSION_ENDPOINTS, api_user, bp
from ..api.openapi import SCHEMAS, operation, query
from ..errors import Invalid
from ..extensions import get_db
from ..sites.services import get_site
from . import services as bus
from .models import CONFLICT_STATES, KINDS, STATUSES


def conflict_json(conflict) -> dict:
    op = conflict.operation
    return {
        "id": conflict.id, "op_id": op.op_id, "client": op.client, "kind": op.kind, "at": op.at.isoformat(),
        "user": op.user.username, "site": conflict.site.code if conflict.site else None, "code": conflict.code,
        "message": op.message, "tablet": conflict.tablet, "server": conflict.server, "state": conflict.state,
        "actions": [a.name for a in bus.actions_for(conflict)],
        "created_at": conflict.created_at.isoformat(),
        "resolved_at": conflict.resolved_at.isoformat() if conflict.resolved_at else None,
        "history": [{"at": e.at.isoformat(), "user": e.user.username if e.user else None, "action": e.action,
                     "note": e.note} for e in conflict.history],
    }


@bp.post("/sync")
def sync():
    body = request.get_json(silent=True)
    if body is None:
        raise Invalid("Le corps de la requête doit être un objet JSON (Content-Type: application/json).",
                      code="invalid_json")
    results = bus.apply_batch(get_db(), api_user(), body)
    return jsonify(format=bus.QUEUE_FORMAT, results=results)


@bp.get("/sync/conflicts")
def sync_conflicts():
    state = request.args.get("state", "open") or None
    items = bus.list_conflicts(get_db(), api_user(), site_code=request.args.get("site") or None, state=state)
    return jsonify(items=[conflict_json(c) for c in items])


@bp.get("/sync/local-copy")
def sync_local_copy():
    """The tablet's local copy for ``site`` (default: the page's current site, or the user's home site)."""
    db = get_db()
    user = api_user()
    code = request.args.get("site")
    if code:
        site = get_site(db, code[:32], active_only=True)
    else:
        site = _current_site(user)
        if site is None:
            raise Invalid(fields={"site": "site : le code du site attendu (ex. BUS)."})
    copy = bus.local_copy(db, user, site)
    if not request.headers.get("Authorization"):  # the page's own session: the token its next sync sends
        copy["csrf_token"] = generate_csrf()
    return jsonify(copy)


def _current_site(user):
    if current_user.is_authenticated and current_user.id == user.id:
        from ..web.layout import current_site
        return current_site()
    return user.home_site


SESSION_ENDPOINTS.update({"api.sync", "api.sync_conflicts", "api.sync_local_copy"})

# --- OpenAPI ----------------------------------------------------------------------------------------

_S = {"type": "string"}
_OP = {"type": "object", "required": ["op_id", "at", "kind"], "properties": {
    "op_id": {"type": "string", "description": "identifiant fait par la tablette, unique pour ce client"},
    "at": {"type": "string", "format": "date-time", "description": "quand l'opération a été faite (avec fuseau)"},
    "kind": {"type": "string", "enum": list(KINDS)},
    "asset_tag": _S, "borrower_card": _S, "due_on": {"type": "string", "format": "date"}, "rules_accepted":
    {"type": "boolean"}, "condition": _S, "note": _S, "site": _S, "category": _S, "brand": _S, "model": _S,
    "serial_number": _S, "donor_name": _S,
    "seen_offline": {"type": "object", "description": "ce que la tablette voyait (copie locale)"}}}
SCHEMAS["SyncResult"] = {"type": "object", "properties": {
    "op_id": {"type": "string", "nullable": True}, "status": {"type": "string", "enum": list(STATUSES)},
    "message": _S, "code": _S, "first": {"type": "object", "description": "le premier résultat (duplicate)"}}}
SCHEMAS["SyncConflict"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "op_id": _S, "client": _S, "kind": _S, "at": _S, "user": _S,
    "site": {"type": "string", "nullable": True}, "code": _S, "message": _S, "tablet": {"type": "object"},
    "server": {"type": "object"}, "state": {"type": "string", "enum": list(CONFLICT_STATES)},
    "actions": {"type": "array", "items": _S}, "created_at": _S, "resolved_at": {"type": "string", "nullable": True},
    "history": {"type": "array", "items": {"type": "object"}}}}
operation("/sync", "post", "Envoyer les opérations faites hors connexion (bus numérique)", body={
    "type": "object", "required": ["client", "operations"], "properties": {
        "format": {"type": "integer", "enum": [1], "description": "version du format de la file"},
        "client": {"type": "string", "description": "identifiant du navigateur qui a fait la file"},
        "user": {"type": "string", "description": "l'utilisateur qui a fait la file (refusé si autre)"},
        "operations": {"type": "array", "maxItems": 500, "items": _OP}}},
    response={"type": "object", "properties": {"format": {"type": "integer"}, "results": {
        "type": "array", "items": {"$ref": "#/components/schemas/SyncResult"}}}},
    errors=("401", "403", "413", "422"),
    description="Un résultat par opération, dans l'ordre : applied, duplicate (op_id déjà reçu : le premier "
                "résultat), conflict (gardée « À régulariser ») ou rejected (avec la raison). Jeton Bearer, ou la "
                "session de la page avec son jeton CSRF.")
operation("/sync/conflicts", "get", "Les opérations hors connexion à régulariser",
          parameters=[query("site", "code du site"),
                      query("state", "open (défaut), resolved ou cancelled",
                            {"type": "string", "enum": list(CONFLICT_STATES)})],
          response={"type": "object", "properties": {"items": {"type": "array", "items": {
              "$ref": "#/components/schemas/SyncConflict"}}}}, errors=("401", "403", "404", "422"))
operation("/sync/local-copy", "get", "La copie locale de la tablette (appareils du site, cartes des usagers)",
          parameters=[query("site", "code du site (défaut : le site courant)")],
          response={"type": "object"}, errors=("401", "403", "404", "422"),
          description="Appareils du site avec leur état ; numéros de carte des usagers du site avec prénom et "
                      "initiale seulement.")
