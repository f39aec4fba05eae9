"""API: devices (create, read with history, list) and label PDFs. A device's state changes through
POST /devices/<tag>/transition, in ``refurbishment/api.py`` (most moves are the workshop's)."""

from __future__ import annotations

from flask import jsonify, request

from ..accounts.roles import STAFF_ROLES
from ..api import api_user, bp, json_body
from ..api.openapi import SCHEMAS, operation, query
from ..api.serializers import device_json
from ..errors import Forbidden
from ..extensions import get_db
from . import services
from .categories import CATEGORIES
from .views.devices import labels_response
from .workflow import STATES


def _staff():
    user = api_user()
    if user.role not in STAFF_ROLES:
        raise Forbidden("Ce compte ne peut pas gérer l'inventaire.")
    return user


def event_json(event) -> dict:
    """An event of ``services.history`` (a row: its author's ``username``, its site's ``site_code``)."""
    return {"at": event.at.isoformat() if event.at else None, "user": event.username,
            "action": event.action, "from_state": event.from_state, "to_state": event.to_state,
            "site": event.site_code, "note": event.note, "data": event.data or {}}


@bp.post("/devices")
def create_device():
    user = _staff()
    db = get_db()
    data = json_body()
    spec = services.parse_device_input(db, user, data)
    device = services.create_device(db, user, spec, allow_known_serial=data.get("allow_known_serial") is True)
    return jsonify(device_json(device)), 201


@bp.get("/devices")
def list_devices():
    user = _staff()
    f = services.parse_filter(request.args)
    items, total = services.list_devices(get_db(), user, f, exact=True)
    return jsonify(items=[device_json(d) for d in items], total=total, page=f.page, per_page=f.per_page)


@bp.get("/devices/<asset_tag>")
def get_device(asset_tag: str):
    user = _staff()
    db = get_db()
    device = services.get_device(db, user, asset_tag)
    return jsonify(device_json(device) | {"history": [event_json(e) for e in services.history(db, device)]})


@bp.get("/labels.pdf")
def labels_pdf():
    return labels_response(_staff(), request.args)


# --- OpenAPI ---------------------------------------------------------------------------------

SCHEMAS["Device"] = {
    "type": "object",
    "properties": {
        "asset_tag": {"type": "string", "example": "RF-000123"},
        "category": {"type": "string", "enum": list(CATEGORIES)},
        "brand": {"type": "string"}, "model": {"type": "string"},
        "serial_number": {"type": "string", "nullable": True},
        "has_storage": {"type": "boolean"},
        "specs": {"type": "object"}, "condition": {"type": "string"}, "notes": {"type": "string"},
        "grade": {"type": "string", "nullable": True, "enum": ["A", "B", "C", None]},
        "site": {"type": "string", "description": "Code du site"},
        "state": {"type": "string", "enum": list(STATES)},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "version": {"type": "integer", "description": "À renvoyer dans expected_version pour refuser une page périmée"},
    },
}
SCHEMAS["DeviceEvent"] = {
    "type": "object",
    "properties": {"at": {"type": "string", "format": "date-time"}, "user": {"type": "string", "nullable": True},
                   "action": {"type": "string"}, "from_state": {"type": "string", "nullable": True},
                   "to_state": {"type": "string", "nullable": True}, "site": {"type": "string"},
                   "note": {"type": "string"}, "data": {"type": "object"}},
}
_DEVICE = {"$ref": "#/components/schemas/Device"}

operation("/devices", "post", "Enregistrer un appareil (étiquette attribuée, état « received »)", status="201",
          response=_DEVICE, errors=("401", "403", "404", "409", "422"),
          description="409 `known_serial` si le numéro de série est déjà connu : renvoyer avec "
                      "`allow_known_serial: true` s'il s'agit bien du même appareil qui revient.",
          body={"type": "object", "required": ["category", "site"], "properties": {
              "category": {"type": "string", "enum": list(CATEGORIES)}, "site": {"type": "string"},
              "brand": {"type": "string", "maxLength": 80}, "model": {"type": "string", "maxLength": 120},
              "serial_number": {"type": "string", "maxLength": 120}, "has_storage": {"type": "boolean"},
              "specs": {"type": "object"}, "condition": {"type": "string", "maxLength": 200},
              "notes": {"type": "string", "maxLength": 5000}, "allow_known_serial": {"type": "boolean"}}})
operation("/devices", "get", "Lister les appareils (filtres, recherche, pagination)",
          response={"type": "object", "properties": {"items": {"type": "array", "items": _DEVICE},
                                                     "total": {"type": "integer"}, "page": {"type": "integer"},
                                                     "per_page": {"type": "integer"}}},
          errors=("401", "403", "422"),
          parameters=[query("site", "Code du site"), query("state", "État", {"type": "string", "enum": list(STATES)}),
                      query("category", "Catégorie", {"type": "string", "enum": list(CATEGORIES)}),
                      query("q", "Recherche : début d'étiquette ou de n° de série, marque, modèle"),
                      query("sort", "Tri", {"type": "string", "enum": list(services.SORTS)}),
                      query("page", "Page (à partir de 1)", {"type": "integer", "minimum": 1}),
                      query("per_page", "Appareils par page", {"type": "integer", "minimum": 1, "maximum": 200})])
operation("/devices/{asset_tag}", "get", "Un appareil et son historique",
          response={"allOf": [_DEVICE, {"type": "object", "properties": {
              "history": {"type": "array", "items": {"$ref": "#/components/schemas/DeviceEvent"}}}}]},
          errors=("401", "403", "404"))
operation("/labels.pdf", "get", "PDF des étiquettes d'appareils", content_type="application/pdf",
          response={"type": "string", "format": "binary"}, errors=("401", "403", "404", "422"),
          parameters=[query("tag", f"Étiquette d'un appareil (répétable, 1 à {services.MAX_LABELS})",
                            {"type": "array", "items": {"type": "string"}}, required=True),
                      query("layout", "Format", {"type": "string", "enum": list(services.LABEL_LAYOUTS)}),
                      query("start", "Première position libre sur la planche", {"type": "integer", "minimum": 1})])
