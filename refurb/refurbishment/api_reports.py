"""API of the hardware reports (lshw, smartctl, nwipe, eReuse Workbench): a device's files, or a whole USB
stick whose files find their devices. Each file is one use case: all of it or nothing, never across files."""

from __future__ import annotations

from flask import current_app, jsonify, request

from ..api import api_user, bp
from ..api.openapi import PATHS, SCHEMAS, operation
from ..api.serializers import device_json
from ..errors import Invalid, RefurbError
from ..extensions import get_db
from ..inventory import services as inventory
from ..web.files import send_bytes
from . import services as refurb
from .views import report_store

MAX_FILES = 200  # a ShredOS stick after a long week


def report_json(outcome) -> dict:
    report = outcome.report
    return {"id": report.id, "kind": report.kind, "filename": report.filename, "sha256": report.sha256,
            "created": outcome.created, "applied": outcome.applied, "warnings": outcome.warnings,
            "device": outcome.device.asset_tag}


def max_report_bytes() -> int:
    megabytes = float(current_app.config.get("REFURB_MAX_HARDWARE_REPORT_MB", refurb.DEFAULT_MAX_HARDWARE_REPORT_MB))
    return int(megabytes * 1048576)


def uploads() -> list:
    files = [f for f in request.files.getlist("file") if f is not None and (f.filename or "")]
    if not files:
        raise Invalid("Joignez au moins un fichier (champ « file » d'un envoi multipart/form-data).",
                      fields={"file": "Aucun fichier reçu."})
    if len(files) > MAX_FILES:
        raise Invalid(f"{MAX_FILES} fichiers au plus par envoi.", fields={"file": f"{len(files)} fichiers reçus."})
    limit = max_report_bytes()
    return [refurb.Upload(filename=f.filename, content=f.read(limit + 1)) for f in files]


def _error_json(upload, err: RefurbError) -> dict:
    body = {"filename": upload.filename[:200], "error": {"code": err.code, "message": err.message,
                                                         "status": err.status}}
    if err.fields:
        body["error"]["fields"] = err.fields
    return body


@bp.post("/devices/<asset_tag>/reports")
def add_device_reports(asset_tag: str):
    db, user = get_db(), api_user()
    refurb.require_report_sender(user)
    device = inventory.get_device(db, user, asset_tag)
    files = uploads()
    done, refused = [], []
    for upload in files:
        try:
            done.append(refurb.add_report(db, user, device, upload, store=report_store(),
                                          max_bytes=max_report_bytes()))
        except RefurbError as err:
            if len(files) == 1:
                raise
            refused.append(_error_json(upload, err))
    if not done:
        first = refused[0]["error"]
        return jsonify({"error": {"code": first["code"], "message": first["message"]}, "refused": refused}), \
            first["status"]
    device = inventory.get_device(db, user, device.asset_tag)
    return jsonify({"reports": [report_json(o) for o in done], "refused": refused, "device": device_json(device)}), 201


@bp.post("/reports")
def add_stick_reports():
    db, user = get_db(), api_user()
    refurb.require_report_sender(user)
    files = uploads()
    results = []
    for upload in files:
        try:
            outcome = refurb.add_unassigned_report(db, user, upload, store=report_store(),
                                                   max_bytes=max_report_bytes())
        except RefurbError as err:
            results.append({"status": "refused", **_error_json(upload, err)})
            continue
        if isinstance(outcome, refurb.Unmatched):
            results.append({"status": "unmatched", "filename": outcome.filename, "kind": outcome.kind,
                            "sha256": outcome.sha256, "reason": outcome.reason, "pending_token": outcome.token})
        else:
            results.append({"status": "applied" if outcome.created else "already_received", **report_json(outcome)})
    return jsonify({"files": results})


@bp.post("/reports/pending/<token>")
def assign_pending(token: str):
    db, user = get_db(), api_user()
    refurb.require_report_sender(user)
    body = request.get_json(silent=True) or {}
    tag = body.get("asset_tag") if isinstance(body, dict) else None
    if not isinstance(tag, str) or not tag.strip():
        raise Invalid(fields={"asset_tag": "Indiquez l'étiquette de l'appareil (« asset_tag »)."})
    device = inventory.get_device(db, user, tag)
    outcome = refurb.assign_pending_report(db, user, token, device, store=report_store())
    return jsonify({"reports": [report_json(outcome)], "device": device_json(device)}), 201


