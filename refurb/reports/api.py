"""API: the activity and impact report (JSON, PDF)."""

from __future__ import annotations

from flask import jsonify, request

from ..api import api_user, bp
from ..api.openapi import operation, query
from ..extensions import get_db
from ..web.files import send_bytes
from . import services

PARAMS = [
    query("from", "Début de la période (AAAA-MM-JJ ; absent : le 1er du mois)", {"type": "string", "format": "date"}),
    query("to", "Fin de la période, incluse (AAAA-MM-JJ ; absente : aujourd'hui)", {"type": "string", "format": "date"}),
    query("site", "Code du site ; absent ou « * » : tout le réseau (gestionnaires)"),
    query("factors", "Jeu de facteurs d'impact", {"type": "string", "enum": list(services.FACTOR_SETS),
                                                 "default": services.DEFAULT_FACTORS}),
]
_COUNT_BY_CATEGORY = {"type": "object", "additionalProperties": {"type": "integer"}}
REPORT = {"type": "object", "properties": {
    "period": {"type": "object", "properties": {"from": {"type": "string", "format": "date"},
                                                "to": {"type": "string", "format": "date"}}},
    "site": {"type": "string", "nullable": True}, "scope": {"type": "string"},
    "factors": {"type": "object", "description": "Le jeu de facteurs utilisé, ses hypothèses et les catégories sans facteur"},
    "collected": {"type": "object", "properties": {"total": {"type": "integer"}, "donations": {"type": "integer"},
                                                   "by_donor_kind": _COUNT_BY_CATEGORY,
                                                   "by_category": _COUNT_BY_CATEGORY}},
    "refurbished": {"type": "object"}, "sold": {"type": "object"}, "donated": {"type": "object"},
    "loan_pool": {"type": "object"},
    "lent": {"type": "object", "properties": {"loans": {"type": "integer"}, "borrowers": {"type": "integer"},
                                              "loan_days": {"type": "integer"}}},
    "parts": {"type": "object"},
    "recycled": {"type": "object", "properties": {"devices": {"type": "integer"}, "batches": {"type": "integer"},
                                                  "kg": {"type": "number"}}},
    "impact": {"type": "object", "properties": {"reused": {"type": "integer"},
                                                "e_waste_avoided_kg": {"type": "number"},
                                                "co2e_avoided_kg": {"type": "number"},
                                                "not_counted": _COUNT_BY_CATEGORY,
                                                "by_category": {"type": "array", "items": {"type": "object"}}}},
}}


def _build():
    return services.build_report(get_db(), api_user(), site_code=request.args.get("site"),
                                start=request.args.get("from"), end=request.args.get("to"),
                                factors=request.args.get("factors"))


@bp.get("/reports/activity")
def activity_report():
    return jsonify(services.to_json(_build()))


@bp.get("/reports/activity.pdf")
def activity_report_pdf():
    report = _build()
    return send_bytes(services.render_pdf(report), services.filename(report, "pdf"), "application/pdf", inline=True)


operation("/reports/activity", "get", "Rapport d'activité et d'impact d'une période (site ou réseau)",
          response=REPORT, parameters=PARAMS, errors=("401", "403", "404", "422"),
          description="Fin avant début : 422. Site non servi : 403 ; inconnu : 404. Sans site : tout le réseau "
                      "(gestionnaires et administrateurs seulement).")
operation("/reports/activity.pdf", "get", "Rapport d'activité et d'impact (PDF, A4)", response={
    "type": "string", "format": "binary"}, content_type="application/pdf", parameters=PARAMS,
    errors=("401", "403", "404", "422"))
