"""API: devices (create, read with history, list, transition) and label PDFs."""

from __future__ import annotations

from flask import jsonify, request

from ..accounts.roles import STAFF_ROLES
from ..api import api_user, bp, json_body
from ..api.openapi import SCHEMAS, operation, query
from ..errors import Forbidden, Invalid
from ..extensions import get_db
from . import services
from .categories import CATEGORIES
from .labels import LAYOUTS, MAX_LABELS
from .views.devices import label_pdf, pdf_response
from .workflow import STATES


def _staff():
    user = api_user()
    if user.role not in STAFF_ROLES:
        raise Forbidden("Ce compte ne peut pas gérer l'inventaire.")
    return user


def _iso(dt):
    return dt.isoformat() if dt else None


def device_json(device) -> dict:
    return {"asset_tag": device.asset_tag, "category": device.category, "brand": device.brand,
            "model": device.model, "serial_number": device.serial_number, "has_storage": device.has_storage,
            "specs": device.specs or {}, "condition": device.condition, "notes": device.notes,
            "grade": device.grade, "site": device.site.code, "state": device.state,
            "created_at": _iso(device.created_at), "updated_at": _iso(device.updated_at), "version": device.version}


def event_json(event) -> dict:
    return {"at": _iso(event.at), "user": event.user.username if event.user else None, "action": event.action,
            "from_state": event.from_state, "to_state": event.to_state, "site": event.site.code,
            "note": event.note, "data": event.data or {}}


@bp.post("/devices")
def create_device():
    user = _staff()
    db = get_db()
    data = json_body()
    spec = services.parse_device_input(db, user, data)
    device = services.create_device(db, user, spec, allow_known_serial=data.get("allow_known_serial") is True)
    db.commit()
    return jsonify(device_json(device)), 201


@bp.get("/devices")
def list_devices():
    user = _staff()
    db = get_db()
    f = services.parse_filter(request.args)
    items, total = services.list_devices(db, user, f, cap=None)
    return jsonify(items=[device_json(d) for d in items], total=total, page=f.page, per_page=f.per_page)


@bp.get("/devices/<asset_tag>")
def get_device(asset_tag: str):
    user = _staff()
    db = get_db()
    device = services.get_device(db, user, asset_tag)
    return jsonify(device_json(device) | {"history": [event_json(e) for e in services.history(db, device)]})


@bp.post("/devices/<asset_tag>/transition")
def transition_device(asset_tag: str):
    user = _staff()
    db = get_db()
    data = json_body()
    to_state, note, expected = data.get("to"), data.get("note") or "", data.get("expected_version")
    errors = {}
    if not isinstance(to_state, str) or not to_state:
        errors["to"] = f"Indiquez l'état visé (« to ») parmi : {', '.join(STATES)}."
    if not isinstance(note, str):
        errors["note"] = "La note doit être un texte."
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int)):
        errors["expected_version"] = "La version attendue doit être un nombre entier."
    if errors:
        raise Invalid(fields=errors)
    device = services.get_device(db, user, asset_tag, for_update=True)
    services.transition(db, user, device, to_state, note=note.strip(), expected_version=expected)
    db.commit()
    return jsonify(device_json(device))


@bp.get("/labels.pdf")
def labels_pdf():
    user = _staff()
    tags = request.args.getlist("tag")
    return pdf_response(label_pdf(get_db(), user, tags, request.args.get("layout"), request.args.get("start")), tags)


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
operation("/devices/{asset_tag}/transition", "post", "Changer l'état d'un appareil", response=_DEVICE,
          errors=("401", "403", "404", "409", "422"),
          body={"type": "object", "required": ["to"], "properties": {
              "to": {"type": "string", "enum": list(STATES)}, "note": {"type": "string", "maxLength": 2000},
              "expected_version": {"type": "integer"}}})
operation("/labels.pdf", "get", "PDF des étiquettes d'appareils", content_type="application/pdf",
          response={"type": "string", "format": "binary"}, errors=("401", "403", "404", "422"),
          parameters=[query("tag", f"Étiquette d'un appareil (répétable, 1 à {MAX_LABELS})",
                            {"type": "array", "items": {"type": "string"}}, required=True),
                      query("layout", "Format", {"type": "string", "enum": list(LAYOUTS)}),
                      query("start", "Première position libre sur la planche", {"type": "integer", "minimum": 1})])
