"""Workshop pages: the technician's queue, the scan that opens a device at its step, and
the device-page panel whose forms (diagnosis, erasure, repair, grading, sale, donation)
post with HTMX and re-render in place. Donations, recycling and prices: ``views_desk.py``."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from ..accounts.scope import sites_for
from ..errors import RefurbError
from ..extensions import get_db
from ..inventory import services as inventory
from ..inventory.categories import WITH_BATTERY
from ..sites.services import get_site
from ..web import scan as web_scan
from ..web.access import roles_required
from ..web.layout import current_site
from . import catalog
from . import services as refurb
from .common import DESK_ROLES, WORKSHOP_ROLES, today
from .erasure import DESTRUCTION_STATES, ReportFile, max_report_bytes
from .status import STEP_LABELS, STEP_ORDER, category_checks
from .workshop import MOVES

bp = Blueprint("refurbishment", __name__, url_prefix="/atelier")

WORKSHOP = tuple(sorted(WORKSHOP_ROLES))
DESK = tuple(sorted(DESK_ROLES))
PANEL_MESSAGE = "refurb-panel"  # flash category shown inside the panel (after an HTMX re-render)
QUEUE_ROWS = 100  # rows shown per step (oldest first): a tablet on the bus stays fast


def is_htmx() -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def tone(kind: str = "ok") -> dict:
    return {"HX-Trigger": json.dumps({"refurb:tone": {"kind": kind}})}


def device_url(tag: str) -> str:
    return url_for("inventory.device_page", asset_tag=tag)


# --- queue ----------------------------------------------------------------------------------

@bp.get("/")
@roles_required(*WORKSHOP)
def queue():
    db = get_db()
    site_code = (request.args.get("site") or "").strip().upper()
    site = get_site(db, site_code) if site_code else None
    groups, total = refurb.queue(db, current_user, site)
    return render_template("refurbishment/queue.html", groups=groups, total=total, order=STEP_ORDER,
                           labels=STEP_LABELS, sites=sites_for(db, current_user), site=site,
                           scan_message=None, code="", shown=QUEUE_ROWS)


@bp.get("/scan")
@roles_required(*WORKSHOP)
def scan():
    """The workshop scan field: a tag (or a unique serial number, or a label's QR URL) opens the device."""
    db = get_db()
    code = web_scan.normalise(request.args.get("code", ""))[:120]
    device = inventory.find_by_code(db, current_user, code) if code else None
    if device is not None:
        inventory.get_device(db, current_user, device.asset_tag)  # site check: 403 on another site's device
        target = device_url(device.asset_tag) + "#refurb-panel"
        if is_htmx():
            return "", 204, {"HX-Redirect": target}
        return redirect(target)
    message = (f"Aucun appareil ne correspond au code « {code[:80]} ». Vérifiez l'étiquette ou saisissez-la."
               if code else "Scannez ou saisissez l'étiquette d'un appareil, puis appuyez sur Entrée.")
    groups, total = refurb.queue(db, current_user)
    return render_template("refurbishment/queue.html", groups=groups, total=total, order=STEP_ORDER,
                           labels=STEP_LABELS, sites=sites_for(db, current_user), site=None,
                           scan_message=message, code=code, shown=QUEUE_ROWS), 404


# --- device panel ---------------------------------------------------------------------------

def _local_input(dt) -> str:
    from ..formatting import local
    return local(dt).strftime("%Y-%m-%dT%H:%M") if dt else ""


def panel_context(db, user, device, *, form: str | None = None, data: dict | None = None,
                  errors: dict | None = None, message: str = "") -> dict | None:
    """What the "Atelier" panel of the device page shows (None hides it)."""
    if user.role not in DESK_ROLES:
        return None
    st = refurb.status(db, device)
    workshop = user.role in WORKSHOP_ROLES
    desk = user.role in DESK_ROLES
    origin = st.origin
    donation = origin.donation if origin else None
    price = refurb.pricing(db, device)
    can = {
        "diagnosis": workshop and device.state in ("received", "diagnosing", "repairing"),
        "repair": workshop and device.state in ("diagnosing", "repairing", "ready"),
        "erasure": workshop and device.has_storage and device.state in (
            "received", "diagnosing", "repairing", "ready", "loan_pool", "parts"),
        "destruction": workshop and device.has_storage and device.state in DESTRUCTION_STATES
        and not st.erasure.cleared,
        "grading": workshop and device.state in ("diagnosing", "repairing", "ready"),
        "sale": desk and device.state == "ready",
        "gift": desk and device.state == "ready",
    }
    primary = {"diagnose": "diagnosis", "repair": "repair", "erase": "erasure", "erase_failed": "erasure",
               "clear_media": "erasure", "grade": "grading", "out": "sale"}.get(st.step)
    if form:
        primary = form
    if primary and not can.get(primary):
        primary = None
    moves = []
    if workshop:
        for state in ("diagnosing", "ready", "loan_pool", "parts"):
            if inventory.workflow.is_allowed(device.state, state):
                if state == "diagnosing" and device.state != "received":
                    continue
                if state == "parts" and device.state not in ("diagnosing", "repairing"):
                    continue
                moves.append((state, MOVES[state][0],
                              inventory.workflow.refusal(db, device, state)))
    defaults = {
        "erasure": {"method": "overwrite", "nist_category": "clear", "tool": "nwipe", "passes": "1",
                    "verified": "1", "result": "passed", "ended_at": _local_input(_now()),
                    "media_size": [str((device.specs or {}).get("storage_gb", ""))], "media_kind": [""]},
        "grading": {"battery_health": (st.diagnosis.battery_health if st.diagnosis and st.diagnosis.battery_health
                                       is not None else (device.specs or {}).get("battery_health", ""))},
        "sale": {"price": f"{price.suggested:.2f}".replace(".", ",") if price.suggested is not None else "",
                 "delivered_on": today().isoformat(), "eligible": "1" if price.capped else ""},
        "gift": {"delivered_on": today().isoformat(), "eligible": "1" if price.capped else ""},
        "destruction": {"destroyed_on": today().isoformat()},
    }
    forms = {key: {"data": dict(defaults.get(key, {})), "errors": {}} for key in can}
    if form and form in forms:
        forms[form] = {"data": data or {}, "errors": errors or {}}
    general_error = (errors or {}).get("_") if (errors and form not in forms) else None
    erasures = refurb.erasures_of(db, device)
    return {"rp": {
        "st": st, "donation": donation, "price": price, "can": can, "primary": primary, "forms": forms,
        "moves": moves, "message": message, "checks": [(k, catalog.CHECKS[k]) for k in category_checks(device.category)],
        "battery": device.category in WITH_BATTERY, "erasures": erasures,
        "repairs": refurb.repairs_of(db, device), "sale": refurb.sale_of(db, device),
        "gift": refurb.gift_of(db, device), "reasons": refurb.eligibility_reasons(db),
        "warranty_months": refurb.warranty_months(db), "catalog": catalog,
        "max_report_mb": max_report_bytes() // 1048576, "workshop": workshop, "error": general_error,
    }}


def _now():
    from ..db import utcnow
    return utcnow()


def _panel_response(db, device, *, form=None, data=None, errors=None, status: int = 200, message: str = ""):
    ctx = panel_context(db, current_user, device, form=form, data=data, errors=errors, message=message)
    html = render_template("refurbishment/_panel.html", device=device, **ctx)
    if is_htmx():
        return html, 200, tone("error" if errors else "ok")
    return render_template("refurbishment/device_step.html", device=device, panel=Markup(html)), status


def _posted(form_key: str, parse, service, success: str):
    """Run one panel form: parse → service → commit; re-render in place (HTMX) or redirect."""
    db = get_db()
    device = inventory.get_device(db, current_user, request.view_args["asset_tag"])
    data = parse()
    try:
        result = service(db, device, data)
    except RefurbError as err:
        db.rollback()
        device = inventory.get_device(db, current_user, device.asset_tag)
        errors = dict(err.fields) if err.fields else {}
        if not err.fields or err.status != 422:
            errors["_"] = err.message
        return _panel_response(db, device, form=form_key, data=_echo(data), errors=errors,
                               status=err.status if err.status != 400 else 422)
    message = success if isinstance(success, str) else success(result)
    db.commit()
    if is_htmx():
        flash(message, PANEL_MESSAGE)
        location = {"path": device_url(device.asset_tag), "target": "#device-main", "select": "#device-main",
                    "swap": "outerHTML"}
        # The re-rendered panel carries its message with data-tone="ok": one beep, when it shows.
        return "", 204, {"HX-Location": json.dumps(location)}
    flash(message, "success")
    return redirect(device_url(device.asset_tag) + "#refurb-panel")


def _echo(data: dict) -> dict:
    """Form data to show again after an error (without file contents)."""
    return {k: v for k, v in data.items() if k != "report"}


def flag(name: str) -> str:
    """A checkbox sent after its hidden "0": the last value counts."""
    values = request.form.getlist(name)
    return values[-1] if values else "0"


def _form() -> dict:
    return {k: v for k, v in request.form.items()}


def _version() -> str:
    return request.form.get("expected_version", "")


@bp.get("/appareils/<asset_tag>")
@roles_required(*DESK)
def device_step(asset_tag: str):
    """The device's workshop panel on a page of its own (also where a form without JavaScript
    comes back with its errors)."""
    db = get_db()
    device = inventory.get_device(db, current_user, asset_tag)
    return _panel_response(db, device)


def _parse_diagnosis() -> dict:
    form = request.form
    tag = request.view_args["asset_tag"]
    device = inventory.get_device(get_db(), current_user, tag)
    checks = {k: form.get(f"check_{k}", "") for k in category_checks(device.category)}
    return {"checks": checks, "verdict": form.get("verdict", ""), "battery_health": form.get("battery_health", ""),
            "notes": form.get("notes", ""), "expected_version": _version()}


@bp.post("/appareils/<asset_tag>/diagnostic")
@roles_required(*WORKSHOP)
def record_diagnosis(asset_tag: str):
    return _posted("diagnosis", _parse_diagnosis,
                   lambda db, d, data: refurb.record_diagnosis(db, current_user, d, data,
                                                               expected_version=data["expected_version"]),
                   lambda diag: f"Diagnostic enregistré : {diag.verdict_label.lower()}.")


def _rows(*names: str) -> list[dict]:
    lists = [request.form.getlist(n) for n in names]
    count = max((len(values) for values in lists), default=0)
    return [{n: (lists[j][i] if i < len(lists[j]) else "") for j, n in enumerate(names)} for i in range(count)]


def _parse_erasure() -> dict:
    form = request.form
    media = []
    for i, row in enumerate(_rows("media_serial", "media_model", "media_size", "media_kind")):
        if i > 0 and not any(v.strip() for k, v in row.items() if k != "media_kind"):
            continue
        media.append({"serial": row["media_serial"], "model": row["media_model"], "size_gb": row["media_size"],
                      "kind": row["media_kind"]})
    data = {k: form.get(k, "") for k in ("method", "nist_category", "tool", "tool_version", "passes", "result",
                                         "started_at", "ended_at", "notes")}
    data["verified"] = flag("verified")
    data["media"] = media
    data["expected_version"] = _version()
    upload = request.files.get("report")
    if upload is not None and upload.filename:
        data["report"] = ReportFile(filename=upload.filename, content=upload.read(max_report_bytes() + 1))
    return data


def _erasure_message(erasure) -> str:
    if erasure.result == "passed":
        return ("Destruction du support enregistrée." if erasure.method == "destruction"
                else "Effacement réussi enregistré.")
    return "Effacement échoué enregistré : l'appareil reste bloqué jusqu'à un effacement réussi ou la destruction."


@bp.post("/appareils/<asset_tag>/effacement")
@roles_required(*WORKSHOP)
def record_erasure(asset_tag: str):
    def service(db, device, data):
        return refurb.record_erasure(db, current_user, device, data, report=data.get("report"),
                                     expected_version=data["expected_version"])
    return _posted("erasure", _parse_erasure, service, _erasure_message)


def _parse_repair() -> dict:
    form = request.form
    parts = []
    for row in _rows("part_description", "part_source", "part_from_tag", "part_cost"):
        if not any(v.strip() for k, v in row.items() if k != "part_source"):
            continue
        parts.append({"description": row["part_description"], "source": row["part_source"],
                      "from_tag": row["part_from_tag"], "cost": row["part_cost"]})
    return {"problem": form.get("problem", ""), "action": form.get("action", ""),
            "minutes": form.get("minutes", ""), "checks_fixed": form.getlist("checks_fixed"), "parts": parts,
            "expected_version": _version()}


@bp.post("/appareils/<asset_tag>/reparation")
@roles_required(*WORKSHOP)
def record_repair(asset_tag: str):
    return _posted("repair", _parse_repair,
                   lambda db, d, data: refurb.record_repair(db, current_user, d, data,
                                                            expected_version=data["expected_version"]),
                   "Réparation enregistrée.")


@bp.post("/appareils/<asset_tag>/grade")
@roles_required(*WORKSHOP)
def record_grading(asset_tag: str):
    return _posted("grading", _form,
                   lambda db, d, data: refurb.record_grading(db, current_user, d, data,
                                                             expected_version=data.get("expected_version")),
                   lambda g: f"Grade {g.grade} enregistré.")


def _parse_sale() -> dict:
    data = _form()
    data["eligible"] = flag("eligible")
    return data


@bp.post("/appareils/<asset_tag>/vente")
@roles_required(*DESK)
def record_sale(asset_tag: str):
    return _posted("sale", _parse_sale,
                   lambda db, d, data: refurb.sell(db, current_user, d, data,
                                                   expected_version=data.get("expected_version")),
                   lambda s: f"Vente {s.reference} enregistrée — garantie jusqu'au {s.warranty_until:%d/%m/%Y}.")


@bp.post("/appareils/<asset_tag>/don")
@roles_required(*DESK)
def record_gift(asset_tag: str):
    return _posted("gift", _parse_sale,
                   lambda db, d, data: refurb.give(db, current_user, d, data,
                                                   expected_version=data.get("expected_version")),
                   lambda g: f"Don à {g.recipient_name} enregistré.")


@bp.post("/appareils/<asset_tag>/etape")
@roles_required(*WORKSHOP)
def move_device(asset_tag: str):
    to_state = request.form.get("to", "")
    labels = {"diagnosing": "Diagnostic commencé.", "ready": "Appareil déclaré prêt (reconditionné).",
              "loan_pool": "Appareil mis au parc de prêt.", "parts": "Appareil démonté pour pièces."}
    return _posted("move", _form,
                   lambda db, d, data: refurb.move(db, current_user, d, to_state, note=data.get("note", ""),
                                                   expected_version=data.get("expected_version")),
                   labels.get(to_state, "Enregistré."))


@bp.post("/appareils/<asset_tag>/destruction")
@roles_required(*WORKSHOP)
def record_destruction(asset_tag: str):
    return _posted("destruction", _form,
                   lambda db, d, data: refurb.record_media_destruction(db, current_user, d, data,
                                                                       expected_version=data.get("expected_version")),
                   lambda m: f"{m.label} : enregistré.")


@bp.get("/effacements/<int:erasure_id>/rapport")
@roles_required(*WORKSHOP)
def erasure_report(erasure_id: int):
    from flask import send_file
    erasure = refurb.get_erasure(get_db(), current_user, erasure_id)
    path = refurb.report_file(erasure)
    response = send_file(path, mimetype="application/pdf" if erasure.report_kind == "pdf" else "text/plain",
                         as_attachment=erasure.report_kind != "pdf", download_name=erasure.report_filename,
                         max_age=0)
    # A file that came from outside: never run anything from it in our origin.
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def current_site_code() -> str:
    site = current_site()
    return site.code if site else ""


from . import views_desk  # noqa: E402,F401  (donations, recycling, prices: same blueprint)
