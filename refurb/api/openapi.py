"""The OpenAPI 3 document of /api/v1.

Each API module declares its operations here with ``operation(...)``; a test checks that
the document and the registered routes name exactly the same (path, method) pairs.
"""

from __future__ import annotations

from copy import deepcopy
from importlib.metadata import version

PATHS: dict[str, dict[str, dict]] = {}
SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"},
            "message": {"type": "string", "description": "Message en français, à montrer à l'utilisateur."},
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Message par champ en erreur."},
        }}},
    },
    "Site": {
        "type": "object",
        "properties": {k: {"type": "string"} for k in (
            "code", "name", "kind", "address", "postal_code", "city", "phone", "email", "opening_hours")}
        | {"active": {"type": "boolean"}},
    },
}

ERROR_TEXT = {
    "401": "Jeton absent, inconnu, expiré ou révoqué",
    "403": "Rôle ou site non autorisé",
    "404": "Introuvable",
    "409": "Incompatible avec l'état actuel",
    "413": "Trop d'éléments en un envoi",
    "422": "Données invalides",
}


def operation(path: str, method: str, summary: str, *, response: dict | None = None, status: str = "200",
              body: dict | None = None, parameters: list[dict] | None = None, errors=("401", "403"),
              content_type: str = "application/json", public: bool = False, description: str = "") -> None:
    """Declare one operation (path in OpenAPI form, e.g. ``/devices/{asset_tag}``)."""
    responses: dict = {status: {"description": "Succès"}}
    if response is not None:
        responses[status]["content"] = {content_type: {"schema": response}}
    for code in errors:
        if public and code in ("401", "403"):
            continue
        responses[code] = {"description": ERROR_TEXT[code],
                           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    op: dict = {"summary": summary, "responses": responses}
    if description:
        op["description"] = description
    params = [dict(p) for p in (parameters or [])]
    for name in _path_params(path):
        if not any(p["name"] == name and p["in"] == "path" for p in params):
            params.append({"name": name, "in": "path", "required": True, "schema": {"type": "string"}})
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if public:
        op["security"] = []
    PATHS.setdefault(path, {})[method.lower()] = op


def query(name: str, description: str, schema: dict | None = None, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


def _path_params(path: str) -> list[str]:
    import re
    return re.findall(r"{(\w+)}", path)


def build_document() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Refurb API", "version": version("refurb"),
                 "description": "API de Refurb. Authentification : « Authorization: Bearer <jeton> » "
                                "(jeton créé par `refurb users token`). Erreurs : "
                                "{\"error\": {\"code\", \"message\"}} avec un message en français."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": deepcopy(PATHS),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": deepcopy(SCHEMAS),
        },
    }


operation("/openapi.json", "get", "Ce document OpenAPI", response={"type": "object"}, public=True, errors=())
operation("/me", "get", "L'utilisateur du jeton", response={"type": "object", "properties": {
    "username": {"type": "string"}, "full_name": {"type": "string"}, "role": {"type": "string"},
    "sites": {"type": "array", "items": {"type": "string"}}, "home_site": {"type": "string", "nullable": True}}},
    errors=("401", "403"))
operation("/sites", "get", "Les sites visibles par l'utilisateur", response={
    "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Site"}}}})
