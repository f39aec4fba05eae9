"""API: inventories as PDF, stock-takes by scanning."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request, url_for

from ..api import api_user, bp, json_body
from ..api.openapi import PATHS, operation, query
from ..extensions import get_db
from ..web.files import send_bytes
from . import services

PDF = {"type": "string", "format": "binary"}
AT = query("at", "Date de l'inventaire (AAAA-MM-JJ, aujourd'hui ou passée ; absente : aujourd'hui)",
           {"type": "string", "format": "date"})


def _pdf(data: bytes, filename: str) -> Response:
    return send_bytes(data, filename, "application/pdf", inline=True)


def _inventory(site_code: str | None):
    """The inventory now, or (more than REFURB_JOB_THRESHOLD devices) a job: 202 with where to follow it."""
    db, user, at = get_db(), api_user(), request.args.get("at") or None
    if services.count_inventory(db, user, site_code) > current_app.config["REFURB_JOB_THRESHOLD"]:
        job = services.start_inventory_job(current_app.extensions["refurb.jobs"], user, site_code, at)
        return jsonify({"job": job.id, "status_url": url_for("api.job_status", job_id=job.id)}), 202
    inv = services.build_inventory(db, user, site_code, at)
    return _pdf(services.render_inventory_pdf(inv), inv.filename("pdf"))


@bp.get("/sites/<code>/inventory.pdf")
def site_inventory_pdf(code: str):
    return _inventory(code)


@bp.get("/inventory.pdf")
def network_inventory_pdf():
    return _inventory(None)


JOB_STARTED = {"type": "object", "required": ["job", "status_url"], "properties": {
    "job": {"type": "string", "description": "Numéro du travail"},
    "status_url": {"type": "string", "description": "Où suivre le travail (GET)"}}}
JOB_STATUS = {"type": "object", "required": ["state", "progress"], "properties": {
    "state": {"type": "string", "enum": ["queued", "running", "done", "failed", "interrupted"]},
    "progress": {"type": "integer", "minimum": 0, "maximum": 100},
    "result_url": {"type": "string", "description": "Le fichier, une fois prêt (gardé un jour)"},
    "message": {"type": "string"}}}
LARGE = ("Au-delà de REFURB_JOB_THRESHOLD appareils (10 000 par défaut), l'inventaire est préparé en arrière-plan : "
         "réponse 202 avec le travail à suivre sur status_url.")

operation("/sites/{code}/inventory.pdf", "get", "Inventaire d'un site (PDF), aujourd'hui ou à une date passée",
          response=PDF, content_type="application/pdf", parameters=[AT], errors=("401", "403", "404", "422"),
          description=LARGE)
operation("/inventory.pdf", "get", "Inventaire de tout le réseau (PDF ; gestionnaires et administrateurs)",
          response=PDF, content_type="application/pdf", parameters=[AT], errors=("401", "403", "422"),
          description=LARGE)
for _path in ("/sites/{code}/inventory.pdf", "/inventory.pdf"):
    PATHS[_path]["get"]["responses"]["202"] = {"description": "Préparé en arrière-plan",
                                                "content": {"application/json": {"schema": JOB_STARTED}}}


# --- background jobs -----------------------------------------------------------------------------

@bp.get("/jobs/<job_id>")
def job_status(job_id: str):
    job = services.get_job(get_db(), api_user(), job_id)
    state = services.effective_state(job)
    body = {"state": state, "progress": services.percent(job)}
    if state == "done" and job.result_token:
        body["result_url"] = url_for("api.job_result", job_id=job.id)
    message = services.state_message(job, state)
    if message:
        body["message"] = message
    return jsonify(body)


@bp.get("/jobs/<job_id>/result")
def job_result(job_id: str):
    job, data = services.job_result(get_db(), api_user(), job_id)
    return send_bytes(data, job.filename or "document.bin", job.mimetype, inline=job.mimetype == "application/pdf")


operation("/jobs/{job_id}", "get", "État d'un travail en arrière-plan (le sien seulement)", response=JOB_STATUS,
          errors=("401", "404"))
operation("/jobs/{job_id}/result", "get", "Le fichier préparé par un travail terminé (gardé un jour)",
          response={"type": "string", "format": "binary"}, content_type="application/octet-stream",
          errors=("401", "404", "409"))


# --- stock-takes ---------------------------------------------------------------------------------

COUNTS = {"type": "object", "properties": {k: {"type": "integer"} for k in
                                           ("expected", "found", "missing", "unexpected", "unknown")}}
STOCKTAKE = {"type": "object", "properties": {
    "id": {"type": "integer"}, "site": {"type": "string"}, "status": {"type": "string", "enum": ["open", "closed"]},
    "started_at": {"type": "string", "format": "date-time"},
    "closed_at": {"type": "string", "format": "date-time", "nullable": True}, "counts": COUNTS}}
RESULTS = {"type": "object", "properties": {
    "id": {"type": "integer"}, "site": {"type": "string"}, "status": {"type": "string"},
    "found": {"type": "array", "items": {"type": "string"}, "description": "Étiquettes trouvées"},
    "missing": {"type": "array", "items": {"type": "string"}, "description": "Attendues, non scannées"},
    "unexpected": {"type": "array", "items": {"type": "string"},
                   "description": "Scannées ici, enregistrées ailleurs"},
    "unknown": {"type": "array", "items": {"type": "string"}, "description": "Codes ne désignant aucun appareil"},
    "counts": COUNTS, "resolutions": {"type": "object", "additionalProperties": {"type": "string"}}}}


def _stocktake_json(db, st) -> dict:
    return {"id": st.id, "site": st.site.code, "status": st.status, "started_at": st.started_at.isoformat(),
            "closed_at": st.closed_at.isoformat() if st.closed_at else None,
            "counts": services.counts(db, st).as_dict()}


@bp.post("/stocktakes")
def stocktake_create():
    db = get_db()
    data = json_body()
    st = services.start_stocktake(db, api_user(), data.get("site"), data.get("note") or "")
    return jsonify(_stocktake_json(db, st)), 201


@bp.get("/stocktakes/<int:stocktake_id>")
def stocktake_show(stocktake_id: int):
    db = get_db()
    st = services.get_stocktake(db, api_user(), stocktake_id)
    body = _stocktake_json(db, st)
    if not st.is_open:
        body["results"] = services.results(db, api_user(), st).as_json()
    return jsonify(body)


@bp.post("/stocktakes/<int:stocktake_id>/scans")
def stocktake_scan(stocktake_id: int):
    db = get_db()
    user = api_user()
    st = services.get_stocktake(db, user, stocktake_id)
    result = services.record_scan(db, user, st, json_body().get("code"))
    return jsonify(status=result.status, code=result.code, outcome=result.outcome,
                   asset_tag=result.device.asset_tag if result.device else None, message=result.message,
                   counts=services.counts(db, st).as_dict())


@bp.post("/stocktakes/<int:stocktake_id>/close")
def stocktake_close(stocktake_id: int):
    db = get_db()
    user = api_user()
    st = services.get_stocktake(db, user, stocktake_id)
    res = services.close_stocktake(db, user, st)
    return jsonify(res.as_json())


@bp.post("/stocktakes/<int:stocktake_id>/resolutions")
def stocktake_resolution(stocktake_id: int):
    db = get_db()
    user = api_user()
    st = services.get_stocktake(db, user, stocktake_id)
    data = json_body()
    resolution = services.resolve(db, user, st, data.get("asset_tag"), data.get("action"))
    return jsonify(asset_tag=resolution.device.asset_tag, action=resolution.action,
                   state=resolution.device.state, site=resolution.device.site.code), 201


@bp.get("/stocktakes/<int:stocktake_id>/report.pdf")
def stocktake_report(stocktake_id: int):
    db = get_db()
    st = services.get_stocktake(db, api_user(), stocktake_id)
    return _pdf(services.render_report_pdf(db, api_user(), st), f"inventaire-physique-{st.id}.pdf")


operation("/stocktakes", "post", "Commencer un inventaire physique d'un site (gestionnaire ou technicien du site)",
          status="201", response=STOCKTAKE,
          body={"type": "object", "required": ["site"], "properties": {
              "site": {"type": "string", "description": "Code du site"}, "note": {"type": "string"}}},
          errors=("401", "403", "404", "409", "422"))
operation("/stocktakes/{stocktake_id}", "get", "Un inventaire physique : état, compteurs (et résultats une fois clos)",
          response=STOCKTAKE, errors=("401", "403", "404"))
operation("/stocktakes/{stocktake_id}/scans", "post", "Scanner un code (un code scanné deux fois compte une fois)",
          response={"type": "object", "properties": {
              "status": {"type": "string", "enum": ["found", "unexpected", "unknown", "duplicate"]},
              "code": {"type": "string"}, "outcome": {"type": "string"},
              "asset_tag": {"type": "string", "nullable": True}, "message": {"type": "string"}, "counts": COUNTS}},
          body={"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}},
          errors=("401", "403", "404", "409", "422"))
operation("/stocktakes/{stocktake_id}/close", "post", "Clore : trouvés, manquants, inattendus, codes inconnus",
          response=RESULTS, errors=("401", "403", "404", "409"))
operation("/stocktakes/{stocktake_id}/resolutions", "post",
          "Régler un écart d'un inventaire clos : « lost » (manquant déclaré perdu) ou « move_here » (inattendu "
          "transféré ici / retrouvé)", status="201",
          response={"type": "object", "properties": {k: {"type": "string"} for k in
                                                      ("asset_tag", "action", "state", "site")}},
          body={"type": "object", "required": ["asset_tag", "action"], "properties": {
              "asset_tag": {"type": "string"}, "action": {"type": "string", "enum": ["lost", "move_here"]}}},
          errors=("401", "403", "404", "409", "422"))
operation("/stocktakes/{stocktake_id}/report.pdf", "get", "Rapport d'inventaire physique (PDF)", response=PDF,
          content_type="application/pdf", errors=("401", "403", "404"))
