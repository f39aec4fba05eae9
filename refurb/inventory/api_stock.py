"""API: stock per site and transfers (same services as the pages)."""

from __future__ import annotations

from flask import jsonify

from ..api import api_user, bp, json_body
from ..api.openapi import SCHEMAS, operation
from ..extensions import get_db
from ..sites.services import get_site
from . import services
from .categories import CATEGORIES
from .workflow import STATES


def transfer_json(transfer) -> dict:
    return {
        "id": transfer.id,
        "to_site": transfer.to_site.code,
        "at": transfer.at.isoformat(),
        "user": transfer.user.username if transfer.user else None,
        "note": transfer.note,
        "items": [{"asset_tag": i.device.asset_tag, "from_site": i.from_site.code} for i in transfer.items],
    }


@bp.post("/transfers")
def transfers_create():
    data = json_body()
    transfer = services.transfer_devices(get_db(), api_user(), data.get("to_site"), data.get("asset_tags"),
                                         data.get("note") or "")
    return jsonify(transfer_json(transfer)), 201


@bp.get("/sites/<code>/stock")
def site_stock(code: str):
    db = get_db()
    user = api_user()
    site = get_site(db, code)
    rows = services.stock_counts(db, user, site)  # 403 for a site the user does not serve
    short = services.shortages(db, user, site, counts=rows)
    order_c, order_s = list(CATEGORIES), list(STATES)
    rows = sorted(rows, key=lambda r: (order_c.index(r[1]), order_s.index(r[2])))
    return jsonify(
        site=site.code,
        rows=[{"category": c, "state": s, "count": n} for _site, c, s, n in rows],
        shortages=[{"category": s.category, "state": s.state, "minimum": s.minimum, "available": s.available}
                   for s in short],
    )


SCHEMAS["Transfer"] = {
    "type": "object",
    "required": ["id", "to_site", "at", "user", "items"],
    "properties": {
        "id": {"type": "integer"},
        "to_site": {"type": "string", "description": "Code du site de destination."},
        "at": {"type": "string", "format": "date-time", "description": "Horodatage UTC (ISO 8601)."},
        "user": {"type": "string", "description": "Identifiant de la personne qui a transféré."},
        "note": {"type": "string"},
        "items": {"type": "array", "items": {"type": "object", "required": ["asset_tag", "from_site"], "properties": {
            "asset_tag": {"type": "string"}, "from_site": {"type": "string"}}}},
    },
}
SCHEMAS["SiteStock"] = {
    "type": "object",
    "required": ["site", "rows", "shortages"],
    "properties": {
        "site": {"type": "string"},
        "rows": {"type": "array", "description": "Appareils encore détenus (états finaux exclus), lignes non nulles.",
                 "items": {"type": "object", "required": ["category", "state", "count"], "properties": {
                     "category": {"type": "string", "enum": list(CATEGORIES)},
                     "state": {"type": "string", "enum": list(STATES)},
                     "count": {"type": "integer"}}}},
        "shortages": {"type": "array", "description": "Minimums non atteints.",
                      "items": {"type": "object", "required": ["category", "state", "minimum", "available"],
                                "properties": {
                                    "category": {"type": "string", "enum": list(CATEGORIES)},
                                    "state": {"type": "string", "enum": ["loan_pool", "ready"],
                                              "description": "État compté par le minimum."},
                                    "minimum": {"type": "integer"},
                                    "available": {"type": "integer"}}}},
    },
}

operation(
    "/transfers", "post", "Transférer des appareils vers un site (tout ou rien)",
    body={"type": "object", "required": ["to_site", "asset_tags"], "properties": {
        "to_site": {"type": "string", "description": "Code d'un site actif du réseau."},
        "asset_tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": services.MAX_TRANSFER},
        "note": {"type": "string", "maxLength": 2000}}},
    response={"$ref": "#/components/schemas/Transfer"}, status="201",
    errors=("401", "403", "404", "409", "422"),
    description="Tout ou rien : si un appareil est refusé, aucun ne bouge. 404 : site de destination ou "
                "étiquette inconnus ; 409 : site de destination désactivé, appareil en prêt, sorti du stock "
                "ou déjà sur le site de destination ; 403 : appareil d'un site que l'utilisateur ne sert pas ; "
                "422 : corps invalide (site absent, liste vide ou trop longue, note trop longue).",
)
operation(
    "/sites/{code}/stock", "get", "Stock d'un site par catégorie et état, avec les manques",
    response={"$ref": "#/components/schemas/SiteStock"}, errors=("401", "403", "404"),
    description="403 pour un site que l'utilisateur ne sert pas (les gestionnaires voient tout le réseau).",
)