@bp.get("/devices/<asset_tag>/reports")
def list_device_reports(asset_tag: str):
    db, user = get_db(), api_user()
    device = inventory.get_device(db, user, asset_tag)
    return jsonify(items=[{"id": r.id, "kind": r.kind, "filename": r.filename, "sha256": r.sha256, "size": r.size,
                           "tool_version": r.tool_version, "system_serial": r.system_serial,
                           "created_at": r.created_at.isoformat(), "applied": r.applied, "warnings": r.warnings,
                           "choices": r.choices} for r in refurb.reports_of(db, device)])


@bp.get("/reports/<int:report_id>/file")
def download_report(report_id: int):
    """The file as it was received (checked against its SHA-256)."""
    report, content = refurb.report_content(get_db(), api_user(), report_id)
    mimetype = "text/plain" if report.kind == "nwipe" else "application/json"
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in report.filename)[:120] or "rapport"
    response = send_bytes(content, safe, mimetype)
    response.headers["X-Content-SHA256"] = report.sha256
    return response


# --- OpenAPI --------------------------------------------------------------------------------------

_MULTIPART = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {
        "type": "array", "items": {"type": "string", "format": "binary"},
        "description": "Un ou plusieurs fichiers (champ « file » répété) : sortie de « lshw -json », de "
                       "« smartctl --json -a », journal nwipe (ShredOS) ou instantané eReuse Workbench. "
                       "10 Mo au plus chacun."}}}}}}
SCHEMAS["HardwareReport"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["lshw", "smartctl", "nwipe", "workbench"]},
    "filename": {"type": "string"}, "sha256": {"type": "string"},
    "created": {"type": "boolean", "description": "Faux : ce fichier (même SHA-256) avait déjà été reçu."},
    "applied": {"type": "object", "description": "Ce que le rapport a rempli : clés de specs (manufacturer, model, "
                "cpu, ram_gb, storage_added, battery_health_pct, screen_resolution), serial_number, checks.storage "
                "(SMART), erasures (nwipe)."},
    "warnings": {"type": "array", "items": {"type": "string"}}, "device": {"type": "string"}}}
_REFUSED = {"type": "array", "items": {"type": "object"}, "description": "Fichiers refusés (envoi de plusieurs "
            "fichiers) : nom et erreur ; les autres sont enregistrés."}

operation("/devices/{asset_tag}/reports", "post", "Joindre des rapports matériels à un appareil (specs, SMART, "
          "effacements nwipe)", status="201", errors=("401", "403", "404", "409", "413", "422"),
          response={"type": "object", "properties": {
              "reports": {"type": "array", "items": {"$ref": "#/components/schemas/HardwareReport"}},
              "refused": _REFUSED, "device": {"$ref": "#/components/schemas/Device"}}},
          description="Chaque fichier est appliqué en entier ou pas du tout. Une valeur déjà sur la fiche n'est "
                      "jamais remplacée : la différence est un avertissement, à trancher sur la page de l'appareil. "
                      "Un rapport d'une autre machine (autre numéro de série) n'applique rien.")
PATHS["/devices/{asset_tag}/reports"]["post"]["requestBody"] = _MULTIPART
operation("/devices/{asset_tag}/reports", "get", "Les rapports matériels d'un appareil",
          response={"type": "object"}, errors=("401", "403", "404"))
operation("/reports/{report_id}/file", "get", "Le fichier d'un rapport matériel, tel que reçu (en-tête "
          "X-Content-SHA256 : son empreinte)", errors=("401", "403", "404", "409"),
          parameters=[{"name": "report_id", "in": "path", "required": True, "schema": {"type": "integer"}}])
operation("/reports", "post", "Déposer les fichiers d'une clé USB : chacun va à l'appareil qu'il désigne",
          errors=("401", "403", "413", "422"), response={"type": "object", "properties": {"files": {
              "type": "array", "items": {"type": "object", "properties": {
                  "status": {"type": "string", "enum": ["applied", "already_received", "unmatched", "refused"]},
                  "filename": {"type": "string"}, "reason": {"type": "string"},
                  "pending_token": {"type": "string", "description": "Fichier sans appareil gardé un jour : "
                                    "POST /reports/pending/{token} avec l'étiquette choisie."}}}}}},
          description="Reconnaissance par le numéro de série de la machine, sinon par un numéro de série de disque "
                      "déjà connu. Tout ou rien par fichier, jamais entre fichiers.")
PATHS["/reports"]["post"]["requestBody"] = _MULTIPART
operation("/reports/pending/{token}", "post", "Appliquer un fichier resté sans appareil à l'appareil choisi",
          status="201", response={"type": "object"}, errors=("401", "403", "404", "409", "422"),
          body={"type": "object", "required": ["asset_tag"], "properties": {"asset_tag": {"type": "string"}}})
