"""Workshop pages of the hardware reports: a USB stick's folder dropped at once (each file finds its device,
or waits for a one-click choice), a device's own reports (its panel), the differences a person settles,
and the files themselves (downloaded as received)."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_login import current_user

from ..accounts.roles import WORKSHOP_ROLES
from ..errors import Invalid, RefurbError
from ..extensions import get_db
from ..inventory import services as inventory
from ..web.access import roles_required
from ..web.files import send_bytes
from ..web.kit import refused, see_other
from . import services as refurb
from .views import STAFF, WORKSHOP, bp, device_url, report_store

MAX_FILES = 200
CANDIDATE_STATES = ("received", "diagnosing", "repairing")


def _max_bytes() -> int:
    megabytes = float(current_app.config.get("REFURB_MAX_HARDWARE_REPORT_MB", refurb.DEFAULT_MAX_HARDWARE_REPORT_MB))
    return int(megabytes * 1048576)


def _uploads() -> list:
    files = [f for f in request.files.getlist("file") if f is not None and (f.filename or "")]
    if not files:
        raise Invalid("Choisissez le dossier de la clé (ou des fichiers) avant d'envoyer.",
                      fields={"file": "Aucun fichier reçu."})
    if len(files) > MAX_FILES:
        raise Invalid(f"{MAX_FILES} fichiers au plus par envoi : déposez le dossier en plusieurs fois.",
                      fields={"file": f"{len(files)} fichiers."})
    limit = _max_bytes()
    return [refurb.Upload(filename=f.filename, content=f.read(limit + 1)) for f in files]


def _candidates() -> list:
    """Devices a file without a match may go to: the workshop's devices of my sites, newest first."""
    db = get_db()
    groups, _total = refurb.queue(db, current_user, None)
    devices = [item.device for items in groups.values() for item in items if item.device.state in CANDIDATE_STATES]
    return sorted(devices, key=lambda d: d.created_at, reverse=True)[:60]


def _page(results=None, error: str | None = None):
    return render_template("refurbishment/reports.html", results=results, error=error, candidates=_candidates(),
                           max_mb=_max_bytes() // 1048576, max_files=MAX_FILES)


@bp.get("/rapports")
@roles_required(*WORKSHOP)
def reports_page():
    return _page()


@bp.post("/rapports")
@roles_required(*WORKSHOP)
def reports_upload():
    """Every file of the folder on its own: applied, already received, waiting for a device, or refused."""
    db = get_db()
    try:
        refurb.require_report_sender(current_user)
        uploads = _uploads()
    except RefurbError as err:
        return refused(_page(error=err.message), err)
    results = []
    for upload in uploads:
        try:
            outcome = refurb.add_unassigned_report(db, current_user, upload, store=report_store(),
                                                   max_bytes=_max_bytes())
        except RefurbError as err:
            results.append({"status": "refused", "filename": upload.filename, "message": err.message})
            continue
        if isinstance(outcome, refurb.Unmatched):
            results.append({"status": "unmatched", "filename": outcome.filename, "message": outcome.reason,
                            "token": outcome.token, "kind": outcome.kind})
        else:
            results.append({"status": "applied" if outcome.created else "already", "filename": upload.filename,
                            "device": outcome.device, "report": outcome.report, "warnings": outcome.warnings})
    return _page(results=results)


@bp.post("/rapports/attente/<token>")
@roles_required(*WORKSHOP)
def reports_assign(token: str):
    """The one-click choice: this waiting file goes to the device picked (or scanned)."""
    db = get_db()
    try:
        device = inventory.get_device(db, current_user, request.form.get("asset_tag", ""))
        outcome = refurb.assign_pending_report(db, current_user, token, device, store=report_store())
    except RefurbError as err:
        return refused(_page(error=err.message), err)
    return see_other(device_url(outcome.device.asset_tag) + "#hardware-reports",
                     f"Rapport « {outcome.report.filename} » appliqué à {outcome.device.asset_tag}.")


@bp.post("/appareils/<asset_tag>/rapports")
@roles_required(*WORKSHOP)
def device_reports_upload(asset_tag: str):
    db = get_db()
    device = inventory.get_device(db, current_user, asset_tag)
    refurb.require_report_sender(current_user)
    said, failed = [], []
    try:
        uploads = _uploads()
    except RefurbError as err:
        return see_other(device_url(device.asset_tag) + "#hardware-reports", err.message, kind="error")
    for upload in uploads:
        try:
            outcome = refurb.add_report(db, current_user, device, upload, store=report_store(), max_bytes=_max_bytes())
            said.append(f"« {outcome.report.filename} » " + ("reçu" if outcome.created else "déjà reçu"))
        except RefurbError as err:
            failed.append(err.message)
    message = " ; ".join(said) + "." if said else ""
    if failed:
        message = (message + " Refusé : " if message else "Refusé : ") + " ; ".join(failed)
    return see_other(device_url(device.asset_tag) + "#hardware-reports", message,
                     kind="error" if failed else "success")


@bp.post("/appareils/<asset_tag>/rapports/<int:report_id>/choix")
@roles_required(*WORKSHOP)
def device_report_choice(asset_tag: str, report_id: int):
    db = get_db()
    device = inventory.get_device(db, current_user, asset_tag)
    take = request.form.get("take") == "1"
    try:
        refurb.settle_choice(db, current_user, device, report_id, request.form.get("index"), take,
                             store=report_store(), expected_version=request.form.get("expected_version"))
    except RefurbError as err:
        return see_other(device_url(device.asset_tag) + "#hardware-reports", err.message, kind="error")
    return see_other(device_url(device.asset_tag) + "#hardware-reports",
                     "Valeur du rapport retenue." if take else "Valeur de la fiche gardée.")


@bp.get("/rapports/<int:report_id>/fichier")
@roles_required(*STAFF)
def report_download(report_id: int):
    report, content = refurb.report_content(get_db(), current_user, report_id)
    mimetype = "application/json" if report.kind in ("lshw", "smartctl", "workbench") else "text/plain"
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in report.filename)[:120] or "rapport"
    response = send_bytes(content, safe, mimetype)
    response.headers["Content-Security-Policy"] = "sandbox"  # a file from outside never runs in our origin
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def hardware_panel(db, user, device, reads=None) -> dict | None:
    """The device page's "Rapports matériels" panel: what the reports filled, the differences to settle,
    the files; the upload form for the workshop."""
    if user.role not in STAFF:
        return None
    reports = refurb.reports_for_page(db, device, reads)
    workshop = user.role in WORKSHOP_ROLES
    if not reports and not (workshop and device.has_storage):
        return None
    return {"hw": {"reports": reports, "choices": refurb.open_choices(db, device, reports),
                   "hints": refurb.workshop_hints(db, device, reports), "workshop": workshop,
                   "labels": refurb.SPEC_LABELS, "pinned": refurb.PINNED_SPECS,
                   "upload_url": url_for("refurbishment.device_reports_upload", asset_tag=device.asset_tag)}}
